"""The dashboard: figures agree with the database, the gate holds, queries are bounded."""

import datetime as dt
import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from conftest import PASSWORD
from patroli.concerns.models import Category, Concern
from patroli.concerns.services import open_concern
from patroli.dashboard import figures
from patroli.dashboard.scope import Scope, ScopeError
from patroli.elections.models import Incident
from patroli.elections.services import record_incident
from patroli.patrols.services import DialogueData, record_visit
from patroli.sites.models import Site

TZ = dt.timezone(dt.timedelta(hours=8))  # WITA
DAY = dt.date(2024, 1, 23)


def at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=TZ)


def logged_in(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def visit(world, site, when, response="positive", by=None):
    return record_visit(
        recorded_by=by
        or (world.officer if site.unit_id == world.sepaku.pk else world.other_officer),
        site=site,
        started_at=when,
        ended_at=when + dt.timedelta(hours=1),
        dialogue=DialogueData(participants=[], attendees=9, response=response),
    )[0]


def concern(world, village, when, **fields):
    made = open_concern(
        source=Concern.Source.STAFF,
        category=Category.objects.order_by("pk").first(),
        description="Baliho dipasang di pagar sekolah",
        village=village,
        reporter_name="Ibu Rahasia",
        reporter_phone="081234567890",
        **fields,
    )
    Concern.objects.filter(pk=made.pk).update(created_at=when, due_at=when + dt.timedelta(days=5))
    made.refresh_from_db()
    return made


@pytest.fixture
def busy(world):
    """Sepaku: three visits around 23 January, two concerns, an incident; Penajam: one of each."""
    bumi = world.pps_bumi.village
    visit(world, world.pps_bumi, at(DAY, 10))
    visit(world, world.tps_bumi, at(DAY, 14), response="negative")
    visit(world, world.pps_bumi, at(DAY - dt.timedelta(days=3), 9), response="neutral")
    visit(world, world.pps_bumi, at(DAY - dt.timedelta(days=20), 9))
    concern(world, bumi, at(DAY, 11))
    concern(world, bumi, at(DAY - dt.timedelta(days=10), 11))
    record_incident(
        recorded_by=world.officer,
        kind=Incident.Kind.MONEY_POLITICS,
        severity=Incident.Severity.YELLOW,
        occurred_at=at(DAY, 15),
        village=bumi,
        site=world.tps_bumi,
    )
    visit(world, world.pps_penajam, at(DAY, 10))
    concern(world, world.pps_penajam.village, at(DAY, 12))
    record_incident(
        recorded_by=world.other_officer,
        kind=Incident.Kind.MONEY_POLITICS,
        severity=Incident.Severity.RED,
        occurred_at=at(DAY, 16),
        village=world.pps_penajam.village,
    )
    return world


def scope_for(user, **params):
    from django.http import QueryDict

    query = QueryDict(mutable=True)
    query.update(params)
    return Scope.from_params(user, query)


def test_key_figures_agree_with_the_database(busy):
    key = figures.key_figures(scope_for(busy.kapolsek, date="2024-01-23"))
    assert key.visits_day == 2
    assert key.visits_week == 3  # the 23rd twice and the 20th
    assert key.visits_period == 2
    assert key.attendees_period == 18
    assert (key.sites_total, key.sites_covered) == (2, 2)
    assert key.coverage_pct == 100.0
    assert key.concerns_new == 1
    assert key.concerns_open == 2
    assert key.concerns_overdue == 1  # the one of the 13th, due on the 18th
    assert key.incidents == {"green": 0, "yellow": 1, "red": 0}
    assert [s.pk for s in key.riskiest] == []  # no risk computed in this world

    polres = figures.key_figures(scope_for(busy.commander, date="2024-01-23"))
    assert polres.visits_day == 3
    assert polres.sites_total == 3
    assert polres.concerns_open == 3
    assert polres.incidents == {"green": 0, "yellow": 1, "red": 1}


def test_a_past_day_is_seen_as_it_was(busy):
    # On the 21st only the visit of the 20th is within seven days; the 23rd has not happened.
    key = figures.key_figures(scope_for(busy.kapolsek, date="2024-01-21"))
    assert (key.visits_day, key.visits_week) == (0, 1)
    assert (key.sites_total, key.sites_covered) == (2, 1)
    assert key.concerns_open == 1  # the one of the 13th; the 23rd's did not exist yet
    assert key.concerns_overdue == 1  # due on the 18th


def test_series_count_each_day(busy):
    scope = scope_for(busy.kapolsek, **{"from": "2024-01-20", "to": "2024-01-23"})
    assert figures.visits_per_day(scope) == [
        (dt.date(2024, 1, 20), 1),
        (dt.date(2024, 1, 21), 0),
        (dt.date(2024, 1, 22), 0),
        (dt.date(2024, 1, 23), 2),
    ]
    responses = dict(figures.response_per_day(scope))
    assert responses[dt.date(2024, 1, 23)] == {"positive": 1, "neutral": 0, "negative": 1}
    assert responses[dt.date(2024, 1, 20)]["neutral"] == 1
    assert figures.concerns_by_status(scope)[0][::2] == ("received", 1)
    assert sum(n for _, n in figures.concerns_by_category(scope)) == 1


def test_village_filter_narrows_everything(busy):
    key = figures.key_figures(
        scope_for(busy.commander, date="2024-01-23", village=busy.pps_penajam.village_id)
    )
    assert (key.visits_day, key.sites_total, key.concerns_open) == (1, 1, 1)
    assert key.incidents["red"] == 1 and key.incidents["yellow"] == 0


def test_bad_filters_name_the_parameter(world):
    with pytest.raises(ScopeError) as caught:
        scope_for(world.kapolsek, **{"from": "2024-02-30", "village": "x'; --"})
    assert set(caught.value.errors) == {"from", "village"}
    with pytest.raises(ScopeError) as caught:
        scope_for(world.kapolsek, **{"from": "2024-01-24", "to": "2024-01-23"})
    assert set(caught.value.errors) == {"from"}
    with pytest.raises(ScopeError):
        scope_for(world.kapolsek, **{"from": "2020-01-01", "to": "2024-01-23"})


def test_commander_sees_the_dashboard_and_the_officer_todays_sites(busy):
    page = logged_in(busy.kapolsek).get("/app/?date=2024-01-23")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Polsek Sepaku" in html and 'id="dash-map"' in html
    assert "<svg" in html  # the charts
    assert "reports/daily.pdf?unit=polsek-sepaku" in html
    officer = logged_in(busy.officer).get("/app/")
    assert 'id="dash-map"' not in officer.content.decode()
    assert busy.pps_bumi.name in officer.content.decode()
    # Officers may open their unit's dashboard on purpose.
    assert logged_in(busy.officer).get("/app/dasbor/").status_code == 200


def test_polres_dashboard_lists_the_units_below(busy):
    html = logged_in(busy.commander).get("/app/?date=2024-01-23").content.decode()
    assert "Polsek Sepaku" in html and "Polsek Penajam" in html
    assert "unit=polsek-penajam" in html


def test_the_village_filter_lists_the_units_villages_or_takes_a_code(busy, monkeypatch):
    from patroli.dashboard import views

    def choices(user, **params):
        page = logged_in(user).get("/app/dasbor/", params)
        assert page.status_code == 200
        villages = page.context["villages"]
        return None if villages is None else [(v.code, v.name) for v in villages]

    Site.objects.create(
        name="Pasar Sepaku", kind=Site.Kind.MARKET, village_id="64.09.04.1005", unit=busy.sepaku
    )
    sepaku = [("64.09.04.2004", "Bumi Harapan"), ("64.09.04.1005", "Sepaku")]  # by name
    assert choices(busy.kapolsek) == sepaku
    petung = busy.pps_penajam.village_id
    assert petung not in dict(choices(busy.kapolsek))  # another unit's village: never
    polres = dict(choices(busy.commander))
    assert {petung, "64.09.04.2004"} <= set(polres)
    everything = dict(choices(busy.admin))  # no unit: every unit's sites
    assert set(everything) == set(Site.objects.values_list("village_id", flat=True))
    monkeypatch.setattr(views, "MAX_VILLAGE_CHOICES", 1)  # too many to list: a code field
    assert choices(busy.kapolsek) is None and choices(busy.admin) is None
    assert choices(busy.kapolsek, unit="polsek-sepaku") is None


def test_another_units_dashboard_is_not_found(busy):
    client = logged_in(busy.kapolsek)
    assert client.get("/app/?unit=polsek-penajam").status_code == 404
    assert client.get("/app/?unit=polres-ppu").status_code == 404
    assert client.get("/app/peta/visits.geojson?unit=polsek-penajam").status_code == 404
    assert logged_in(busy.commander).get("/app/?unit=polsek-penajam").status_code == 200
    assert logged_in(busy.no_unit).get("/app/dasbor/").status_code == 404
    assert Client().get("/app/dasbor/").status_code == 302


def test_bad_dates_answer_400_with_the_form(busy):
    with translation.override("en"):
        page = logged_in(busy.kapolsek).get("/app/?from=23-01-2024", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 400
    assert 'role="alert"' in page.content.decode()
    layer = logged_in(busy.kapolsek).get(
        "/app/peta/visits.geojson?to=kemarin", HTTP_ACCEPT="application/geo+json"
    )
    assert layer.status_code == 400 and "to" in layer.json()["errors"]


def test_map_layers_hold_the_scope_and_no_contact_details(busy):
    client = logged_in(busy.kapolsek)
    q = "date=2024-01-23"
    villages = client.get(f"/app/peta/villages.geojson?{q}").json()
    assert [f["properties"]["code"] for f in villages["features"]] == ["64.09.04.2004"]
    bumi = villages["features"][0]["properties"]
    assert (bumi["sites"], bumi["visits"], bumi["concerns"], bumi["incidents"]) == (2, 2, 2, 1)
    visits = client.get(f"/app/peta/visits.geojson?{q}").json()
    # The TPS has no point and its visit no check-in: it is left off the map.
    assert (len(visits["features"]), visits["total"], visits["truncated"]) == (1, 1, False)
    concerns = client.get(f"/app/peta/concerns.geojson?{q}")
    assert len(concerns.json()["features"]) == 1
    assert b"Ibu Rahasia" not in concerns.content and b"0812" not in concerns.content
    incidents = client.get(f"/app/peta/incidents.geojson?{q}").json()
    assert [f["properties"]["severity"] for f in incidents["features"]] == ["yellow"]
    heat = client.get(f"/app/peta/heat.geojson?{q}").json()
    assert sum(f["properties"]["count"] for f in heat["features"]) == 2  # a concern, an incident
    assert heat["features"][0]["geometry"]["type"] == "Polygon"
    assert client.get("/app/peta/secrets.geojson").status_code == 404


def test_map_layers_take_a_token(busy, api):
    assert api(busy.commander).get("/app/peta/visits.geojson?date=2024-01-23").status_code == 200
    bad = Client(headers={"Authorization": "Bearer nope"}).get("/app/peta/visits.geojson")
    assert bad.status_code == 401


def _more(world, n):
    sites = [
        Site.objects.create(
            name=f"TPS {i:03d} Bumi Harapan",
            kind=Site.Kind.TPS,
            village_id="64.09.04.2004" if i % 2 else "64.09.04.2001",
            unit=world.sepaku,
            lat=-0.92 - i / 1000,
            lng=116.58,
        )
        for i in range(n)
    ]
    for i, site in enumerate(sites):
        visit(world, site, at(DAY, 8) + dt.timedelta(minutes=i))
        concern(world, site.village, at(DAY, 9))


def assert_queries_stay_the_same(world, url):
    """The page costs as many queries with 12 more sites, visits and concerns as without."""
    client = logged_in(world.commander)
    client.get(url)  # warm the session and the caches

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    before = count()
    _more(world, 12)
    assert count() == before


@pytest.mark.parametrize("url", ["/app/?date=2024-01-23", "/app/?unit=polres-ppu&date=2024-01-23"])
def test_dashboard_queries_do_not_grow_with_the_data(busy, url):
    assert_queries_stay_the_same(busy, url)


@pytest.mark.parametrize("layer", ["villages", "visits", "concerns", "incidents", "heat"])
def test_map_layer_queries_do_not_grow_with_the_data(busy, layer):
    assert_queries_stay_the_same(busy, f"/app/peta/{layer}.geojson?date=2024-01-23")


def test_page_embeds_valid_map_configuration(busy):
    html = logged_in(busy.kapolsek).get("/app/").content.decode()
    start = html.index('id="dash-map-config"')
    body = html[html.index(">", start) + 1 : html.index("</script>", start)]
    config = json.loads(body)
    assert set(config["layers"]) == {"villages", "visits", "concerns", "incidents", "heat"}
    assert 'data-boundaries="/peta/batas/64.09.04.geojson"' in html
    assert timezone.localdate().isoformat() in html


def test_days_are_counted_in_local_time(world):
    # 00:30 WITA on the 23rd is 16:30 UTC on the 22nd: it belongs to the 23rd.
    visit(world, world.pps_bumi, at(DAY, 0) + dt.timedelta(minutes=30))
    visit(world, world.pps_bumi, at(DAY, 23) + dt.timedelta(minutes=50))
    scope = scope_for(world.kapolsek, **{"from": "2024-01-22", "to": "2024-01-24"})
    assert [n for _, n in figures.visits_per_day(scope)] == [0, 2, 0]
    assert [sum(r.values()) for _, r in figures.response_per_day(scope)] == [0, 2, 0]
