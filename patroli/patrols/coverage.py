"""Patrol coverage: which sites were visited within the last N days, which are overdue, which were
never visited; rolled up per unit, per village and per H3 cell; and the "left alone" list.

A site is *visited* when its last visit started within ``days`` before ``now``, *overdue* when its
last visit is older, *never* visited when it has none. Visits that start after ``now`` do not
count (so a report as of a past moment is what it was then).

The roll-ups count sites by status. Sites without a location are left out of the H3 roll-up only
(resolution ``H3_RESOLUTION``, 7: cells of about 5 km², a village or a part of one).

The "left alone" list holds every site not visited within ``days``: never-visited sites first,
then the longest since the last visit, the highest risk first on ties. The risk is the stored
``RiskScore`` or ``planning.FALLBACK_RISK`` (50) when the site has none; unlike planning, coverage
does not compute missing scores, to stay one query.

Everything comes from one query: the sites, their village, unit and stored risk, annotated with
the start of their last visit. That loads every site, which takes seconds for a Polda's tens of
thousands: the coverage page uses :func:`coverage_summary` instead, the same figures counted by
the database and only the head of the "left alone" list (benchmarks/suite.py measures both).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import h3
from django.db.models import Count, F, FloatField, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from patroli.sites.models import Site
from patroli.units.models import Unit

from .planning import FALLBACK_RISK

VISITED, OVERDUE, NEVER = "visited", "overdue", "never"
STATUSES = (VISITED, OVERDUE, NEVER)
H3_RESOLUTION = 7


@dataclass(slots=True)
class Named:
    name: str


@dataclass(slots=True)
class SiteRef:
    """What coverage tells of a site (the fields a page or the API shows), read as a row."""

    COLUMNS = (
        *("pk", "name", "kind", "village_id", "village__name", "unit_id", "unit__name"),
        *("lat", "lng"),
    )

    pk: int
    name: str
    kind: str
    village_id: str
    village: Named
    unit_id: int
    unit: Named
    lat: float | None
    lng: float | None
    last_visit_at: datetime | None = None

    @classmethod
    def from_row(cls, row, names: dict) -> SiteRef:
        pk, name, kind, village_id, village_name, unit_id, unit_name, lat, lng = row
        village = names.setdefault(("village", village_id), Named(village_name))
        unit = names.setdefault(("unit", unit_id), Named(unit_name))
        return cls(pk, name, kind, village_id, village, unit_id, unit, lat, lng)

    @property
    def has_location(self) -> bool:
        return self.lat is not None and self.lng is not None


@dataclass
class SiteStatus:
    site: SiteRef | Site
    status: str
    last_visit_at: datetime | None
    days_since: float | None
    risk: float
    cell: str | None


@dataclass
class Tally:
    key: str
    label: str
    total: int = 0
    visited: int = 0
    overdue: int = 0
    never: int = 0
    lat: float | None = None  # the centre of an H3 cell
    lng: float | None = None

    def add(self, status: str) -> None:
        self.total += 1
        setattr(self, status, getattr(self, status) + 1)

    def add_counts(self, visited: int, overdue: int, never: int) -> None:
        self.total += visited + overdue + never
        self.visited += visited
        self.overdue += overdue
        self.never += never

    def _pct(self, count: int) -> float:
        return round(100 * count / self.total, 1) if self.total else 0.0

    @property
    def visited_pct(self) -> float:
        return self._pct(self.visited)

    @property
    def overdue_pct(self) -> float:
        return self._pct(self.overdue)

    @property
    def never_pct(self) -> float:
        return self._pct(self.never)

    @property
    def left_alone(self) -> int:
        return self.overdue + self.never

    def as_dict(self) -> dict:
        data = {
            "key": self.key,
            "label": self.label,
            "total": self.total,
            "visited": self.visited,
            "overdue": self.overdue,
            "never": self.never,
            "visited_pct": self.visited_pct,
            "overdue_pct": self.overdue_pct,
            "never_pct": self.never_pct,
        }
        if self.lat is not None:
            data.update(lat=self.lat, lng=self.lng)
        return data


@dataclass
class Coverage:
    days: int
    now: datetime
    sites: list[SiteStatus]
    total: Tally
    units: list[Tally] = field(default_factory=list)
    villages: list[Tally] = field(default_factory=list)
    cells: list[Tally] = field(default_factory=list)
    left_alone: list[SiteStatus] = field(default_factory=list)


def _units(units) -> QuerySet[Unit]:
    if isinstance(units, Unit):
        return units.subtree()
    if isinstance(units, QuerySet):
        return units
    return Unit.objects.filter(pk__in=[u.pk for u in units])


def _worst_first(tallies) -> list[Tally]:
    return sorted(tallies, key=lambda t: (t.visited_pct, -t.left_alone, t.label, t.key))


def coverage(units, *, days: int = 7, now: datetime | None = None) -> Coverage:
    """Coverage of the sites of ``units``: a unit (its whole subtree) or a queryset of units."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=days)
    rows = (
        Site.objects.filter(unit__in=_units(units))
        .with_last_visit(now)
        .annotate(
            risk_value=Coalesce("risk__score", Value(FALLBACK_RISK), output_field=FloatField())
        )
        .order_by("unit__path", "village_id", "name", "pk")
        .values_list(*SiteRef.COLUMNS, "last_visit_at", "risk_value")
    )
    # Plain rows, not model instances: a Polda has tens of thousands of sites.
    names: dict = {}
    sites, risks = [], {}
    for *columns, last_at, risk in rows:
        site = SiteRef.from_row(columns, names)
        site.last_visit_at = last_at
        sites.append(site)
        risks[site.pk] = float(risk)

    total = Tally(key="all", label="")
    per_unit: dict[int, Tally] = {}
    per_village: dict[str, Tally] = {}
    per_cell: dict[str, Tally] = {}
    statuses = []
    for site in sites:
        last_at = site.last_visit_at
        if last_at is None:
            status = NEVER
        elif last_at >= cutoff:
            status = VISITED
        else:
            status = OVERDUE
        cell = h3.latlng_to_cell(site.lat, site.lng, H3_RESOLUTION) if site.has_location else None
        statuses.append(
            SiteStatus(
                site=site,
                status=status,
                last_visit_at=last_at,
                days_since=None
                if last_at is None
                else round((now - last_at).total_seconds() / 86400, 1),
                risk=risks[site.pk],
                cell=cell,
            )
        )
        total.add(status)
        per_unit.setdefault(site.unit_id, Tally(str(site.unit_id), site.unit.name)).add(status)
        per_village.setdefault(site.village_id, Tally(site.village_id, site.village.name)).add(
            status
        )
        if cell is not None:
            if cell not in per_cell:
                lat, lng = h3.cell_to_latlng(cell)
                per_cell[cell] = Tally(cell, cell, lat=round(lat, 6), lng=round(lng, 6))
            per_cell[cell].add(status)

    left_alone = sorted(
        (s for s in statuses if s.status != VISITED),
        key=lambda s: (
            s.status != NEVER,
            s.last_visit_at or now,
            -s.risk,
            s.site.name,
            s.site.pk,
        ),
    )
    return Coverage(
        days=days,
        now=now,
        sites=statuses,
        total=total,
        units=list(per_unit.values()),  # in the order of the unit tree
        villages=_worst_first(per_village.values()),
        cells=_worst_first(per_cell.values()),
        left_alone=left_alone,
    )


def coverage_summary(
    units, *, days: int = 7, now: datetime | None = None, left_alone: int = 100
) -> Coverage:
    """What the coverage page shows, counted by the database: the same totals and roll-ups per
    unit and per village as :func:`coverage` (one grouped query), and the first ``left_alone``
    sites of its "left alone" list (one more). ``sites`` and ``cells`` stay empty; the whole
    list's length is ``total.left_alone``."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=days)
    # Each site's last visit up to now, read from the site itself (sites.models.last_visit):
    # counting a Polda's sites then reads no visit.
    sites = Site.objects.filter(unit__in=_units(units)).with_last_visit(now)
    visited = Q(last_visit_at__gte=cutoff)
    groups = (
        sites.values("unit_id", "unit__name", "unit__path", "village_id", "village__name")
        .annotate(
            total=Count("pk"),
            visited=Count("pk", filter=visited),
            seen=Count("pk", filter=Q(last_visit_at__isnull=False)),
        )
        .order_by("unit__path", "village_id")
    )
    total = Tally(key="all", label="")
    per_unit: dict[int, Tally] = {}
    per_village: dict[str, Tally] = {}
    for row in groups:
        counts = (row["visited"], row["seen"] - row["visited"], row["total"] - row["seen"])
        unit_id, village_id = row["unit_id"], row["village_id"]
        total.add_counts(*counts)
        per_unit.setdefault(unit_id, Tally(str(unit_id), row["unit__name"])).add_counts(*counts)
        per_village.setdefault(village_id, Tally(village_id, row["village__name"])).add_counts(
            *counts
        )

    head = (
        sites.annotate(
            risk_value=Coalesce("risk__score", Value(FALLBACK_RISK), output_field=FloatField())
        )
        # Not visited within the period: never, or too long ago.
        .filter(Q(last_visit_at__isnull=True) | Q(last_visit_at__lt=cutoff))
        .select_related("village", "unit", "risk")
        # The order of coverage(): never visited first, the longest ago, the riskiest.
        .order_by(F("last_visit_at").asc(nulls_first=True), "-risk_value", "name", "pk")
    )
    statuses = []
    for site in head[:left_alone]:
        last_at = site.last_visit_at
        statuses.append(
            SiteStatus(
                site=site,
                status=NEVER if last_at is None else OVERDUE,
                last_visit_at=last_at,
                days_since=None
                if last_at is None
                else round((now - last_at).total_seconds() / 86400, 1),
                risk=float(site.risk_value),
                cell=h3.latlng_to_cell(site.lat, site.lng, H3_RESOLUTION)
                if site.has_location
                else None,
            )
        )
    return Coverage(
        days=days,
        now=now,
        sites=[],
        total=total,
        units=list(per_unit.values()),  # in the order of the unit tree
        villages=_worst_first(per_village.values()),
        cells=[],
        left_alone=statuses,
    )
