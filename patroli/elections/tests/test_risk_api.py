"""/api/v1/risk and the risk pages: the access gate on each, filters, shapes.

The router and the pages are mounted here when patroli/api.py and patroli/urls.py do not mount
them yet, so these tests hold before and after the wiring.
"""

import importlib
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.test import Client
from django.urls import Resolver404, include, path, resolve
from ninja import NinjaAPI

import patroli.urls
from patroli.elections import risk
from patroli.elections.api_risk import router
from patroli.elections.models import Incident, RiskBaseline, RiskScore

_extra = []
try:
    resolve("/api/v1/risk/sites")
except Resolver404:
    _api = NinjaAPI(title="risk tests", urls_namespace="risk-tests-api")
    _api.add_router("", router)
    _extra.append(path("api/v1/", _api.urls))
try:
    resolve("/app/risiko/")
except Resolver404:
    _extra.append(path("app/risiko/", include("patroli.elections.urls_risk")))
urlpatterns = [*_extra, *patroli.urls.urlpatterns]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

BUMI = "64.09.04.2004"
PASSWORD = "s3cret-Patroli"
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=ZoneInfo("Asia/Makassar"))


@pytest.fixture(autouse=True)
def full_baseline(settings):
    """These cases were computed with the baseline at full weight (baseline_scale 1)."""
    settings.PATROLI_RISK_WEIGHTS = {
        **getattr(settings, "PATROLI_RISK_WEIGHTS", {}),
        "baseline_scale": 1.0,
    }


@pytest.fixture
def scored(world):
    """Scores as of 1 June 2025 (no election stage): the Bumi Harapan TPS is high (a red incident
    and a district baseline of 50), the PPS offices medium, nothing low."""
    for module in (
        "patroli.concerns.migrations.0003_categories",
        "patroli.elections.migrations.0002_stages",
    ):
        importlib.import_module(module).load(apps, None)
    RiskBaseline.objects.create(
        region_id="64.09.04",
        social_political=50,
        administration=50,
        contestation=50,
        participation=50,
    )
    Incident.objects.create(
        kind=Incident.Kind.INTIMIDATION,
        severity="red",
        occurred_at=NOW,
        site=world.tps_bumi,
        village_id=BUMI,
        unit=world.sepaku,
    )
    risk.compute_all(now=NOW)
    return world


def site_ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"items", "count"}
    return [item["site"]["id"] for item in body["items"]]


# The API.


def test_anonymous_gets_401_everywhere(scored):
    for url in (
        "/api/v1/risk/sites",
        f"/api/v1/risk/sites/{scored.pps_bumi.pk}",
        "/api/v1/risk/villages",
    ):
        assert Client().get(url).status_code == 401


def test_sepaku_officer_sees_sepakus_sites_only_highest_first(scored, api):
    ids = site_ids(api(scored.officer).get("/api/v1/risk/sites"))
    assert ids == [scored.tps_bumi.pk, scored.pps_bumi.pk]  # the red incident puts the TPS first


@pytest.mark.parametrize("who", ["commander", "humas", "admin"])
def test_polres_and_admin_see_both(scored, api, who):
    ids = site_ids(api(getattr(scored, who)).get("/api/v1/risk/sites"))
    assert set(ids) == {scored.pps_bumi.pk, scored.tps_bumi.pk, scored.pps_penajam.pk}


def test_user_without_unit_sees_nothing(scored, api):
    assert site_ids(api(scored.no_unit).get("/api/v1/risk/sites")) == []


def test_unit_filter_stays_within_what_the_user_may_see(scored, api):
    commander = api(scored.commander)
    assert set(site_ids(commander.get("/api/v1/risk/sites", {"unit": scored.penajam.pk}))) == {
        scored.pps_penajam.pk
    }
    officer = api(scored.officer)
    assert site_ids(officer.get("/api/v1/risk/sites", {"unit": scored.penajam.pk})) == []
    assert len(site_ids(officer.get("/api/v1/risk/sites", {"unit": scored.polres.pk}))) == 2
    assert site_ids(officer.get("/api/v1/risk/sites", {"unit": 999999})) == []


def test_level_filter(scored, api):
    client = api(scored.commander)
    high = site_ids(client.get("/api/v1/risk/sites", {"level": "high"}))
    medium = site_ids(client.get("/api/v1/risk/sites", {"level": "medium"}))
    assert high == [scored.tps_bumi.pk]
    assert set(medium) == {scored.pps_bumi.pk, scored.pps_penajam.pk}
    assert site_ids(client.get("/api/v1/risk/sites", {"level": "low"})) == []
    officer = api(scored.officer)
    assert site_ids(officer.get("/api/v1/risk/sites", {"level": "medium"})) == [scored.pps_bumi.pk]
    assert client.get("/api/v1/risk/sites", {"level": "purple"}).status_code == 422


def test_village_filter(scored, api):
    ids = site_ids(api(scored.commander).get("/api/v1/risk/sites", {"village": "64.09.01.1003"}))
    assert ids == [scored.pps_penajam.pk]


def test_item_shape(scored, api):
    body = api(scored.officer).get(f"/api/v1/risk/sites/{scored.tps_bumi.pk}").json()
    stored = RiskScore.objects.get(site=scored.tps_bumi)

    assert set(body) == {
        "site",
        "village",
        "unit",
        "score",
        "level",
        "level_label",
        "factors",
        "computed_at",
    }
    assert body["site"] == {"id": scored.tps_bumi.pk, "name": "TPS 001 Desa Bumi Harapan"}
    assert (body["village"], body["unit"]) == (BUMI, scored.sepaku.pk)
    assert (body["score"], body["level"]) == (stored.score, stored.level)
    assert body["level_label"] == str(RiskScore.Level(stored.level).label)
    names = [f["name"] for f in body["factors"]]
    assert names[:3] == ["baseline", "open_concerns", "overdue_concerns"]
    for factor in body["factors"]:
        assert set(factor) == {"name", "label", "value", "contribution", "detail"}
    assert round(sum(f["contribution"] for f in body["factors"]), 2) == body["score"]
    incidents = next(f for f in body["factors"] if f["name"] == "incidents")
    assert incidents["value"] == 1 and incidents["contribution"] > 14


def test_another_units_site_is_404(scored, api):
    assert api(scored.officer).get(f"/api/v1/risk/sites/{scored.pps_penajam.pk}").status_code == 404
    assert (
        api(scored.other_officer).get(f"/api/v1/risk/sites/{scored.tps_bumi.pk}").status_code == 404
    )
    assert (
        api(scored.commander).get(f"/api/v1/risk/sites/{scored.pps_penajam.pk}").status_code == 200
    )
    assert api(scored.officer).get("/api/v1/risk/sites/999999").status_code == 404


def test_detail_computes_a_missing_score(world, api):
    assert not RiskScore.objects.exists()
    response = api(world.officer).get(f"/api/v1/risk/sites/{world.pps_bumi.pk}")
    assert response.status_code == 200
    assert response.json()["site"]["id"] == world.pps_bumi.pk
    assert RiskScore.objects.filter(site=world.pps_bumi).exists()


def test_villages(scored, api):
    body = api(scored.officer).get("/api/v1/risk/villages").json()
    assert [(i["village"], i["unit"]) for i in body["items"]] == [(BUMI, scored.sepaku.pk)]
    assert body["items"][0]["village_name"] == "Bumi Harapan"
    commander = api(scored.commander).get("/api/v1/risk/villages", {"unit": scored.penajam.pk})
    assert [i["village"] for i in commander.json()["items"]] == ["64.09.01.1003"]


# The pages.


def login(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_pages_need_a_login(scored):
    for url in ("/app/risiko/", f"/app/risiko/lokasi/{scored.pps_bumi.pk}/"):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/masuk/")


def test_list_shows_own_sites_by_score(scored):
    response = login(scored.officer).get("/app/risiko/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "TPS 001 Desa Bumi Harapan" in page and "Kantor PPS Desa Bumi Harapan" in page
    assert "Kelurahan Petung" not in page
    assert page.index("TPS 001 Desa Bumi Harapan") < page.index("Kantor PPS Desa Bumi Harapan")


def test_list_filters(scored):
    client = login(scored.commander)
    page = client.get("/app/risiko/", {"level": "high"}).content.decode()
    assert "TPS 001 Desa Bumi Harapan" in page
    assert "Kantor PPS Desa Bumi Harapan" not in page and "Kelurahan Petung" not in page
    page = client.get("/app/risiko/", {"level": "medium"}).content.decode()
    assert "TPS 001" not in page and "Kelurahan Petung" in page
    page = client.get("/app/risiko/", {"village": BUMI}).content.decode()
    assert "Bumi Harapan" in page and "Kelurahan Petung" not in page
    assert client.get("/app/risiko/", {"level": "purple"}).status_code == 200


def test_list_shows_unscored_sites(world):
    page = login(world.officer).get("/app/risiko/").content.decode()
    assert "TPS 001 Desa Bumi Harapan" in page


def test_site_page_shows_each_factor(scored):
    response = login(scored.officer).get(f"/app/risiko/lokasi/{scored.tps_bumi.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    for name in ("open_concerns", "incidents", "days_since_visit", "stage_multiplier"):
        assert str(risk.LABELS[name])[1:] in page
    assert '<rect class="bar" width="' in page


def test_site_page_of_another_unit_is_404(scored):
    url = f"/app/risiko/lokasi/{scored.pps_penajam.pk}/"
    assert login(scored.officer).get(url).status_code == 404
    assert login(scored.commander).get(url).status_code == 200
    assert login(scored.no_unit).get(url).status_code == 404


def test_site_page_computes_a_missing_score(world):
    response = login(world.officer).get(f"/app/risiko/lokasi/{world.pps_bumi.pk}/")
    assert response.status_code == 200
    assert RiskScore.objects.filter(site=world.pps_bumi).exists()
