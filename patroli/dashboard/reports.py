"""The content of the daily report (Laporan Harian) and the periodic analysis (Anev) of a unit.

``daily_report(scope)`` and ``anev_report(scope)`` gather everything a report shows into plain
dataclasses; ``report_pdf`` and ``report_xlsx`` only lay them out. Both read through a ``Scope``,
so a report holds exactly what its reader may see, and the figures come from ``figures.py``, so a
report agrees with the dashboard of the same unit and day.

Bounded whatever the size of the unit: a fixed number of queries (the tests hold this), and the
detail tables list at most ``MAX_ROWS`` rows (``LEFT_ALONE_ROWS`` for the sites left alone), each
with the true total so that the document can say how many it left out. The exports give every row.

Labels (statuses, kinds) are resolved in the active language when the report is gathered: gather
and render under the same language.

Never in a report: the name, phone or e-mail of whoever reported a concern, nor its description
(the attachments travel by e-mail; the tracking code leads to the record in the app).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Generic, TypeVar

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from patroli.concerns.models import Concern
from patroli.elections.models import Incident, Stage
from patroli.patrols.models import Dialogue, Visit
from patroli.regions.models import Region
from patroli.units.models import Officer, Unit

from .figures import (
    COVERAGE_DAYS,
    KeyFigures,
    concerns_by_category,
    concerns_by_status,
    key_figures,
    response_per_day,
    visit_days,
    visits_per_day,
)
from .scope import Scope, day_bounds

MAX_ROWS = 500
LEFT_ALONE_ROWS = 25
PERIODS = ("week", "month")

T = TypeVar("T")


# -- rows ----------------------------------------------------------------------------------------


@dataclass
class Table(Generic[T]):
    """Up to a cap of rows, and how many there are in all."""

    rows: list[T]
    total: int
    cap: int = MAX_ROWS

    @property
    def more(self) -> int:
        return max(self.total - len(self.rows), 0)


@dataclass
class VisitRow:
    started_at: dt.datetime
    ended_at: dt.datetime | None
    kind: str
    site: str
    village: str
    unit: str
    officers: list[str]
    recorded_by: str
    attendees: int | None  # None: no dialogue recorded
    participants: list[str]
    response: str
    appeals: list[str]
    concerns: list[str]
    far_from_site: bool


@dataclass
class ConcernRow:
    code: str
    created_at: dt.datetime
    category: str
    status: str
    source: str
    village: str
    site: str
    unit: str
    due_at: dt.datetime | None


@dataclass
class IncidentRow:
    occurred_at: dt.datetime
    kind: str
    severity: str  # the value (green, yellow, red), for colour
    severity_label: str
    status: str
    village: str
    site: str
    unit: str
    description: str


@dataclass
class SiteRow:
    name: str
    kind: str
    village: str
    unit: str
    last_visit_at: dt.datetime | None  # None: never visited
    days_since: int | None


@dataclass
class RiskRow:
    name: str
    village: str
    score: float
    level: str


@dataclass
class StageInfo:
    election: str
    name: str
    kind: str
    starts_on: dt.date
    ends_on: dt.date
    days_to_voting: int | None  # H-minus: days from the report's day to the voting day


@dataclass
class Change:
    """One figure of the Anev against the previous period of equal length."""

    label: str
    current: float
    previous: float
    unit: str = ""  # "%" for a percentage

    @property
    def change(self) -> float:
        return round(self.current - self.previous, 1)

    @property
    def change_pct(self) -> float | None:
        """The change as a percentage of the previous value; None when that was zero."""
        if not self.previous:
            return None
        return round(100 * (self.current - self.previous) / self.previous, 1)


# -- reports -------------------------------------------------------------------------------------


@dataclass
class Report:
    scope: Scope
    unit: Unit | None
    unit_name: str
    village_name: str  # the village (or district) filter, "" for the whole unit
    letterhead: list[str]
    generated_at: dt.datetime
    signatory: Officer | None
    signatory_title: str
    figures: KeyFigures
    stage: StageInfo | None
    riskiest: list[RiskRow]
    response_mix: dict[str, int]  # positive / neutral / negative -> dialogues
    new_concerns: Table[ConcernRow]
    incidents: Table[IncidentRow]
    overdue: Table[ConcernRow]
    left_alone: Table[SiteRow]

    @property
    def start(self) -> dt.date:
        return self.scope.start

    @property
    def end(self) -> dt.date:
        return self.scope.end

    @property
    def code(self) -> str:
        return self.unit.code if self.unit else "all"


@dataclass
class DailyReport(Report):
    visits: Table[VisitRow] = field(default_factory=lambda: Table([], 0))
    week: list[tuple[dt.date, int]] = field(default_factory=list)  # visits a day, 7 days to date

    @property
    def day(self) -> dt.date:
        return self.scope.end

    def filename(self, ext: str) -> str:
        return f"laporan-harian-{self.code}-{self.day.isoformat()}.{ext}"


@dataclass
class AnevReport(Report):
    previous_start: dt.date = dt.date.min
    previous_end: dt.date = dt.date.min
    changes: list[Change] = field(default_factory=list)
    sites_visited: int = 0  # sites visited at least once in the period
    per_day: list[tuple[dt.date, int, dict[str, int]]] = field(default_factory=list)
    by_category: list[tuple[str, int]] = field(default_factory=list)
    by_status: list[tuple[str, str, int]] = field(default_factory=list)
    by_incident_kind: list[tuple[str, int]] = field(default_factory=list)

    @property
    def coverage_pct(self) -> float:
        total = self.figures.sites_total
        return round(100 * self.sites_visited / total, 1) if total else 0.0

    def filename(self, ext: str) -> str:
        return f"anev-{self.code}-{self.start.isoformat()}-{self.end.isoformat()}.{ext}"


# -- building ------------------------------------------------------------------------------------


def daily_report(scope: Scope) -> DailyReport:
    """The day ``scope.end`` of the scope's unit (a one-day scope is expected)."""
    day = replace(scope, start=scope.end)
    days = visit_days(day)  # the day and the week before it
    figures = key_figures(day, days)
    week = visits_per_day(replace(day, start=day.end - dt.timedelta(days=COVERAGE_DAYS - 1)), days)
    return DailyReport(
        **_common(day, figures, response_per_day(day, days)),
        visits=_visits(day),
        week=week,
    )


def anev_report(scope: Scope) -> AnevReport:
    """The period of ``scope``, compared with the period of equal length just before it."""
    previous = previous_scope(scope)
    days = visit_days(scope)
    figures = key_figures(scope, days)
    before = key_figures(previous)
    visited, visited_before = _sites_visited(scope, previous)
    responses = response_per_day(scope, days)
    per_visits = visits_per_day(scope, days)
    per_day = [
        (day, count, mix) for (day, count), (_day, mix) in zip(per_visits, responses, strict=True)
    ]

    total = figures.sites_total

    def pct(n: int, of: int) -> float:
        return round(100 * n / of, 1) if of else 0.0

    changes = [
        Change(_("Visits"), figures.visits_period, before.visits_period),
        Change(_("Attendees of dialogues"), figures.attendees_period, before.attendees_period),
        Change(_("New concerns"), figures.concerns_new, before.concerns_new),
        Change(_("Concerns resolved"), figures.concerns_resolved, before.concerns_resolved),
        Change(_("Incidents"), figures.incidents_total, before.incidents_total),
        Change(_("Sites visited"), visited, visited_before),
        Change(_("Coverage of sites"), pct(visited, total), pct(visited_before, total), "%"),
    ]
    kinds = dict(Incident.Kind.choices)
    by_kind = [
        (str(kinds.get(row["kind"], row["kind"])), row["n"])
        for row in scope.incidents().values("kind").annotate(n=Count("pk")).order_by("-n", "kind")
    ]
    return AnevReport(
        **_common(scope, figures, responses),
        previous_start=previous.start,
        previous_end=previous.end,
        changes=changes,
        sites_visited=visited,
        per_day=per_day,
        by_category=concerns_by_category(scope),
        by_status=concerns_by_status(scope),
        by_incident_kind=by_kind,
    )


def previous_scope(scope: Scope) -> Scope:
    end = scope.start - dt.timedelta(days=1)
    return replace(scope, start=end - dt.timedelta(days=scope.days - 1), end=end)


def period_start(end: dt.date, period: str) -> dt.date:
    """The first day of the week (7 days) or month (one calendar month back) ending on ``end``.

    A month ending on 31 March starts on 1 March; one ending on 23 January starts on 24 December.
    """
    if period == "week":
        return end - dt.timedelta(days=6)
    if period == "month":
        year, month = (end.year, end.month - 1) if end.month > 1 else (end.year - 1, 12)
        day = min(end.day, calendar.monthrange(year, month)[1])
        return dt.date(year, month, day) + dt.timedelta(days=1)
    raise ValueError(period)


def _common(scope: Scope, figures: KeyFigures, responses) -> dict:
    unit = scope.unit
    signatory = _signatory(unit)
    mix = dict.fromkeys(Dialogue.Response.values, 0)
    for _day, counts in responses:
        for key, n in counts.items():
            mix[key] = mix.get(key, 0) + n
    return {
        "scope": scope,
        "unit": unit,
        "unit_name": unit.name if unit else _("All units"),
        "village_name": _village_name(scope.village),
        "letterhead": letterhead(unit),
        "generated_at": timezone.now(),
        "signatory": signatory,
        "signatory_title": signatory_title(unit, signatory),
        "figures": figures,
        "stage": _stage(figures.stage, scope.end),
        "riskiest": [
            RiskRow(
                name=site.name,
                village=site.village.name,
                score=round(site.risk.score, 1),
                level=site.risk.get_level_display(),
            )
            for site in figures.riskiest
        ],
        "response_mix": mix,
        "new_concerns": _new_concerns(scope, figures.concerns_new),
        "incidents": _incidents(scope, figures.incidents_total),
        "overdue": _overdue(scope),
        "left_alone": _left_alone(scope, figures.sites_total - figures.sites_covered),
    }


def _capped(queryset, cap: int = MAX_ROWS, total: int | None = None) -> tuple[list, int]:
    """The first ``cap`` rows, and the total (counted only when the cap was reached)."""
    rows = list(queryset[:cap])
    if len(rows) < cap:
        return rows, len(rows)
    return rows, total if total is not None else queryset.count()


# Official names are not translated: the letterhead (kop surat) reads the same in any language.
NATIONAL = "KEPOLISIAN NEGARA REPUBLIK INDONESIA"
_TITLE_WORDS = {
    "polda": "DAERAH",
    "polrestabes": "RESOR KOTA BESAR",
    "polresta": "RESOR KOTA",
    "polres": "RESOR",
    "polsekta": "SEKTOR KOTA",
    "polsek": "SEKTOR",
}


def letterhead(unit: Unit | None) -> list[str]:
    """KEPOLISIAN NEGARA REPUBLIK INDONESIA / DAERAH KALIMANTAN TIMUR / ... / SEKTOR SEPAKU."""
    lines = [NATIONAL]
    if unit is None:
        return lines
    codes = [code for code in unit.path.split("/") if code]
    for ancestor in Unit.objects.filter(code__in=codes).order_by("path"):
        first, _sep, rest = ancestor.name.partition(" ")
        if first.lower() in _TITLE_WORDS and rest:
            lines.append(f"{_TITLE_WORDS[first.lower()]} {rest}".upper())
        else:
            lines.append(f"{_TITLE_WORDS[ancestor.level]} {ancestor.name}".upper())
    return lines


def _village_name(code: str) -> str:
    if not code:
        return ""
    region = Region.objects.filter(code=code).only("name").first()
    return f"{region.name} ({code})" if region else code


def _signatory(unit: Unit | None) -> Officer | None:
    if unit is None:
        return None
    return (
        Officer.objects.filter(unit=unit, role=Officer.Role.COMMANDER, is_active=True)
        .order_by("pk")
        .first()
    )


def signatory_title(unit: Unit | None, officer: Officer | None) -> str:
    """The position of whoever signs: the officer's own, or Kapolsek Sepaku from the unit."""
    if officer is not None and officer.position.strip():
        return officer.position.strip()
    if unit is None:
        return ""
    if unit.name.startswith("Pol"):
        return "Ka" + unit.name[0].lower() + unit.name[1:]
    return _("Commander, %(unit)s") % {"unit": unit.name}


def _stage(stage: Stage | None, day: dt.date) -> StageInfo | None:
    if stage is None:
        return None
    return StageInfo(
        election=stage.election,
        name=stage.name,
        kind=stage.get_kind_display(),
        starts_on=stage.starts_on,
        ends_on=stage.ends_on,
        days_to_voting=(stage.voting_day - day).days
        if stage.voting_day and stage.voting_day >= day
        else None,
    )


def _name(user) -> str:
    return user.display_name if user is not None else ""


def _visits(scope: Scope) -> Table[VisitRow]:
    visits = (
        scope.visits()
        .select_related("site__village", "unit", "recorded_by", "dialogue")
        .prefetch_related(
            Prefetch("officers", queryset=Officer.objects.order_by("last_name", "first_name")),
            "dialogue__participants",
            "dialogue__appeals",
            Prefetch(
                "concerns",
                queryset=Concern.objects.select_related("category").order_by("created_at"),
            ),
        )
        .order_by("started_at", "pk")
    )
    records, total = _capped(visits)
    rows = []
    for visit in records:
        dialogue = getattr(visit, "dialogue", None)
        rows.append(
            VisitRow(
                started_at=visit.started_at,
                ended_at=visit.ended_at,
                kind=visit.get_kind_display(),
                site=visit.site.name,
                village=visit.site.village.name,
                unit=visit.unit.name,
                officers=[o.display_name for o in visit.officers.all()],
                recorded_by=_name(visit.recorded_by),
                attendees=dialogue.attendees if dialogue else None,
                participants=[
                    ", ".join(part for part in (p.name, p.role, p.organisation) if part)
                    for p in dialogue.participants.all()
                ]
                if dialogue
                else [],
                response=dialogue.get_response_display() if dialogue and dialogue.response else "",
                appeals=[a.title for a in dialogue.appeals.all()] if dialogue else [],
                concerns=[f"{c.display_code} {c.category.name}" for c in visit.concerns.all()],
                far_from_site=visit.far_from_site,
            )
        )
    return Table(rows, total)


def _concern_row(concern: Concern) -> ConcernRow:
    return ConcernRow(
        code=concern.display_code,
        created_at=concern.created_at,
        category=concern.category.name,
        status=concern.get_status_display(),
        source=concern.get_source_display(),
        village=concern.village.name,
        site=concern.site.name if concern.site else "",
        unit=concern.unit.name,
        due_at=concern.due_at,
    )


def _concerns(queryset):
    # Only what a row shows: the reporter's contact and the description are never loaded.
    return queryset.select_related("category", "village", "site", "unit").only(
        "tracking_code",
        "created_at",
        "status",
        "source",
        "due_at",
        "category__name",
        "village__name",
        "site__name",
        "unit__name",
    )


def _new_concerns(scope: Scope, total: int) -> Table[ConcernRow]:
    records, total = _capped(_concerns(scope.concerns()).order_by("created_at", "pk"), total=total)
    return Table([_concern_row(c) for c in records], total)


def _overdue(scope: Scope) -> Table[ConcernRow]:
    """Open at the end of the day and past their due time (as ``key_figures`` counts them)."""
    _start, day_end = day_bounds(scope.end, scope.end)
    still_open = Q(status__in=Concern.OPEN) | Q(resolved_at__gte=day_end)
    overdue = (
        _concerns(scope.concerns(period=False))
        .filter(still_open, created_at__lt=day_end, due_at__lt=min(day_end, timezone.now()))
        .order_by("due_at", "pk")
    )
    records, total = _capped(overdue)
    return Table([_concern_row(c) for c in records], total)


def _incidents(scope: Scope, total: int) -> Table[IncidentRow]:
    incidents = (
        scope.incidents().select_related("village", "site", "unit").order_by("occurred_at", "pk")
    )
    records, total = _capped(incidents, total=total)
    return Table(
        [
            IncidentRow(
                occurred_at=i.occurred_at,
                kind=i.get_kind_display(),
                severity=i.severity,
                severity_label=i.get_severity_display(),
                status=i.get_status_display(),
                village=i.village.name,
                site=i.site.name if i.site else "",
                unit=i.unit.name,
                description=_shorten(i.description, 300),
            )
            for i in records
        ],
        total,
    )


def _left_alone(scope: Scope, total: int) -> Table[SiteRow]:
    """Sites not visited in the ``COVERAGE_DAYS`` days to the end of the day: never first.

    Only visits up to the end of the report's day count, so that the report of a past day shows
    that day.
    """
    week_start, day_end = day_bounds(scope.end - dt.timedelta(days=COVERAGE_DAYS - 1), scope.end)
    sites = (
        scope.sites()
        .with_last_visit(day_end, inclusive=False)
        .filter(Q(last_visit_at__isnull=True) | Q(last_visit_at__lt=week_start))
        .select_related("village", "unit")
        .order_by(F("last_visit_at").asc(nulls_first=True), "name", "pk")
    )
    records, total = _capped(sites, LEFT_ALONE_ROWS, total)
    rows = []
    for site in records:
        last_at = site.last_visit_at
        rows.append(
            SiteRow(
                name=site.name,
                kind=site.get_kind_display(),
                village=site.village.name,
                unit=site.unit.name,
                last_visit_at=last_at,
                days_since=(scope.end - timezone.localdate(last_at)).days if last_at else None,
            )
        )
    return Table(rows, total, LEFT_ALONE_ROWS)


def _sites_visited(scope: Scope, previous: Scope) -> tuple[int, int]:
    """Sites visited at least once in the period, and in the previous one: one query."""
    begin, finish = scope.bounds
    before, _until = previous.bounds
    visits = Visit.objects.filter(site=OuterRef("pk"))
    counts = (
        scope.sites()
        .annotate(
            seen=Exists(visits.filter(started_at__gte=begin, started_at__lt=finish)),
            seen_before=Exists(visits.filter(started_at__gte=before, started_at__lt=begin)),
        )
        .aggregate(
            now=Count("pk", filter=Q(seen=True)), then=Count("pk", filter=Q(seen_before=True))
        )
    )
    return counts["now"], counts["then"]


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
