"""Coverage at a fixed moment: visited within N days, overdue, never; roll-ups; "left alone"."""

from collections import Counter
from datetime import UTC, datetime, timedelta

import h3
import pytest

from patroli.elections.models import RiskScore
from patroli.patrols.coverage import (
    H3_RESOLUTION,
    NEVER,
    OVERDUE,
    VISITED,
    coverage,
    coverage_summary,
)
from patroli.patrols.models import Visit
from patroli.sites.models import Site
from patroli.units.models import Unit

pytestmark = pytest.mark.django_db

NOW = datetime(2024, 2, 14, 4, 0, tzinfo=UTC)


def visit(site, user, days_ago: float) -> Visit:
    return Visit.objects.create(
        site=site, unit=site.unit, recorded_by=user, started_at=NOW - timedelta(days=days_ago)
    )


def risk(site, score: float) -> None:
    RiskScore.objects.create(site=site, unit=site.unit, score=score, level="high", computed_at=NOW)


def site(world, name, village, lat=None, lng=None, kind=Site.Kind.MARKET) -> Site:
    return Site.objects.create(
        name=name, kind=kind, village_id=village, unit=world.sepaku, lat=lat, lng=lng
    )


@pytest.fixture
def places(world):
    """Sepaku: pps_bumi visited 2 days ago (and 30); market 10 days ago; mosque and church 40
    days ago (the church riskier); tps_bumi (no location) and the school never (the school has a
    visit tomorrow, which does not count yet)."""
    market = site(world, "Pasar Sepaku", "64.09.04.1005", -0.849258, 116.718974)
    mosque = site(world, "Masjid Sepaku", "64.09.04.1005", -0.8496, 116.7193, Site.Kind.WORSHIP)
    church = site(world, "Gereja Sepaku", "64.09.04.1005", -0.8489, 116.7185, Site.Kind.WORSHIP)
    school = site(world, "SD Pemaluan", "64.09.04.1006", -1.020152, 116.607239, Site.Kind.SCHOOL)
    visit(world.pps_bumi, world.officer, 2)
    visit(world.pps_bumi, world.officer, 30)
    visit(market, world.officer, 10)
    visit(mosque, world.officer, 40)
    visit(church, world.officer, 40)
    visit(school, world.officer, -1)
    visit(world.pps_penajam, world.other_officer, 1)
    risk(mosque, 20)
    risk(church, 70)
    risk(school, 90)
    return {"market": market, "mosque": mosque, "church": church, "school": school}


def by_name(result):
    return {s.site.name: s for s in result.sites}


def test_statuses_within_seven_days(world, places):
    result = coverage(world.sepaku, days=7, now=NOW)
    sites = by_name(result)
    assert {name: s.status for name, s in sites.items()} == {
        world.pps_bumi.name: VISITED,
        "Pasar Sepaku": OVERDUE,
        "Masjid Sepaku": OVERDUE,
        "Gereja Sepaku": OVERDUE,
        world.tps_bumi.name: NEVER,
        "SD Pemaluan": NEVER,  # the visit of tomorrow does not count
    }
    assert sites[world.pps_bumi.name].last_visit_at == NOW - timedelta(days=2)
    assert sites[world.pps_bumi.name].days_since == 2.0
    assert sites["SD Pemaluan"].last_visit_at is None
    assert world.pps_penajam.name not in sites  # another unit
    total = result.total
    assert (total.total, total.visited, total.overdue, total.never) == (6, 1, 3, 2)
    assert (total.visited_pct, total.overdue_pct, total.never_pct) == (16.7, 50.0, 33.3)


def test_the_period_decides(world, places):
    result = coverage(world.sepaku, days=14, now=NOW)
    assert by_name(result)["Pasar Sepaku"].status == VISITED
    assert (result.total.visited, result.total.overdue) == (2, 2)
    later = coverage(world.sepaku, days=7, now=NOW + timedelta(days=2))
    assert by_name(later)["SD Pemaluan"].status == VISITED  # its visit has happened by then


def test_left_alone_order(world, places):
    result = coverage(world.sepaku, days=7, now=NOW)
    assert [s.site.name for s in result.left_alone] == [
        "SD Pemaluan",  # never, risk 90
        world.tps_bumi.name,  # never, no stored score: 50
        "Gereja Sepaku",  # 40 days, risk 70
        "Masjid Sepaku",  # 40 days, risk 20
        "Pasar Sepaku",  # 10 days
    ]
    assert [s.risk for s in result.left_alone] == [90, 50, 70, 20, 50]


def test_roll_up_per_village_worst_first(world, places):
    result = coverage(world.sepaku, days=7, now=NOW)
    rows = [(t.key, t.total, t.visited, t.overdue, t.never, t.visited_pct) for t in result.villages]
    assert rows == [
        ("64.09.04.1005", 3, 0, 3, 0, 0.0),
        ("64.09.04.1006", 1, 0, 0, 1, 0.0),
        ("64.09.04.2004", 2, 1, 0, 1, 50.0),
    ]
    assert result.villages[0].label == "Sepaku"


def test_roll_up_per_unit(world, places):
    result = coverage(world.polres, days=7, now=NOW)
    assert [(t.label, t.total, t.visited) for t in result.units] == [
        ("Polsek Penajam", 1, 1),
        ("Polsek Sepaku", 6, 1),
    ]
    assert result.total.total == 7
    only = coverage(Unit.objects.filter(pk=world.penajam.pk), days=7, now=NOW)
    assert [s.site.pk for s in only.sites] == [world.pps_penajam.pk]


def test_roll_up_per_h3_cell_skips_sites_without_location(world, places):
    result = coverage(world.sepaku, days=7, now=NOW)
    located = [s for s in result.sites if s.site.has_location]
    expected = Counter(h3.latlng_to_cell(s.site.lat, s.site.lng, H3_RESOLUTION) for s in located)
    assert {t.key: t.total for t in result.cells} == dict(expected)
    assert sum(t.total for t in result.cells) == 5  # TPS 001 has no location
    assert by_name(result)[world.tps_bumi.name].cell is None
    market_cell = h3.latlng_to_cell(-0.849258, 116.718974, H3_RESOLUTION)
    assert h3.get_resolution(market_cell) == 7
    cell = next(t for t in result.cells if t.key == market_cell)
    assert cell.lat == pytest.approx(h3.cell_to_latlng(market_cell)[0], abs=1e-6)
    assert cell.total >= 1


def test_one_query(world, places, django_assert_num_queries):
    with django_assert_num_queries(1):
        result = coverage(world.polres, days=7, now=NOW)
        assert len(result.left_alone) == 5


def test_no_sites(world):
    result = coverage(Unit.objects.none(), days=7, now=NOW)
    assert result.total.total == 0 and result.total.visited_pct == 0.0
    assert result.left_alone == [] and result.cells == []


def tallies(rows):
    return [(t.key, t.label, t.total, t.visited, t.overdue, t.never) for t in rows]


def heads(statuses):
    return [(s.site.pk, s.status, s.last_visit_at, s.days_since, s.risk, s.cell) for s in statuses]


@pytest.mark.parametrize("days", [7, 14])
def test_summary_counts_what_coverage_does(world, places, days):
    for units in (world.sepaku, world.polres, Unit.objects.filter(pk=world.penajam.pk)):
        full = coverage(units, days=days, now=NOW)
        summary = coverage_summary(units, days=days, now=NOW, left_alone=3)
        assert tallies([summary.total]) == tallies([full.total])
        assert tallies(summary.units) == tallies(full.units)
        assert tallies(summary.villages) == tallies(full.villages)
        assert heads(summary.left_alone) == heads(full.left_alone[:3])
        assert summary.total.left_alone == len(full.left_alone)
        assert summary.sites == [] and summary.cells == []


def test_summary_two_queries_whatever_the_sites(world, places, django_assert_num_queries):
    with django_assert_num_queries(2):
        result = coverage_summary(world.polres, days=7, now=NOW, left_alone=100)
        assert [s.site.village.name for s in result.left_alone][:1] == ["Pemaluan"]
    empty = coverage_summary(Unit.objects.none(), days=7, now=NOW)
    assert empty.total.total == 0 and empty.left_alone == [] and empty.villages == []
