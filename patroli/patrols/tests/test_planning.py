"""Patrol plans: the solvers on plain data, stored plans, commander edits, approval, check-ins."""

import sys
import types
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.utils import timezone

from patroli.core.bulk import Batch
from patroli.elections.models import RiskScore
from patroli.patrols import planning
from patroli.patrols import services as visit_services
from patroli.patrols.models import PatrolPlan, PlanStop, Visit
from patroli.patrols.planning import (
    Candidate,
    Instance,
    Params,
    PlanError,
    approve_plan,
    create_plan,
    generate_instance,
    mark_stop_done,
    mark_stops_done,
    move_stop,
    plan_greedy,
    plan_ortools,
    plan_routes,
    remove_stop,
    stop_value,
    time_route,
    todays_stops,
)
from patroli.sites.models import Site

DAY = date(2030, 1, 15)
OFFICE = (-0.9200, 116.5800)

# Sepaku sites around the Polsek office, 0.5-2 km away; the last one is 60 km away.
NEAR = [
    ("Pasar Bumi Harapan", -0.9150, 116.5850),
    ("Masjid Al-Ikhlas", -0.9250, 116.5750),
    ("SD 001 Sepaku", -0.9280, 116.5880),
    ("Gereja Bethel", -0.9120, 116.5720),
    ("Balai Desa Bumi Harapan", -0.9300, 116.5700),
    ("Pos Ronda RT 04", -0.9100, 116.5900),
]


def add_sites(world, *, office=True, far=True) -> list[Site]:
    """The Polsek office (the depot), six located sites near it, and one far away."""
    if office:
        Site.objects.create(
            name="Markas Polsek Sepaku",
            kind=Site.Kind.OTHER,
            village_id="64.09.04.2004",
            unit=world.sepaku,
            lat=OFFICE[0],
            lng=OFFICE[1],
        )
    sites = [
        Site.objects.create(
            name=name,
            kind=Site.Kind.MARKET,
            village_id="64.09.04.2004",
            unit=world.sepaku,
            lat=lat,
            lng=lng,
        )
        for name, lat, lng in NEAR
    ]
    if far:
        sites.append(
            Site.objects.create(
                name="Pos Jauh",
                kind=Site.Kind.OTHER,
                village_id="64.09.04.1008",
                unit=world.sepaku,
                lat=-1.45,
                lng=116.90,
            )
        )
    return sites


def sepaku_site_ids(world) -> set[int]:
    return set(Site.objects.filter(unit=world.sepaku).values_list("pk", flat=True))


def check_feasible(plan: PatrolPlan, allowed: set[int]) -> None:
    """No route over its minutes, no site twice, only allowed located sites; times add up."""
    stops = list(plan.stops.select_related("site"))
    site_ids = [s.site_id for s in stops]
    assert len(site_ids) == len(set(site_ids))
    assert set(site_ids) <= allowed
    assert all(s.site.has_location for s in stops)
    start = planning.plan_start(plan.date)
    for route in plan_routes(plan):
        assert route.minutes <= plan.hours_per_team * 60
        assert not route.over
        assert [s.order for s in route.stops] == list(range(1, len(route.stops) + 1))
        at = start
        for stop in route.stops:
            at += timedelta(minutes=stop.travel_minutes)
            assert abs((stop.eta - at).total_seconds()) < 60
            at = stop.eta + timedelta(minutes=stop.dwell_minutes)


# -- the core, on plain data -------------------------------------------------------------------


def test_value_weights_the_time_since_the_last_visit():
    assert stop_value(50, 0) == 50
    assert stop_value(50, 15) == 75
    assert stop_value(50, 60) == 150
    assert stop_value(50, 400) == 150  # capped
    assert stop_value(50, None) == 150  # never visited counts as the cap


def test_travel_time_is_distance_times_road_factor_at_speed():
    params = Params(speed_kmh=30, road_factor=1.4, dwell_min=20)
    a, b = (0.0, 116.0), (0.1, 116.0)  # 11.12 km
    seconds = params.travel_s(a, b)
    assert seconds == pytest.approx(11119.5 * 1.4 / (30 / 3.6), abs=2)
    assert params.travel_s(a, a) == 0
    travel, arrive, total, back = time_route(params, a, [b], [1200])
    assert travel == [seconds] and arrive == [seconds] and back == seconds
    assert total == 2 * seconds + 1200


def assert_feasible(instance: Instance, solution) -> None:
    keys = solution.keys()
    assert len(keys) == len(set(keys))
    assert set(keys) <= {c.key for c in instance.candidates}
    points = {c.key: c.point for c in instance.candidates}
    assert len(solution.routes) == instance.teams
    for route in solution.routes:
        stops = route.stops
        _travel, arrive, total, _back = time_route(
            instance.params,
            instance.depot,
            [points[s.key] for s in stops],
            [s.dwell_s for s in stops],
        )
        assert total == route.seconds <= instance.capacity_s
        assert arrive == [s.arrive_s for s in stops]


@pytest.mark.parametrize("solver", ["greedy", "ortools"])
@pytest.mark.parametrize("size", [(12, 1, 2), (25, 2, 3), (40, 3, 2)])
def test_solutions_are_feasible(solver, size):
    instance = generate_instance(*size, seed=3)
    if solver == "greedy":
        solution = plan_greedy(instance)
    else:
        solution = plan_ortools(instance, time_limit_s=0.3)
    assert_feasible(instance, solution)
    assert solution.keys()
    assert solution.value == pytest.approx(
        sum(c.value for c in instance.candidates if c.key in set(solution.keys()))
    )


@pytest.mark.parametrize(("size", "seed"), [((15, 1, 2), 0), ((30, 2, 3), 1), ((40, 2, 4), 2)])
def test_ortools_is_at_least_as_good_as_greedy(size, seed):
    instance = generate_instance(*size, seed=seed)
    greedy = plan_greedy(instance)
    best = plan_ortools(instance, time_limit_s=1)
    assert best.value >= greedy.value - 1e-9
    assert_feasible(instance, best)


def test_unreachable_and_worthless_sites_are_left_out():
    params = Params()
    instance = Instance(
        depot=OFFICE,
        candidates=(
            Candidate(key=1, lat=-0.915, lng=116.585, risk=40, days_since=3),
            Candidate(key=2, lat=-1.45, lng=116.90, risk=100),  # 70 km away: not in 1 hour
            Candidate(key=3, lat=-0.925, lng=116.575, risk=0),  # worth nothing
        ),
        teams=2,
        minutes_per_team=60,
        params=params,
    )
    for solution in (plan_greedy(instance), plan_ortools(instance, time_limit_s=0.2)):
        assert solution.keys() == [1]
    empty = Instance(depot=OFFICE, candidates=(), teams=1, minutes_per_team=60)
    assert plan_ortools(empty, time_limit_s=0.1).routes[0].stops == ()


def test_greedy_is_deterministic():
    instance = generate_instance(60, 3, 4, seed=7)
    assert plan_greedy(instance).routes == plan_greedy(instance).routes


# -- stored plans ------------------------------------------------------------------------------


@pytest.fixture
def fast(settings, monkeypatch):
    """Short searches; sites without a stored score count as 50 (as without the risk module),
    so that the values below are known."""
    settings.PATROLI_PLAN_TIME_LIMIT_S = 0.3
    monkeypatch.setitem(sys.modules, "patroli.elections.risk", None)


@pytest.fixture
def plan(world, fast):
    add_sites(world)
    return create_plan(
        unit=world.sepaku, date=DAY, teams=2, hours_per_team=1, created_by=world.kapolsek
    )


@pytest.mark.django_db
@pytest.mark.parametrize("solver", ["ortools", "greedy"])
def test_create_plan_is_feasible_and_only_the_units_sites(world, fast, solver):
    sites = add_sites(world)
    plan = create_plan(
        unit=world.sepaku,
        date=DAY,
        teams=2,
        hours_per_team=1,
        created_by=world.kapolsek,
        solver=solver,
    )
    assert plan.status == PatrolPlan.Status.DRAFT and plan.solver in {"ortools", "greedy"}
    office = Site.objects.get(name="Markas Polsek Sepaku")
    check_feasible(plan, sepaku_site_ids(world) - {office.pk})
    stops = list(plan.stops.all())
    # Two teams of an hour: two stops each (a third one's 20 minutes would not fit).
    assert len(stops) == 4
    assert sites[-1].pk not in {s.site_id for s in stops}  # 60 km away
    assert world.tps_bumi.pk not in {s.site_id for s in stops}  # no location
    first = plan.stops.get(team=1, order=1)
    local = timezone.localtime(first.eta, timezone.get_default_timezone())
    assert local.date() == DAY and local.time() > time(8, 0)
    travel = Params().travel_s(OFFICE, (first.site.lat, first.site.lng)) / 60
    assert first.travel_minutes == pytest.approx(travel, abs=0.1)  # from the Polsek office
    # Never visited, no stored risk: 50 each, weighted ×3.
    assert plan.risk_covered == pytest.approx(4 * 150)
    assert all(s.risk == 50 and s.dwell_minutes == 20 for s in stops)


@pytest.mark.django_db
def test_a_polres_plan_covers_its_polsek_and_uses_the_centroid_without_an_office(world, fast):
    add_sites(world, office=False, far=False)
    plan = create_plan(
        unit=world.polres, date=DAY, teams=3, hours_per_team=8, created_by=world.commander
    )
    allowed = set(Site.objects.filter(lat__isnull=False).values_list("pk", flat=True))
    check_feasible(plan, allowed)
    depot, office = planning.find_depot(world.polres)
    assert office is None
    located = list(Site.objects.filter(lat__isnull=False))
    assert depot == pytest.approx(
        (sum(s.lat for s in located) / len(located), sum(s.lng for s in located) / len(located))
    )
    # Penajam (50 km south) is reachable in 8 hours: every located site is planned.
    assert plan.stops.count() == len(located)


@pytest.mark.django_db
def test_no_located_site_is_refused(world, fast):
    Site.objects.filter(unit=world.sepaku).update(lat=None, lng=None)
    with pytest.raises(PlanError) as caught:
        create_plan(
            unit=world.sepaku, date=DAY, teams=1, hours_per_team=1, created_by=world.kapolsek
        )
    assert caught.value.status == 422 and caught.value.field == "unit"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("teams", "hours", "field"), [(0, 2, "teams"), (21, 2, "teams"), (1, 0.4, "hours_per_team")]
)
def test_request_limits(world, fast, teams, hours, field):
    with pytest.raises(PlanError) as caught:
        create_plan(unit=world.sepaku, date=DAY, teams=teams, hours_per_team=hours, created_by=None)
    assert caught.value.field == field


@pytest.mark.django_db
def test_risk_and_recency_choose_the_stops(world, fast):
    sites = add_sites(world, far=False)
    start = planning.plan_start(DAY)
    for s in sites:
        RiskScore.objects.create(site=s, unit=s.unit, score=10, level="low", computed_at=start)
        Visit.objects.create(
            site=s, unit=s.unit, recorded_by=world.officer, started_at=start - timedelta(days=1)
        )
    hot = sites[4]
    RiskScore.objects.filter(site=hot).update(score=95)
    plan = create_plan(
        unit=world.sepaku, date=DAY, teams=1, hours_per_team=0.5, created_by=world.kapolsek
    )
    # One stop fits in half an hour: the never-visited PPS office (50 × 3 = 150) beats the
    # riskiest site visited yesterday (95 × 1.03).
    assert [s.site_id for s in plan.stops.all()] == [world.pps_bumi.pk]
    assert plan.risk_covered == pytest.approx(150)


@pytest.mark.django_db
def test_only_the_most_valuable_sites_are_offered_beyond_the_limit(world, fast, settings):
    sites = add_sites(world, far=False)
    for s, score in zip(sites, [10, 90, 20, 80, 30, 40], strict=True):
        RiskScore.objects.create(
            site=s, unit=s.unit, score=score, level="low", computed_at=timezone.now()
        )
    settings.PATROLI_PLAN_MAX_SITES = 3
    prepared = planning.build_instance(unit=world.sepaku, date=DAY, teams=1, hours_per_team=1)
    # pps_bumi: no score, 50; never visited like the rest.
    assert [c.key for c in prepared.instance.candidates] == sorted(
        [sites[1].pk, sites[3].pk, world.pps_bumi.pk]
    )
    assert prepared.skipped == [world.tps_bumi]
    assert prepared.depot_site.name == "Markas Polsek Sepaku"


@pytest.mark.django_db
def test_unscored_sites_are_scored_by_the_risk_module_when_it_exists(world, settings):
    risk = pytest.importorskip("patroli.elections.risk")
    settings.PATROLI_PLAN_TIME_LIMIT_S = 0.2
    plan = create_plan(
        unit=world.sepaku, date=DAY, teams=1, hours_per_team=2, created_by=world.kapolsek
    )
    stop = plan.stops.get()
    assert stop.site == world.pps_bumi
    expected = risk.score_site(world.pps_bumi, now=planning.plan_start(DAY)).score
    assert stop.risk == pytest.approx(expected)


@pytest.mark.django_db
def test_risk_falls_back_to_50_or_to_score_site(world, monkeypatch):
    sites = list(Site.objects.filter(pk=world.pps_bumi.pk).select_related("risk"))
    monkeypatch.setitem(sys.modules, "patroli.elections.risk", None)  # the module is absent
    assert planning.site_risks(sites) == {world.pps_bumi.pk: 50.0}
    fake = types.ModuleType("patroli.elections.risk")
    fake.score_site = lambda site, now=None: types.SimpleNamespace(score=72.5, level="high")
    monkeypatch.setitem(sys.modules, "patroli.elections.risk", fake)
    assert planning.site_risks(sites) == {world.pps_bumi.pk: 72.5}
    assert planning.site_risks(sites, compute=False) == {world.pps_bumi.pk: 50.0}


# -- approval and edits ------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "status"),
    [("officer", 403), ("humas", 403), ("other_officer", 404), ("no_unit", 404)],
)
def test_only_commanders_approve(world, plan, persona, status):
    with pytest.raises(PlanError) as caught:
        approve_plan(plan=plan, actor=getattr(world, persona))
    assert caught.value.status == status
    plan.refresh_from_db()
    assert plan.status == PatrolPlan.Status.DRAFT and plan.approved_by is None


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["kapolsek", "commander", "admin"])
def test_commanders_approve(world, plan, persona):
    actor = getattr(world, persona)
    approved = approve_plan(plan=plan, actor=actor)
    assert approved.status == PatrolPlan.Status.APPROVED
    assert approved.approved_by == actor and approved.approved_at is not None
    again = approve_plan(plan=plan, actor=world.kapolsek)
    assert again.approved_by == actor  # approving twice changes nothing


@pytest.mark.django_db
def test_approving_a_second_plan_of_the_day_replaces_the_first(world, plan):
    approve_plan(plan=plan, actor=world.kapolsek)
    second = create_plan(
        unit=world.sepaku, date=DAY, teams=1, hours_per_team=1, created_by=world.kapolsek
    )
    approve_plan(plan=second, actor=world.kapolsek)
    plan.refresh_from_db()
    assert plan.status == PatrolPlan.Status.DRAFT and plan.approved_at is None
    assert PatrolPlan.objects.filter(status=PatrolPlan.Status.APPROVED).get() == second


@pytest.mark.django_db
def test_remove_stop_retimes_the_route(world, plan):
    first = plan.stops.get(team=1, order=1)
    second = plan.stops.get(team=1, order=2)
    eta_before = second.eta
    covered = plan.risk_covered
    remove_stop(stop=first, actor=world.kapolsek)
    plan.refresh_from_db()
    second.refresh_from_db()
    assert not PlanStop.objects.filter(pk=first.pk).exists()
    assert second.order == 1 and second.eta < eta_before
    assert plan.risk_covered == pytest.approx(covered - 150)
    check_feasible(plan, sepaku_site_ids(world))


@pytest.mark.django_db
def test_move_stop_within_and_between_teams(world, plan):
    a, b = plan.stops.filter(team=1).order_by("order")
    move_stop(stop=b, actor=world.kapolsek, team=1, order=1)
    assert list(plan.stops.filter(team=1).order_by("order")) == [b, a]
    check_feasible(plan, sepaku_site_ids(world))
    # Team 2 already has two stops: a third does not fit in its hour.
    with pytest.raises(PlanError) as caught:
        move_stop(stop=a, actor=world.kapolsek, team=2, order=1)
    assert caught.value.status == 409
    a.refresh_from_db()
    assert a.team == 1
    # Emptied of one stop, team 2 takes the other.
    remove_stop(stop=plan.stops.filter(team=2).first(), actor=world.kapolsek)
    move_stop(stop=a, actor=world.kapolsek, team=2, order=99)
    a.refresh_from_db()
    assert (a.team, a.order) == (2, 2)
    check_feasible(plan, sepaku_site_ids(world))


@pytest.mark.django_db
def test_edits_need_a_commander_and_a_draft(world, plan):
    stop = plan.stops.first()
    with pytest.raises(PlanError) as caught:
        remove_stop(stop=stop, actor=world.officer)
    assert caught.value.status == 403
    with pytest.raises(PlanError) as caught:
        move_stop(stop=stop, actor=world.other_officer, team=1, order=1)
    assert caught.value.status == 404
    approve_plan(plan=plan, actor=world.kapolsek)
    stop.refresh_from_db()
    with pytest.raises(PlanError) as caught:
        remove_stop(stop=stop, actor=world.kapolsek)
    assert caught.value.status == 409
    with pytest.raises(PlanError):
        move_stop(stop=stop, actor=world.kapolsek, team=3, order=1)
    assert PlanStop.objects.filter(pk=stop.pk).exists()


# -- check-ins and today -----------------------------------------------------------------------


def local(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)), timezone.get_default_timezone())


@pytest.mark.django_db
def test_mark_stop_done_on_the_plan_date_of_an_approved_plan(world, plan):
    stop = plan.stops.first()
    site = stop.site

    def check_in(at) -> Visit:
        return Visit.objects.create(
            site=site, unit=site.unit, recorded_by=world.officer, started_at=at
        )

    assert mark_stop_done(check_in(local(DAY, 9))) == 0  # still a draft
    approve_plan(plan=plan, actor=world.kapolsek)
    assert mark_stop_done(check_in(local(DAY - timedelta(days=1), 23))) == 0  # the day before
    done = check_in(local(DAY, 0) + timedelta(minutes=5))  # 00:05 local, 16:05 UTC the day before
    assert mark_stop_done(done) == 1
    stop.refresh_from_db()
    assert stop.done_by_visit == done
    assert mark_stop_done(check_in(local(DAY, 15))) == 0  # already done: the first visit stays
    stop.refresh_from_db()
    assert stop.done_by_visit == done
    # A visit as record_visit may hold it before a refresh: a string start.
    text = Visit(site=site, started_at=local(DAY, 9).astimezone(UTC).isoformat())
    assert mark_stop_done(text) == 0


@pytest.mark.django_db
@pytest.mark.parametrize("batched", [False, True])
def test_an_outbox_marks_each_stop_by_its_first_visit_that_day(world, plan, batched):
    """Several visits at once (a synced outbox; on PostgreSQL one statement for all of them):
    each stop is marked by the first of them, in their order, at its site on the plan's day."""
    approve_plan(plan=plan, actor=world.kapolsek)
    first, second, third = plan.stops.order_by("team", "order")[:3]

    def visit(stop, at) -> Visit:
        site = stop.site
        return Visit.objects.create(
            site=site, unit=site.unit, recorded_by=world.officer, started_at=at
        )

    visits = [
        visit(second, local(DAY, 9)),
        visit(first, local(DAY - timedelta(days=1), 10)),  # the day before: no stop
        visit(second, local(DAY, 8)),  # earlier, but after the other in the outbox
        visit(first, local(DAY, 11)),
    ]
    if batched:
        with Batch(PlanStop) as batch:
            assert mark_stops_done(visits, batch) is None
    else:
        assert mark_stops_done(visits) == 2
    done = dict(plan.stops.values_list("pk", "done_by_visit"))
    assert (done[first.pk], done[second.pk], done[third.pk]) == (visits[3].pk, visits[0].pk, None)
    assert mark_stops_done(visits) == 0  # marked already: the first visits stay


@pytest.mark.django_db
def test_record_visit_marks_the_planned_stop(world, plan):
    approve_plan(plan=plan, actor=world.kapolsek)
    stop = plan.stops.first()
    visit, _ = visit_services.record_visit(
        recorded_by=world.officer, site=stop.site, started_at=local(DAY, 10)
    )
    stop.refresh_from_db()
    assert stop.done_by_visit == visit


@pytest.mark.django_db
def test_todays_stops(world, fast):
    add_sites(world)
    today = timezone.localdate()
    plan = create_plan(
        unit=world.sepaku, date=today, teams=2, hours_per_team=1, created_by=world.kapolsek
    )
    assert todays_stops(world.officer) == []  # a draft
    approve_plan(plan=plan, actor=world.kapolsek)
    stops = todays_stops(world.officer)
    assert [(s.team, s.order) for s in stops] == [(1, 1), (1, 2), (2, 1), (2, 2)]
    assert todays_stops(world.commander) == stops
    assert todays_stops(world.other_officer) == []
    assert todays_stops(world.officer, today + timedelta(days=1)) == []
