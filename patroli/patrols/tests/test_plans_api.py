"""Coverage and plans through the API and the pages: scoping, validation, permissions.

Until ``patroli/api.py`` and ``patroli/urls.py`` mount them, this module is its own URLconf: the
plans router on a test API at /api/v1/ and the pages at /app/rencana/, in front of the project's
URLs (which keep answering everything else).
"""

from datetime import timedelta
from urllib.parse import quote, unquote

import pytest
from django.test import Client
from django.urls import include, path
from django.utils import timezone
from ninja import NinjaAPI
from pydantic import TypeAdapter

from conftest import PASSWORD, api_client
from patroli import urls as project_urls
from patroli.patrols.api_plans import CellOut, CoverageOut, router
from patroli.patrols.models import PatrolPlan, PlanStop, Visit
from patroli.patrols.planning import approve_plan, create_plan
from patroli.patrols.tests.test_planning import add_sites

_api = NinjaAPI(urls_namespace="plans-test-api", docs_url=None)
_api.add_router("", router)
urlpatterns = [
    path("api/v1/", _api.urls),
    path("app/rencana/", include("patroli.patrols.urls_plans")),
    *project_urls.urlpatterns,
]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


@pytest.fixture(autouse=True)
def fast(settings, monkeypatch):
    settings.PATROLI_PLAN_TIME_LIMIT_S = 0.2


def tomorrow():
    return timezone.localdate() + timedelta(days=1)


@pytest.fixture
def plan(world):
    add_sites(world)
    return create_plan(
        unit=world.sepaku, date=tomorrow(), teams=2, hours_per_team=1, created_by=world.kapolsek
    )


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# -- coverage ----------------------------------------------------------------------------------


def test_coverage_defaults_to_my_unit(world):
    Visit.objects.create(
        site=world.pps_bumi,
        unit=world.sepaku,
        recorded_by=world.officer,
        started_at=timezone.now() - timedelta(days=3),
    )
    response = api_client(world.officer).get("/api/v1/coverage")
    assert response.status_code == 200
    data = response.json()
    assert data["unit"] == world.sepaku.pk and data["days"] == 7
    assert data["total"]["total"] == 2 and data["total"]["visited"] == 1
    assert data["total"]["visited_pct"] == 50.0
    assert [(u["key"], u["total"]) for u in data["units"]] == [(str(world.sepaku.pk), 2)]
    assert [v["key"] for v in data["villages"]] == ["64.09.04.2004"]
    assert "sites" not in data and "left_alone" not in data  # a page at a time: /coverage/sites
    short = api_client(world.officer).get("/api/v1/coverage?days=2").json()
    assert short["total"]["overdue"] == 1

    sites = api_client(world.officer).get("/api/v1/coverage/sites").json()
    assert sites["count"] == 2
    never, visited = sites["items"]  # never visited first
    assert never["status"] == "never" and never["last_visit_at"] is None
    assert never["site"] == {
        "id": world.tps_bumi.pk,
        "name": world.tps_bumi.name,
        "kind": "tps",
        "village": "64.09.04.2004",
        "village_name": "Bumi Harapan",
        "unit": world.sepaku.pk,
        "lat": None,
        "lng": None,
    }
    assert never["cell"] is None and never["risk"] == 50.0
    assert visited["status"] == "visited" and visited["site"]["id"] == world.pps_bumi.pk
    assert visited["days_since"] == 3.0 and visited["cell"] is not None
    alone = api_client(world.officer).get("/api/v1/coverage/sites?status=left_alone").json()
    assert [s["site"]["id"] for s in alone["items"]] == [world.tps_bumi.pk]
    page = api_client(world.officer).get("/api/v1/coverage/sites?limit=1&offset=1").json()
    assert page["count"] == 2 and [s["site"]["id"] for s in page["items"]] == [world.pps_bumi.pk]

    # As things stood before the visit: never visited, both.
    before = quote((timezone.now() - timedelta(days=4)).isoformat())
    earlier = api_client(world.officer).get(f"/api/v1/coverage?as_of={before}").json()
    assert (earlier["total"]["never"], earlier["as_of"][:10]) == (2, unquote(before)[:10])
    then = api_client(world.officer).get(f"/api/v1/coverage/sites?as_of={before}").json()
    assert {s["status"] for s in then["items"]} == {"never"}

    # An offset PostgreSQL would refuse (past 15:59) is read as the moment it names.
    odd = api_client(world.officer).get("/api/v1/coverage/cells?as_of=2906-06-06T02:43:11%2B16:48")
    assert odd.status_code == 200, odd.content

    cells = api_client(world.officer).get("/api/v1/coverage/cells").json()
    assert [(c["key"], c["total"], c["visited"]) for c in cells] == [(visited["cell"], 1, 1)]
    assert cells[0]["lat"] == pytest.approx(world.pps_bumi.lat, abs=0.05)


def shape(data):
    """The keys of ``data``, all the way down (lists by their items)."""
    if isinstance(data, dict):
        return {key: shape(value) for key, value in data.items()}
    if isinstance(data, list):
        return [shape(item) for item in data]
    return None


def test_coverage_answers_are_what_their_schemas_say(world):
    """The coverage and its cells are written without django-ninja's check of the response
    (core.api_json.answer): they must still be what the API documents, no key more or less."""
    Visit.objects.create(
        site=world.pps_bumi,
        unit=world.sepaku,
        recorded_by=world.officer,
        started_at=timezone.now() - timedelta(days=3),
    )
    for route, schema in (
        ("/api/v1/coverage", CoverageOut),
        ("/api/v1/coverage/cells", list[CellOut]),
    ):
        for user in (world.officer, world.commander, world.admin, world.no_unit):
            response = api_client(user).get(route)
            assert response.status_code == 200
            assert response["Content-Type"] == "application/json; charset=utf-8"
            data = response.json()
            checked = TypeAdapter(schema)
            valid = checked.validate_python(data)
            assert shape(checked.dump_python(valid, mode="json")) == shape(data), (route, user)
    data = api_client(world.admin).get("/api/v1/coverage").json()
    assert data["units"] and data["villages"]  # the tallies were checked, not only the total
    assert api_client(world.officer).get("/api/v1/coverage/cells").json()


def test_coverage_scoping(world):
    for route in ("/api/v1/coverage", "/api/v1/coverage/sites", "/api/v1/coverage/cells"):
        other = api_client(world.officer).get(f"{route}?unit={world.penajam.pk}")
        assert other.status_code == 404, route
        above = api_client(world.officer).get(f"{route}?unit={world.polres.pk}")
        assert above.status_code == 404, route
    commander = api_client(world.commander)
    polres = commander.get(f"/api/v1/coverage/sites?unit={world.penajam.pk}").json()
    assert [s["site"]["id"] for s in polres["items"]] == [world.pps_penajam.pk]
    everything = api_client(world.admin).get("/api/v1/coverage").json()
    assert everything["unit"] is None and everything["total"]["total"] == 3
    assert api_client(world.admin).get("/api/v1/coverage/sites").json()["count"] == 3
    nothing = api_client(world.no_unit).get("/api/v1/coverage").json()
    assert nothing["total"]["total"] == 0
    assert api_client(world.no_unit).get("/api/v1/coverage/sites").json()["count"] == 0
    assert api_client(world.no_unit).get("/api/v1/coverage/cells").json() == []


@pytest.mark.parametrize(
    "query",
    [
        "days=0",
        "days=366",
        "days=x",
        "unit=x",
        "sites?status=lost",
        "sites?limit=0",
        "sites?limit=1001",
        "cells?days=0",
        "as_of=2024-01-23T10:00:00",  # without its zone
        "as_of=9999-12-31T23:00:00-05:00",  # past the year 9999 in UTC
        "sites?as_of=kemarin",
    ],
)
def test_coverage_validation(world, query):
    path = f"/api/v1/coverage/{query}" if "?" in query else f"/api/v1/coverage?{query}"
    response = api_client(world.officer).get(path)
    assert response.status_code == 422, response.content


# -- plans -------------------------------------------------------------------------------------


def test_post_plan(world):
    add_sites(world)
    payload = {"unit": world.sepaku.pk, "date": str(tomorrow()), "teams": 2, "hours_per_team": 1}
    response = api_client(world.kapolsek).post(
        "/api/v1/plans", payload, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert set(data) == {
        "id",
        "unit",
        "date",
        "teams",
        "hours_per_team",
        "status",
        "solver",
        "risk_covered",
        "routes",
    }
    assert data["unit"] == world.sepaku.pk and data["status"] == "draft"
    assert data["date"] == str(tomorrow()) and data["risk_covered"] > 0
    assert [r["team"] for r in data["routes"]] == [1, 2]
    seen = []
    for route in data["routes"]:
        assert route["minutes"] <= 60
        for stop in route["stops"]:
            assert set(stop) == {"site", "eta", "travel_minutes", "dwell_minutes", "risk", "done"}
            assert stop["dwell_minutes"] == 20 and stop["done"] is False
            seen.append(stop["site"]["id"])
        etas = [stop["eta"] for stop in route["stops"]]
        assert etas == sorted(etas)
    assert len(seen) == len(set(seen)) == 4
    assert PlanStop.objects.filter(plan_id=data["id"]).count() == 4


def test_an_officer_may_ask_for_a_draft_of_his_unit(world):
    payload = {"date": str(tomorrow()), "teams": 1, "hours_per_team": 2}
    response = api_client(world.officer).post(
        "/api/v1/plans", payload, content_type="application/json"
    )
    assert response.status_code == 201
    assert response.json()["unit"] == world.sepaku.pk


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"teams": 0}, "teams"),
        ({"teams": 21}, "teams"),
        ({"hours_per_team": 0.4}, "hours_per_team"),
        ({"hours_per_team": 12.5}, "hours_per_team"),
        ({"date": "yesterday"}, "date"),
        ({"unit": "penajam"}, "unit"),
        ({"unit": "polres"}, "unit"),
    ],
)
def test_post_plan_validation(world, change, field):
    payload = {"unit": world.sepaku.pk, "date": str(tomorrow()), "teams": 1, "hours_per_team": 2}
    payload.update(change)
    if payload["date"] == "yesterday":
        payload["date"] = str(timezone.localdate() - timedelta(days=1))
    if payload["unit"] in {"penajam", "polres"}:
        payload["unit"] = getattr(world, payload["unit"]).pk
    response = api_client(world.officer).post(
        "/api/v1/plans", payload, content_type="application/json"
    )
    assert response.status_code == 422
    assert field in {e["loc"][-1] for e in response.json()["detail"]}
    assert not PatrolPlan.objects.exists()


def test_post_plan_without_a_unit(world):
    payload = {"date": str(tomorrow()), "teams": 1, "hours_per_team": 2}
    response = api_client(world.no_unit).post(
        "/api/v1/plans", payload, content_type="application/json"
    )
    assert response.status_code == 422
    Visit.objects.all().delete()
    world.pps_bumi.lat = world.pps_bumi.lng = None
    world.pps_bumi.save()
    response = api_client(world.officer).post(
        "/api/v1/plans", payload, content_type="application/json"
    )
    assert response.status_code == 422  # no located site to plan
    assert response.json()["detail"][0]["loc"][-1] == "unit"


@pytest.mark.parametrize(
    ("persona", "status"),
    [("officer", 200), ("kapolsek", 200), ("commander", 200), ("admin", 200)]
    + [("other_officer", 404), ("no_unit", 404)],
)
def test_get_plan_scoping(world, plan, persona, status):
    response = api_client(getattr(world, persona)).get(f"/api/v1/plans/{plan.pk}")
    assert response.status_code == status
    listed = api_client(getattr(world, persona)).get("/api/v1/plans").json()
    assert (plan.pk in [p["id"] for p in listed["items"]]) == (status == 200)


def test_get_plan_shows_done_stops(world, plan):
    approve_plan(plan=plan, actor=world.kapolsek)
    stop = plan.stops.get(team=1, order=1)
    stop.done_by_visit = Visit.objects.create(
        site=stop.site, unit=world.sepaku, recorded_by=world.officer, started_at=stop.eta
    )
    stop.save()
    data = api_client(world.officer).get(f"/api/v1/plans/{plan.pk}").json()
    assert data["status"] == "approved"
    assert [s["done"] for s in data["routes"][0]["stops"]] == [True, False]


@pytest.mark.parametrize(
    ("persona", "status"),
    [("officer", 403), ("humas", 403), ("other_officer", 404), ("no_unit", 404)]
    + [("kapolsek", 200), ("commander", 200), ("admin", 200)],
)
def test_approve(world, plan, persona, status):
    response = api_client(getattr(world, persona)).post(f"/api/v1/plans/{plan.pk}/approve")
    assert response.status_code == status
    plan.refresh_from_db()
    assert (plan.status == "approved") == (status == 200)
    if status == 200:
        assert response.json()["status"] == "approved"


def test_anonymous_api(world, plan, client):
    assert client.get("/api/v1/coverage").status_code == 401
    assert client.get("/api/v1/plans").status_code == 401
    assert client.get(f"/api/v1/plans/{plan.pk}").status_code == 401
    assert client.post(f"/api/v1/plans/{plan.pk}/approve").status_code == 401
    payload = {"date": str(tomorrow()), "teams": 1, "hours_per_team": 2}
    assert client.post("/api/v1/plans", payload, content_type="application/json").status_code == 401


# -- pages -------------------------------------------------------------------------------------


def test_pages_send_anonymous_users_to_log_in(world, plan, client):
    stop = plan.stops.first()
    for url in [
        "/app/rencana/",
        "/app/rencana/cakupan/",
        "/app/rencana/baru/",
        f"/app/rencana/{plan.pk}/",
    ]:
        response = client.get(url)
        assert response.status_code == 302 and "/masuk/" in response["Location"], url
    for url in [
        f"/app/rencana/{plan.pk}/setujui/",
        f"/app/rencana/{plan.pk}/titik/{stop.pk}/hapus/",
        f"/app/rencana/{plan.pk}/titik/{stop.pk}/pindah/",
    ]:
        response = client.post(url)
        assert response.status_code == 302 and "/masuk/" in response["Location"], url
    assert PatrolPlan.objects.get().status == "draft" and plan.stops.count() == 4


def test_coverage_page(world):
    response = logged_in(world.officer).get("/app/rencana/cakupan/?days=7")
    assert response.status_code == 200
    page = response.content.decode()
    assert world.tps_bumi.name in page and world.pps_bumi.name in page
    assert world.pps_penajam.name not in page
    assert 'id="per-village"' in page and "Bumi Harapan" in page
    assert (
        logged_in(world.officer).get(f"/app/rencana/cakupan/?unit={world.penajam.pk}").status_code
        == 404
    )
    polres = logged_in(world.commander).get(f"/app/rencana/cakupan/?unit={world.polres.pk}")
    assert polres.status_code == 200 and world.pps_penajam.name in polres.content.decode()
    assert logged_in(world.officer).get("/app/rencana/cakupan/?days=abc").status_code == 200


def test_plan_pages_scoping(world, plan):
    for persona in ["officer", "kapolsek", "commander", "admin"]:
        client = logged_in(getattr(world, persona))
        assert client.get(f"/app/rencana/{plan.pk}/").status_code == 200, persona
        assert f"/app/rencana/{plan.pk}/" in client.get("/app/rencana/").content.decode()
    for persona in ["other_officer", "no_unit"]:
        client = logged_in(getattr(world, persona))
        assert client.get(f"/app/rencana/{plan.pk}/").status_code == 404, persona
        assert f"/app/rencana/{plan.pk}/" not in client.get("/app/rencana/").content.decode()
        stop = plan.stops.first()
        assert client.post(f"/app/rencana/{plan.pk}/setujui/").status_code == 404
        assert client.post(f"/app/rencana/{plan.pk}/titik/{stop.pk}/hapus/").status_code == 404


def test_plan_page_buttons(world, plan):
    officer = logged_in(world.officer).get(f"/app/rencana/{plan.pk}/").content.decode()
    assert "/setujui/" not in officer and "/hapus/" not in officer
    kapolsek = logged_in(world.kapolsek).get(f"/app/rencana/{plan.pk}/").content.decode()
    assert "/setujui/" in kapolsek and "/hapus/" in kapolsek and "/pindah/" in kapolsek
    for stop in plan.stops.select_related("site"):
        assert stop.site.name in officer


def test_new_plan_form(world):
    add_sites(world)
    client = logged_in(world.kapolsek)
    page = client.get("/app/rencana/baru/")
    assert page.status_code == 200
    assert f'value="{tomorrow().isoformat()}"' in page.content.decode()
    past = client.post(
        "/app/rencana/baru/",
        {"unit": world.sepaku.pk, "date": "2020-01-01", "teams": 2, "hours_per_team": 1},
    )
    assert past.status_code == 200 and not PatrolPlan.objects.exists()
    foreign = client.post(
        "/app/rencana/baru/",
        {"unit": world.penajam.pk, "date": tomorrow(), "teams": 2, "hours_per_team": 1},
    )
    assert foreign.status_code == 200 and not PatrolPlan.objects.exists()
    response = client.post(
        "/app/rencana/baru/",
        {"unit": world.sepaku.pk, "date": tomorrow(), "teams": 2, "hours_per_team": 1},
    )
    plan = PatrolPlan.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/app/rencana/{plan.pk}/"
    assert plan.created_by == world.kapolsek and plan.stops.count() == 4


def test_edit_and_approve_through_the_pages(world, plan):
    officer = logged_in(world.officer)
    stop = plan.stops.get(team=1, order=2)
    assert officer.post(f"/app/rencana/{plan.pk}/titik/{stop.pk}/hapus/").status_code == 403
    assert officer.post(f"/app/rencana/{plan.pk}/setujui/").status_code == 403
    kapolsek = logged_in(world.kapolsek)
    moved = kapolsek.post(f"/app/rencana/{plan.pk}/titik/{stop.pk}/pindah/", {"direction": "up"})
    assert moved.status_code == 302
    stop.refresh_from_db()
    assert stop.order == 1
    # Team 2 is full: the move is refused with a message, nothing changes.
    refused = kapolsek.post(
        f"/app/rencana/{plan.pk}/titik/{stop.pk}/pindah/", {"team": 2}, follow=True
    )
    assert refused.status_code == 200
    assert [m.level_tag for m in refused.context["messages"]][-1] == "error"
    stop.refresh_from_db()
    assert stop.team == 1
    assert kapolsek.post(f"/app/rencana/{plan.pk}/titik/{stop.pk}/hapus/").status_code == 302
    assert not PlanStop.objects.filter(pk=stop.pk).exists()
    assert kapolsek.post(f"/app/rencana/{plan.pk}/setujui/").status_code == 302
    plan.refresh_from_db()
    assert plan.status == "approved" and plan.approved_by == world.kapolsek
    other = plan.stops.first()
    locked = kapolsek.post(f"/app/rencana/{plan.pk}/titik/{other.pk}/hapus/", follow=True)
    assert locked.status_code == 200 and PlanStop.objects.filter(pk=other.pk).exists()
    assert kapolsek.get(f"/app/rencana/{plan.pk}/titik/{other.pk}/hapus/").status_code == 405


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_commander_on_a_phone(live_server, world):
    """Coverage, the plan and its approval fit a phone's width."""
    from patroli.core.testing import phone, sideways_scroll  # sets DJANGO_ALLOW_ASYNC_UNSAFE

    add_sites(world)
    plan = create_plan(
        unit=world.sepaku, date=tomorrow(), teams=2, hours_per_team=1, created_by=world.kapolsek
    )
    too_wide = []
    with phone(locale="id-ID") as page:
        page.goto(f"{live_server.url}/masuk/")
        page.fill("#id_username", world.kapolsek.username)
        page.fill("#id_password", PASSWORD)
        page.click("main form button[type=submit]")
        page.wait_for_url(f"{live_server.url}/app/")
        for url in ["cakupan/", "", "baru/", f"{plan.pk}/"]:
            page.goto(f"{live_server.url}/app/rencana/{url}")
            too_wide += sideways_scroll(page)
        page.click(f"form[action='/app/rencana/{plan.pk}/setujui/'] button")
        page.wait_for_url(f"{live_server.url}/app/rencana/{plan.pk}/")
        too_wide += sideways_scroll(page)
    assert not too_wide
    plan.refresh_from_db()
    assert plan.status == "approved"
