"""Coverage at a fixed moment: visited within N days, overdue, never; roll-ups; "left alone"."""

from collections import Counter
from datetime import UTC, datetime, timedelta

import h3
import pytest

from patroli.elections.models import RiskScore
from patroli.patrols.coverage import (
    H3_RESOLUTION,
    LEFT_ALONE,
    NEVER,
    OVERDUE,
    STATUSES,
    VISITED,
    SiteStatuses,
    coverage_cells,
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


def every(units, days=7, now=NOW, status=None):
    return SiteStatuses(units, days=days, now=now, status=status)[:]


def by_name(statuses):
    return {s.site.name: s for s in statuses}


def test_statuses_within_seven_days(world, places):
    sites = by_name(every(world.sepaku))
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
    total = coverage_summary(world.sepaku, days=7, now=NOW).total
    assert (total.total, total.visited, total.overdue, total.never) == (6, 1, 3, 2)
    assert (total.visited_pct, total.overdue_pct, total.never_pct) == (16.7, 50.0, 33.3)


def test_the_period_decides(world, places):
    assert by_name(every(world.sepaku, days=14))["Pasar Sepaku"].status == VISITED
    total = coverage_summary(world.sepaku, days=14, now=NOW).total
    assert (total.visited, total.overdue) == (2, 2)
    later = every(world.sepaku, now=NOW + timedelta(days=2))
    assert by_name(later)["SD Pemaluan"].status == VISITED  # its visit has happened by then


def test_left_alone_order(world, places):
    # Never visited, no stored score (50) like TPS 001: after it by name.
    site(world, "Pos Ronda Sepaku", "64.09.04.1005")
    alone = every(world.sepaku, status=LEFT_ALONE)
    assert [s.site.name for s in alone] == [
        "SD Pemaluan",  # never, risk 90
        "Pos Ronda Sepaku",  # never, 50, by name
        world.tps_bumi.name,  # never, 50
        "Gereja Sepaku",  # 40 days, risk 70
        "Masjid Sepaku",  # 40 days, risk 20
        "Pasar Sepaku",  # 10 days
    ]
    assert [s.risk for s in alone] == [90, 50, 50, 70, 20, 50]
    assert [s.site.name for s in SiteStatuses(world.sepaku, now=NOW, status=LEFT_ALONE)[2:4]] == [
        world.tps_bumi.name,
        "Gereja Sepaku",
    ]
    with pytest.raises(TypeError):
        SiteStatuses(world.sepaku, now=NOW)[0]
    summary = coverage_summary(world.sepaku, days=7, now=NOW)
    assert [s.site.pk for s in summary.left_alone] == [s.site.pk for s in alone]
    # Every site: the same order, the visited ones last.
    assert [s.site.pk for s in every(world.sepaku)] == [
        *(s.site.pk for s in alone),
        world.pps_bumi.pk,
    ]


@pytest.mark.parametrize("status", [*STATUSES, LEFT_ALONE])
def test_statuses_filtered_and_paged(world, places, status):
    everything = every(world.sepaku)
    wanted = [
        s
        for s in everything
        if s.status == status or (status == LEFT_ALONE and s.status != VISITED)
    ]
    statuses = SiteStatuses(world.sepaku, days=7, now=NOW, status=status)
    assert statuses.count() == len(wanted) > 0
    assert [s.site.pk for s in statuses[:]] == [s.site.pk for s in wanted]
    assert [s.site.pk for s in statuses[1:3]] == [s.site.pk for s in wanted[1:3]]


def test_roll_up_per_village_worst_first(world, places):
    result = coverage_summary(world.sepaku, days=7, now=NOW)
    rows = [(t.key, t.total, t.visited, t.overdue, t.never, t.visited_pct) for t in result.villages]
    assert rows == [
        ("64.09.04.1005", 3, 0, 3, 0, 0.0),
        ("64.09.04.1006", 1, 0, 0, 1, 0.0),
        ("64.09.04.2004", 2, 1, 0, 1, 50.0),
    ]
    assert result.villages[0].label == "Sepaku"


def test_roll_up_per_unit(world, places):
    result = coverage_summary(world.polres, days=7, now=NOW)
    assert [(t.label, t.total, t.visited) for t in result.units] == [
        ("Polsek Penajam", 1, 1),
        ("Polsek Sepaku", 6, 1),
    ]
    assert result.total.total == 7
    only = every(Unit.objects.filter(pk=world.penajam.pk))
    assert [s.site.pk for s in only] == [world.pps_penajam.pk]


def test_roll_up_per_h3_cell_skips_sites_without_location(world, places):
    statuses = every(world.sepaku)
    located = [s for s in statuses if s.site.has_location]
    expected = Counter(h3.latlng_to_cell(s.site.lat, s.site.lng, H3_RESOLUTION) for s in located)
    assert {s.cell for s in located} == set(expected)
    cells = coverage_cells(world.sepaku, days=7, now=NOW)
    assert {t.key: t.total for t in cells} == dict(expected)
    assert sum(t.total for t in cells) == 5  # TPS 001 has no location
    assert by_name(statuses)[world.tps_bumi.name].cell is None
    market_cell = h3.latlng_to_cell(-0.849258, 116.718974, H3_RESOLUTION)
    assert h3.get_resolution(market_cell) == 7
    cell = next(t for t in cells if t.key == market_cell)
    assert cell.lat == pytest.approx(h3.cell_to_latlng(market_cell)[0], abs=1e-6)
    # Each cell counts the statuses of its sites.
    for tally in cells:
        mine = Counter(s.status for s in located if s.cell == tally.key)
        assert (tally.visited, tally.overdue, tally.never) == (
            mine[VISITED],
            mine[OVERDUE],
            mine[NEVER],
        )
    assert [t.visited_pct for t in cells] == sorted(t.visited_pct for t in cells)


def test_no_sites(world):
    result = coverage_summary(Unit.objects.none(), days=7, now=NOW)
    assert result.total.total == 0 and result.total.visited_pct == 0.0
    assert result.left_alone == [] and result.villages == []
    assert every(Unit.objects.none()) == [] and coverage_cells(Unit.objects.none()) == []


def tallies(rows):
    return [(t.key, t.label, t.total, t.visited, t.overdue, t.never) for t in rows]


def counted(statuses, key, label) -> list[tuple]:
    """The tallies the summary should give, counted here from every site's status."""
    groups: dict = {}
    for s in statuses:
        groups.setdefault(key(s), [label(s), Counter()])[1][s.status] += 1
    return [
        (k, name, sum(c.values()), c[VISITED], c[OVERDUE], c[NEVER])
        for k, (name, c) in groups.items()
    ]


@pytest.mark.parametrize("days", [7, 14])
def test_summary_counts_what_the_statuses_say(world, places, days):
    for units in (world.sepaku, world.polres, Unit.objects.filter(pk=world.penajam.pk)):
        statuses = every(units, days=days)
        summary = coverage_summary(units, days=days, now=NOW, left_alone=3)
        assert tallies([summary.total]) == counted(statuses, lambda s: "all", lambda s: "")
        by_village = counted(statuses, lambda s: s.site.village_id, lambda s: s.site.village.name)
        assert sorted(tallies(summary.villages)) == sorted(by_village)
        by_unit = counted(statuses, lambda s: str(s.site.unit_id), lambda s: s.site.unit.name)
        assert sorted(tallies(summary.units)) == sorted(by_unit)
        alone = [s for s in statuses if s.status != VISITED]
        assert [(s.site.pk, s.status, s.days_since, s.risk) for s in summary.left_alone] == [
            (s.site.pk, s.status, s.days_since, s.risk) for s in alone[:3]
        ]
        assert summary.total.left_alone == len(alone)


def test_summary_two_queries_whatever_the_sites(world, places, django_assert_num_queries):
    with django_assert_num_queries(2):
        result = coverage_summary(world.polres, days=7, now=NOW, left_alone=100)
        assert [s.site.village.name for s in result.left_alone][:1] == ["Pemaluan"]
        assert result.left_alone[0].site.get_kind_display() == Site.Kind.SCHOOL.label
    with django_assert_num_queries(1):
        coverage_summary(world.polres, days=7, now=NOW, left_alone=0)
    odd = result.left_alone[0].site
    odd.kind = "gone"  # a kind no longer offered shows as stored, as Django's own display does
    assert odd.get_kind_display() == "gone"
    empty = coverage_summary(Unit.objects.none(), days=7, now=NOW)
    assert empty.total.total == 0 and empty.left_alone == [] and empty.villages == []


@pytest.mark.parametrize("days_before", [0, 5, 35, -2])
def test_each_sites_last_visit_is_the_orms(world, places, days_before):
    """Coverage writes its SQL by hand; each site's last visit as of a moment is what the ORM's
    ``with_last_visit`` says, also for a moment before the site's latest visit (5 days before:
    Bumi Harapan's PPS office was last visited 2 days ago, so its visit of 30 days ago counts)."""
    moment = NOW - timedelta(days=days_before)
    orm = dict(
        Site.objects.filter(unit__path__startswith=world.polres.path)
        .with_last_visit(moment)
        .values_list("pk", "last_visit_at")
    )
    statuses = every(world.polres, now=moment)
    assert {s.site.pk: s.last_visit_at for s in statuses} == orm
    assert sum(last is not None for last in orm.values()) >= 2
    summary = coverage_summary(world.polres, days=7, now=moment, left_alone=0)
    assert summary.total.total - summary.total.never == sum(v is not None for v in orm.values())


def test_a_unit_counts_its_own_subtree_even_with_a_wildcard_in_its_code(world, places):
    """A subtree is a LIKE on the unit's path: an underscore in a code matches itself only
    (PostgreSQL's test; SQLite also bounds the path by a range, which excludes it as well)."""
    odd = Unit.objects.create(code="polsek_x", name="Polsek X", level="polsek", parent=world.polres)
    near = Unit.objects.create(
        code="polsek-x", name="Polsek Y", level="polsek", parent=world.polres
    )
    Site.objects.create(
        name="Pasar Y", kind=Site.Kind.MARKET, village_id="64.09.04.1005", unit=near
    )
    assert coverage_summary(odd, now=NOW).total.total == 0
    assert every(odd) == [] and SiteStatuses(odd, now=NOW).count() == 0
    assert coverage_summary(near, now=NOW).total.total == 1


def test_a_list_of_units_and_an_empty_one(world, places):
    both = [world.sepaku, world.penajam]
    assert coverage_summary(both, now=NOW).total.total == 7
    assert SiteStatuses(both, now=NOW, status=NEVER).count() == 2
    assert coverage_summary([], now=NOW).total.total == 0
    assert SiteStatuses([], now=NOW).count() == 0 and every([]) == []


@pytest.mark.parametrize(
    "text",
    [
        "2024-01-23 02:15:30.123456",
        "2024-01-23 02:15:30",
        "2024-01-23T02:15:30.5+08:00",
        "2024-01-23T02:15:30-05:00",
        "2024-01-23T02:15:30Z",
        "2024-01-23",
    ],
)
def test_a_time_read_as_text_is_the_time_djangos_converter_gives(world, text):
    from django.db import connection

    from patroli.patrols.coverage import _Scope

    scope = _Scope(world.sepaku, NOW)
    read = scope.datetime(text)
    expected = datetime.fromisoformat(text)
    if expected.tzinfo is None:
        expected = expected.replace(tzinfo=connection.timezone)
    assert read == expected and read.utcoffset() == expected.utcoffset()
    if connection.vendor == "sqlite":  # the converter of the backend that answers text
        django = connection.ops.convert_datetimefield_value(text, None, connection)
        assert read == django and read.tzinfo == django.tzinfo
    aware = datetime(2024, 1, 23, 2, 15, tzinfo=UTC)
    assert scope.datetime(aware) is aware and scope.datetime(None) is None
    assert scope.datetime(aware.replace(tzinfo=None)) == aware
