"""The figures of a dashboard or a report, each from one aggregate query over a ``Scope``.

Nothing here loads rows to count them in Python: the number of queries is fixed whatever the size
of the data (the dashboard tests hold this), and the database's indexes do the work.

"Today" is the last day of the scope's period, so that the dashboard and the daily report of a past
day show what that day looked like. Coverage counts the sites visited within ``COVERAGE_DAYS``
days up to the end of that day; concerns open and overdue are as of the end of that day too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from patroli.concerns.models import Concern
from patroli.elections.models import Incident, RiskScore, Stage
from patroli.patrols.models import Dialogue

from .scope import Scope, day_bounds

COVERAGE_DAYS = 7
RISKIEST = 5
# The visits and concerns are counted by their "unit" (never null), not their "pk": the unit
# indexes of both tables include every column these counts read (patrols.Visit and
# concerns.Concern, Meta.indexes), so on PostgreSQL a unit's rows are counted from the index
# alone, without reading the table (an index-only scan; COUNT(id) would need the table's id).
INDEXED = "unit"


@dataclass
class KeyFigures:
    day: dt.date
    visits_day: int
    visits_week: int
    visits_period: int
    attendees_period: int
    sites_total: int
    sites_covered: int
    concerns_new: int
    concerns_open: int
    concerns_overdue: int
    concerns_resolved: int
    incidents: dict[str, int]
    stage: Stage | None
    riskiest: list = field(default_factory=list)

    @property
    def coverage_pct(self) -> float:
        return round(100 * self.sites_covered / self.sites_total, 1) if self.sites_total else 0.0

    @property
    def incidents_total(self) -> int:
        return sum(self.incidents.values())


def open_at(moment: dt.datetime) -> Q:
    """Concerns still open at ``moment`` (created before it): open now, or resolved after it."""
    return Q(created_at__lt=moment) & (Q(status__in=Concern.OPEN) | Q(resolved_at__gte=moment))


@dataclass
class VisitDays:
    """The visits of each local day from ``first`` to ``last``: how many, the attendees of their
    dialogues, and the dialogues by community response. One query over the period's visits
    alone feeds the key figures and both day charts: the visit holds its dialogue's response
    and head count, since joining the dialogues meant reading every dialogue of the country
    (0.2 s a query for a Polda's week at Jawa Tengah's size, seconds at the national one)."""

    first: dt.date
    last: dt.date
    visits: dict[dt.date, int] = field(default_factory=dict)
    attendees: dict[dt.date, int] = field(default_factory=dict)
    responses: dict[dt.date, dict[str, int]] = field(default_factory=dict)

    def covers(self, scope: Scope) -> bool:
        return self.first <= scope.start and scope.end <= self.last

    def total(self, counts: dict[dt.date, int], start: dt.date, end: dt.date) -> int:
        return sum(n for day, n in counts.items() if start <= day <= end)


def visit_days(scope: Scope) -> VisitDays:
    """:class:`VisitDays` for the scope's period and the week up to its last day (what
    :func:`key_figures` needs), in one query."""
    first = min(scope.start, scope.end - dt.timedelta(days=COVERAGE_DAYS - 1))
    begin, finish = day_bounds(first, scope.end)
    days = VisitDays(first, scope.end)
    rows = (
        scope.visits(period=False)
        .filter(started_at__gte=begin, started_at__lt=finish)
        .annotate(day=_local_day("started_at"))
        .values("day", "response")  # the dialogue's, copied onto the visit: no join
        .annotate(n=Count(INDEXED), people=Sum("attendees"))
        .order_by()
    )
    for row in rows:
        day, response = row["day"], row["response"]
        days.visits[day] = days.visits.get(day, 0) + row["n"]
        days.attendees[day] = days.attendees.get(day, 0) + (row["people"] or 0)
        if response in Dialogue.Response.values:
            days.responses.setdefault(day, {})[response] = row["n"]
    return days


def _days_of(scope: Scope, days: VisitDays | None) -> VisitDays:
    return days if days is not None and days.covers(scope) else visit_days(scope)


def key_figures(scope: Scope, days: VisitDays | None = None) -> KeyFigures:
    """Seven queries, whatever the size of the scope (six when given ``days``, the scope's
    :func:`visit_days`)."""
    day_end = day_bounds(scope.end, scope.end)[1]
    week_start, _ = day_bounds(scope.end - dt.timedelta(days=COVERAGE_DAYS - 1), scope.end)
    period_start, period_end = scope.bounds
    days = _days_of(scope, days)
    week_first = scope.end - dt.timedelta(days=COVERAGE_DAYS - 1)
    v = {
        "day": days.visits.get(scope.end, 0),
        "week": days.total(days.visits, week_first, scope.end),
        "period": days.total(days.visits, scope.start, scope.end),
        "attendees": days.total(days.attendees, scope.start, scope.end),
    }

    # Covered: a visit in the 7 days, i.e. the last one before the end of the day is in them
    # (read from the site itself for a current day: sites.models.last_visit).
    s = (
        scope.sites()
        .with_last_visit(day_end, inclusive=False)
        .aggregate(total=Count("pk"), covered=Count("pk", filter=Q(last_visit_at__gte=week_start)))
    )

    concerns = scope.concerns(period=False).filter(created_at__lt=day_end)
    still_open = open_at(day_end)
    c = concerns.aggregate(
        new=Count(INDEXED, filter=Q(created_at__gte=period_start)),
        open=Count(INDEXED, filter=still_open),
        overdue=Count(INDEXED, filter=still_open & Q(due_at__lt=min(day_end, timezone.now()))),
        resolved=Count(
            INDEXED, filter=Q(resolved_at__gte=period_start, resolved_at__lt=period_end)
        ),
    )

    incidents = {severity: 0 for severity in Incident.Severity.values}
    for row in scope.incidents().values("severity").annotate(n=Count("pk")).order_by():
        incidents[row["severity"]] = row["n"]

    riskiest = list(
        scope.sites()
        .filter(risk__isnull=False)
        .select_related("village", "risk")
        .order_by("-risk__score", "name", "pk")[:RISKIEST]
    )
    stage = Stage.objects.current(scope.end)

    return KeyFigures(
        day=scope.end,
        visits_day=v["day"],
        visits_week=v["week"],
        visits_period=v["period"],
        attendees_period=v["attendees"],
        sites_total=s["total"],
        sites_covered=s["covered"],
        concerns_new=c["new"],
        concerns_open=c["open"],
        concerns_overdue=c["overdue"],
        concerns_resolved=c["resolved"],
        incidents=incidents,
        stage=stage,
        riskiest=riskiest,
    )


# -- series for charts -----------------------------------------------------------------------


def _days(scope: Scope) -> list[dt.date]:
    return [scope.start + dt.timedelta(days=i) for i in range(scope.days)]


class LocalDate(TruncDate):
    """The local calendar day of a moment. On SQLite Django computes it in Python, row by row;
    for a zone without daylight saving (all of Indonesia's) SQLite's own date() does it."""

    def as_sqlite(self, compiler, connection, **extra_context):
        tz = self.tzinfo
        january = dt.datetime(2024, 1, 1, tzinfo=tz).utcoffset()
        if january is None or january != dt.datetime(2024, 7, 1, tzinfo=tz).utcoffset():
            return super().as_sqlite(compiler, connection, **extra_context)
        sql, params = compiler.compile(self.lhs)
        minutes = int(january.total_seconds() // 60)
        return f"date({sql}, %s)", (*params, f"{minutes:+d} minutes")


def _local_day(field_name: str) -> TruncDate:
    return LocalDate(field_name, tzinfo=timezone.get_current_timezone())


def visits_per_day(scope: Scope, days: VisitDays | None = None) -> list[tuple[dt.date, int]]:
    days = _days_of(scope, days)
    return [(day, days.visits.get(day, 0)) for day in _days(scope)]


def response_per_day(
    scope: Scope, days: VisitDays | None = None
) -> list[tuple[dt.date, dict[str, int]]]:
    """Community response (positive, neutral, negative) of the dialogues, per day."""
    days = _days_of(scope, days)
    empty = dict.fromkeys(Dialogue.Response.values, 0)
    return [(day, {**empty, **days.responses.get(day, {})}) for day in _days(scope)]


def concerns_by_category(scope: Scope) -> list[tuple[str, int]]:
    rows = (
        scope.concerns()
        .values("category__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "category__name")
    )
    return [(row["category__name"], row["n"]) for row in rows]


def concerns_by_status(scope: Scope) -> list[tuple[str, str, int]]:
    """(status, label, count) in the lifecycle's order, every status with at least one."""
    counts = {
        row["status"]: row["n"]
        for row in scope.concerns().values("status").annotate(n=Count("pk")).order_by()
    }
    return [
        (value, str(label), counts[value])
        for value, label in Concern.Status.choices
        if counts.get(value)
    ]


def risk_levels(scope: Scope) -> dict[str, int]:
    """How many of the scope's sites stand at each risk level."""
    counts = dict.fromkeys(RiskScore.Level.values, 0)
    for row in (
        scope.sites()
        .filter(risk__isnull=False)
        .values("risk__level")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        counts[row["risk__level"]] = row["n"]
    return counts
