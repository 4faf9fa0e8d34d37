"""Patrol coverage: which sites were visited within the last N days, which are overdue, which were
never visited; rolled up per unit, per village and per H3 cell; and the "left alone" list.

A site is *visited* when its last visit started within ``days`` before ``now``, *overdue* when its
last visit is older, *never* visited when it has none. Visits that start after ``now`` do not
count (so a report as of a past moment is what it was then). Each site's last visit is read from
the site itself (``Site.latest_visit_at``, see ``sites.models.last_visit``), so counting a
Polda's sites reads no visit.

Three reads:

- :func:`coverage_summary`: the totals and the roll-ups per unit and per village, counted by the
  database (one grouped query), and the head of the "left alone" list (one more);
- :class:`SiteStatuses`: every site with its status, a page at a time (``count()`` and slices),
  in the order of the "left alone" list: never-visited sites first, then the longest since the
  last visit, the highest risk first on ties. The risk is the stored ``RiskScore`` or
  ``planning.FALLBACK_RISK`` (50) when the site has none; unlike planning, coverage does not
  compute missing scores. A page is one row per site, but the database still counts and sorts
  the whole scope for it;
- :func:`coverage_cells`: the roll-up per H3 cell (resolution ``H3_RESOLUTION``, 7: cells of
  about 5 km², a village or a part of one), sites without a location left out. It reads three
  columns of every site of the scope and finds each one's cell in Python: a Polda's tens of
  thousands take a fraction of a second, the whole country seconds.
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
LEFT_ALONE = "left_alone"  # overdue or never: the sites to act on
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

    @classmethod
    def from_row(cls, row) -> SiteRef:
        pk, name, kind, village_id, village_name, unit_id, unit_name, lat, lng = row
        return cls(
            pk, name, kind, village_id, Named(village_name), unit_id, Named(unit_name), lat, lng
        )

    @property
    def id(self) -> int:  # as a Site answers (sites.api.SiteRefOut)
        return self.pk

    @property
    def has_location(self) -> bool:
        return self.lat is not None and self.lng is not None

    def get_kind_display(self) -> str:
        return str(dict(Site.Kind.choices).get(self.kind, self.kind))


@dataclass
class SiteStatus:
    site: SiteRef
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
    total: Tally
    units: list[Tally] = field(default_factory=list)
    villages: list[Tally] = field(default_factory=list)
    left_alone: list[SiteStatus] = field(default_factory=list)


def _units(units) -> QuerySet[Unit]:
    if isinstance(units, Unit):
        return units.subtree()
    if isinstance(units, QuerySet):
        return units
    return Unit.objects.filter(pk__in=[u.pk for u in units])


def _sites(units, now: datetime) -> QuerySet[Site]:
    return Site.objects.filter(unit__in=_units(units)).with_last_visit(now)


def _worst_first(tallies) -> list[Tally]:
    return sorted(tallies, key=lambda t: (t.visited_pct, -t.left_alone, t.label, t.key))


def _status(last_at: datetime | None, cutoff: datetime) -> str:
    if last_at is None:
        return NEVER
    return VISITED if last_at >= cutoff else OVERDUE


class SiteStatuses:
    """The sites of ``units`` with their status as of ``now``, in the order of the "left alone"
    list, only those of ``status`` when given (one of ``STATUSES`` or ``LEFT_ALONE``). Lazy:
    ``count()`` is one query, a slice another (a page of rows, never every site)."""

    def __init__(self, units, *, days: int = 7, now: datetime | None = None, status=None):
        self.now = now or timezone.now()
        self.cutoff = self.now - timedelta(days=days)
        sites = _sites(units, self.now)
        recent = Q(last_visit_at__gte=self.cutoff)
        where = {
            None: Q(),
            VISITED: recent,
            OVERDUE: Q(last_visit_at__lt=self.cutoff),
            NEVER: Q(last_visit_at__isnull=True),
            LEFT_ALONE: Q(last_visit_at__isnull=True) | Q(last_visit_at__lt=self.cutoff),
        }[status]
        self.queryset = sites.filter(where)

    def all(self) -> SiteStatuses:  # what django-ninja's pagination calls before count()
        return self

    def count(self) -> int:
        return self.queryset.count()

    def __getitem__(self, index: slice) -> list[SiteStatus]:
        if not isinstance(index, slice):
            raise TypeError("SiteStatuses takes a slice (a page), not one index")
        rows = (
            self.queryset.annotate(
                risk_value=Coalesce("risk__score", Value(FALLBACK_RISK), output_field=FloatField())
            )
            .order_by(F("last_visit_at").asc(nulls_first=True), "-risk_value", "name", "pk")
            .values_list(*SiteRef.COLUMNS, "last_visit_at", "risk_value")
        )
        statuses = []
        for *columns, last_at, risk in rows[index]:
            site = SiteRef.from_row(columns)
            statuses.append(
                SiteStatus(
                    site=site,
                    status=_status(last_at, self.cutoff),
                    last_visit_at=last_at,
                    days_since=None
                    if last_at is None
                    else round((self.now - last_at).total_seconds() / 86400, 1),
                    risk=float(risk),
                    cell=h3.latlng_to_cell(site.lat, site.lng, H3_RESOLUTION)
                    if site.has_location
                    else None,
                )
            )
        return statuses


def coverage_summary(
    units, *, days: int = 7, now: datetime | None = None, left_alone: int = 100
) -> Coverage:
    """The coverage of the sites of ``units`` (a unit, its whole subtree, or a queryset of
    units), counted by the database: the totals, the roll-ups per unit (in the order of the unit
    tree) and per village (worst first), in one grouped query; and the first ``left_alone``
    sites of the "left alone" list (one more query, none for 0). The whole list's length is
    ``total.left_alone``."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=days)
    groups = (
        _sites(units, now)
        .values("unit_id", "unit__name", "unit__path", "village_id", "village__name")
        .annotate(
            total=Count("pk"),
            visited=Count("pk", filter=Q(last_visit_at__gte=cutoff)),
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
    head = []
    if left_alone and total.left_alone:
        head = SiteStatuses(units, days=days, now=now, status=LEFT_ALONE)[:left_alone]
    return Coverage(
        days=days,
        now=now,
        total=total,
        units=list(per_unit.values()),
        villages=_worst_first(per_village.values()),
        left_alone=head,
    )


def coverage_cells(units, *, days: int = 7, now: datetime | None = None) -> list[Tally]:
    """The sites of ``units`` with a location, counted per H3 cell, worst covered first."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=days)
    rows = (
        _sites(units, now)
        .filter(lat__isnull=False, lng__isnull=False)
        .order_by()
        .values_list("lat", "lng", "last_visit_at")
    )
    cells: dict[str, Tally] = {}
    for lat, lng, last_at in rows.iterator(chunk_size=10_000):
        cell = h3.latlng_to_cell(lat, lng, H3_RESOLUTION)
        tally = cells.get(cell)
        if tally is None:
            centre_lat, centre_lng = h3.cell_to_latlng(cell)
            tally = cells[cell] = Tally(
                cell, cell, lat=round(centre_lat, 6), lng=round(centre_lng, 6)
            )
        tally.add(_status(last_at, cutoff))
    return _worst_first(cells.values())
