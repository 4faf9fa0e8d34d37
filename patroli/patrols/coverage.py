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

The three are SQL written here (see ``_SITES_SQL``), not the ORM's, for speed; the caller passes
the units the user may see, so the access gate stays where it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import h3
from django.core.exceptions import EmptyResultSet
from django.db import connections, router
from django.db.models import QuerySet
from django.utils import timezone

from patroli.sites.models import Site
from patroli.units.models import PathStartsWith, Unit

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

    pk: int
    name: str
    kind: str
    village_id: str
    village: Named
    unit_id: int
    unit: Named
    lat: float | None
    lng: float | None

    @property
    def id(self) -> int:  # as a Site answers (sites.api.SiteRefOut)
        return self.pk

    @property
    def has_location(self) -> bool:
        return self.lat is not None and self.lng is not None

    def get_kind_display(self) -> str:
        return str(dict(Site.Kind.choices).get(self.kind, self.kind))


@dataclass(slots=True)
class SiteStatus:
    site: SiteRef
    status: str
    last_visit_at: datetime | None
    days_since: float | None
    risk: float

    @property
    def cell(self) -> str | None:
        """The site's H3 cell, None without a location: found when asked (the API gives it, the
        coverage page does not show it)."""
        site = self.site
        return h3.latlng_to_cell(site.lat, site.lng, H3_RESOLUTION) if site.has_location else None


@dataclass(slots=True)
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
        return _share(count, self.total)

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
        total, visited, overdue, never = self.total, self.visited, self.overdue, self.never
        data = {
            "key": self.key,
            "label": self.label,
            "total": total,
            "visited": visited,
            "overdue": overdue,
            "never": never,
            "visited_pct": _share(visited, total),
            "overdue_pct": _share(overdue, total),
            "never_pct": _share(never, total),
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


@lru_cache(maxsize=1 << 16)
def _share(count: int, total: int) -> float:
    """``count`` as a percentage of ``total``, one decimal (0 of nothing).

    Remembered: rounding to one decimal was most of the time of a tally's answer (a Polda's
    1,100 tallies on the API: 0.7 of 1.0 ms), and the same few pairs come back again and again
    (a village holds a dozen sites)."""
    return round(100 * count / total, 1) if total else 0.0


def _worst(tally: Tally) -> tuple:
    return (_share(tally.visited, tally.total), -tally.left_alone, tally.label, tally.key)


def _worst_first(tallies) -> list[Tally]:
    return sorted(tallies, key=_worst)


def _status(last_at: datetime | None, cutoff: datetime) -> str:
    if last_at is None:
        return NEVER
    return VISITED if last_at >= cutoff else OVERDUE


# Coverage's reads are SQL written here, not the ORM's. On a generated Kalimantan Timur
# (benchmarks/suite.py) the ORM spent 2 to 9 ms building and compiling the queries of a Polsek's
# page, which then ran in under one; and its grouped count, grouped by the names too, took 57 ms
# for the Polda on SQLite and 50 on PostgreSQL, against 17 and 13 to 24 grouped by the ids and
# named after. The access gate is not bypassed: the caller passes the units it may see.
#
# A site's last visit as of a moment, as sites.models.last_visit() writes it for the ORM: the
# site's own latest_visit_at when that lies at or before the moment (every report of today),
# else the last visit up to the moment. tests/test_coverage.py checks the two agree.
_SITES_SQL = """
SELECT {columns},
    CASE WHEN s.latest_visit_at IS NULL THEN NULL
        WHEN s.latest_visit_at <= %s THEN s.latest_visit_at
        ELSE (SELECT v.started_at FROM {visit} v WHERE v.site_id = s.id AND v.started_at <= %s
              ORDER BY v.started_at DESC LIMIT 1)
    END AS last_at
FROM {site} s WHERE s.unit_id IN ({units})
"""
_COUNTS_SQL = """
SELECT g.unit_id, u.name, g.village_id, r.name, g.total, g.visited, g.seen
FROM (
    SELECT s.unit_id, s.village_id, COUNT(*) AS total,
        COUNT(CASE WHEN s.last_at >= %s THEN 1 END) AS visited, COUNT(s.last_at) AS seen
    FROM ({sites}) s
    GROUP BY s.unit_id, s.village_id
) g
JOIN {unit} u ON u.id = g.unit_id
JOIN {region} r ON r.code = g.village_id
ORDER BY u.path, g.village_id
"""
_STATUSES_SQL = """
SELECT p.id, p.name, p.kind, p.village_id, r.name, p.unit_id, u.name, p.lat, p.lng, p.last_at,
    p.risk
FROM (
    SELECT s.*, COALESCE(k.score, {fallback}) AS risk
    FROM ({sites}) s
    LEFT JOIN {risk} k ON k.site_id = s.id
    {where}
    ORDER BY s.last_at ASC NULLS FIRST, risk DESC, s.name ASC, s.id ASC
    {limit}
) p
JOIN {unit} u ON u.id = p.unit_id
JOIN {region} r ON r.code = p.village_id
ORDER BY p.last_at ASC NULLS FIRST, p.risk DESC, p.name ASC, p.id ASC
"""
_WHERE = {  # the condition of a status, on last_at; %s is the cutoff
    None: "",
    VISITED: "WHERE s.last_at >= %s",
    OVERDUE: "WHERE s.last_at < %s",
    NEVER: "WHERE s.last_at IS NULL",
    LEFT_ALONE: "WHERE (s.last_at IS NULL OR s.last_at < %s)",
}


_LATEST = Site._meta.get_field("latest_visit_at")


class _Scope:
    """The sites of ``units`` (a unit and its subtree, a queryset of units or a list of them)
    with their last visit as of ``now``, as SQL, on the database the ORM would read them from."""

    def __init__(self, units, now: datetime):
        self.connection = connections[router.db_for_read(Site)]
        self.empty = False
        if isinstance(units, Unit):  # the common case: the unit's subtree, by its path
            # Case-sensitive, as units.models.PathStartsWith: on SQLite the range of the paths
            # that start with this one (here by the index on the path: the units are read
            # first, then their sites by theirs), elsewhere a LIKE.
            table = self.table(Unit)
            beyond = PathStartsWith.beyond(units.path)
            if self.connection.vendor == "sqlite" and beyond is not None:
                self.units_sql = f"SELECT id FROM {table} WHERE path >= %s AND path < %s"  # noqa: S608
                self.units_params = [units.path, beyond]
            else:
                like = self.connection.operators["startswith"] % "%s"
                self.units_sql = f"SELECT id FROM {table} WHERE path {like}"  # noqa: S608
                self.units_params = [self.connection.ops.prep_for_like_query(units.path) + "%"]
        else:
            if not isinstance(units, QuerySet):
                units = Unit.objects.filter(pk__in=[u.pk for u in units])
            compiler = units.order_by().values("pk").query.get_compiler(self.connection.alias)
            try:
                self.units_sql, self.units_params = compiler.as_sql()
            except EmptyResultSet:  # none(), or an empty list: nothing is read
                self.empty = True
                self.units_sql, self.units_params = "SELECT NULL", []
        self.now = self.moment(now)
        self.utc = self.connection.timezone is UTC

    def table(self, model) -> str:
        return self.connection.ops.quote_name(model._meta.db_table)

    def moment(self, value: datetime):
        """A time as a parameter, as the ORM passes one (a naive time read in TIME_ZONE)."""
        return _LATEST.get_db_prep_value(value, self.connection)

    def sites(self, *columns: str) -> tuple[str, list]:
        """The scope's sites with these columns (of ``s``) and ``last_at``."""
        from patroli.patrols.models import Visit

        sql = _SITES_SQL.format(
            columns=", ".join(f"s.{c}" for c in columns),
            visit=self.table(Visit),
            site=self.table(Site),
            units=self.units_sql,
        )
        return sql, [self.now, self.now, *self.units_params]

    def tables(self) -> dict[str, str]:
        from patroli.elections.models import RiskScore

        region = Site._meta.get_field("village").related_model
        return {
            "unit": self.table(Unit),
            "region": self.table(region),
            "risk": self.table(RiskScore),
        }

    def fetch(self, sql: str, params: list) -> list[tuple]:
        if self.empty:
            return []
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def stream(self, sql: str, params: list, size: int = 10_000):
        if self.empty:
            return
        # A server-side cursor where the ORM's iterator() would use one (not behind PgBouncer).
        chunked = not self.connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS")
        cursor = self.connection.chunked_cursor() if chunked else self.connection.cursor()
        with cursor:
            cursor.execute(sql, params)
            while rows := cursor.fetchmany(size):
                yield from rows

    def in_zone(self, value: datetime) -> datetime:
        """``value`` in the zone of the times read (``datetime``): compared or subtracted with
        them at a tenth of the cost of two zones (every site of a coverage list)."""
        zone = self.connection.timezone
        return value.astimezone(zone) if zone is not None else value

    def datetime(self, value) -> datetime | None:
        """A time as read from the database, aware (SQLite answers text, PostgreSQL a time)."""
        if value is None:
            return None
        if isinstance(value, str):
            # What Django's converter does, without its calls (a few microseconds a row, on
            # every row of a coverage list): ISO 8601 text, in the connection's time zone.
            if self.utc and value[-1] != "Z" and value[-6:-5] not in ("+", "-"):
                # Naive text in UTC (what Django writes), read with its zone: a fifth of the
                # time of reading it naive, then replacing the zone.
                return datetime.fromisoformat(value + "+00:00")
            value = datetime.fromisoformat(value)
        elif not isinstance(value, datetime):
            return self.connection.ops.convert_datetimefield_value(value, None, self.connection)
        if value.tzinfo is None:
            return value.replace(tzinfo=self.connection.timezone)  # timezone.make_aware's way
        return value


class SiteStatuses:
    """The sites of ``units`` with their status as of ``now``, in the order of the "left alone"
    list, only those of ``status`` when given (one of ``STATUSES`` or ``LEFT_ALONE``). Lazy:
    ``count()`` is one query, a slice another (a page of rows, never every site)."""

    def __init__(self, units, *, days: int = 7, now: datetime | None = None, status=None):
        self.now = now or timezone.now()
        self.cutoff = self.now - timedelta(days=days)
        self.units = units
        self.where = _WHERE[status]

    def _read(self) -> tuple[_Scope, list]:
        """The scope (its database chosen now, as the ORM chooses when a query runs) and the
        status condition's parameters."""
        scope = _Scope(self.units, self.now)
        return scope, [scope.moment(self.cutoff)] if "%s" in self.where else []

    def all(self) -> SiteStatuses:  # what django-ninja's pagination calls before count()
        return self

    def count(self) -> int:
        scope, where_params = self._read()
        sites, params = scope.sites("id")
        sql = f"SELECT COUNT(*) FROM ({sites}) s {self.where}"  # noqa: S608
        rows = scope.fetch(sql, [*params, *where_params])
        return rows[0][0] if rows else 0

    def __getitem__(self, index: slice) -> list[SiteStatus]:
        if not isinstance(index, slice) or index.step is not None:
            raise TypeError("SiteStatuses takes a slice (a page), not one index")
        start, stop = index.start or 0, index.stop
        if start < 0 or (stop is not None and stop < 0):
            raise ValueError("SiteStatuses takes no negative index")
        if stop is not None and stop <= start:
            return []
        scope, where_params = self._read()
        sites, params = scope.sites("id", "name", "kind", "village_id", "unit_id", "lat", "lng")
        sql = _STATUSES_SQL.format(
            sites=sites,
            fallback=float(FALLBACK_RISK),
            where=self.where,
            limit=scope.connection.ops.limit_offset_sql(start, stop),
            **scope.tables(),
        )
        now, cutoff, read = scope.in_zone(self.now), scope.in_zone(self.cutoff), scope.datetime
        names: dict[str, Named] = {}  # a page's sites share a few units and villages
        statuses = []
        for (
            pk,
            name,
            kind,
            village_id,
            village,
            unit_id,
            unit,
            lat,
            lng,
            last_at,
            risk,
        ) in scope.fetch(sql, [*params, *where_params]):
            if (village_named := names.get(village)) is None:
                village_named = names[village] = Named(village)
            if (unit_named := names.get(unit)) is None:
                unit_named = names[unit] = Named(unit)
            site = SiteRef(pk, name, kind, village_id, village_named, unit_id, unit_named, lat, lng)
            last_at = read(last_at)
            days_since = None
            if last_at is not None:
                days_since = round((now - last_at).total_seconds() / 86400, 1)
            statuses.append(
                SiteStatus(site, _status(last_at, cutoff), last_at, days_since, float(risk))
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
    scope = _Scope(units, now)
    sites, params = scope.sites("unit_id", "village_id")
    sql = _COUNTS_SQL.format(sites=sites, **scope.tables())
    total = Tally(key="all", label="")
    per_unit: dict[int, Tally] = {}
    per_village: dict[str, Tally] = {}
    for unit_id, unit_name, village_id, village_name, count, visited, seen in scope.fetch(
        sql, [scope.moment(cutoff), *params]
    ):
        overdue, never = seen - visited, count - seen
        total.add_counts(visited, overdue, never)
        # A row per unit and village: most villages come once, units many times.
        if (unit := per_unit.get(unit_id)) is None:
            unit = per_unit[unit_id] = Tally(str(unit_id), unit_name)
        unit.add_counts(visited, overdue, never)
        if (village := per_village.get(village_id)) is None:
            village = per_village[village_id] = Tally(village_id, village_name)
        village.add_counts(visited, overdue, never)
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
    scope = _Scope(units, now)
    sites, params = scope.sites("lat", "lng")
    sql = f"SELECT * FROM ({sites}) s WHERE s.lat IS NOT NULL AND s.lng IS NOT NULL"  # noqa: S608
    cells: dict[str, Tally] = {}
    cutoff, read = scope.in_zone(cutoff), scope.datetime
    for lat, lng, last_at in scope.stream(sql, params):
        cell = h3.latlng_to_cell(lat, lng, H3_RESOLUTION)
        tally = cells.get(cell)
        if tally is None:
            centre_lat, centre_lng = h3.cell_to_latlng(cell)
            tally = cells[cell] = Tally(
                cell, cell, lat=round(centre_lat, 6), lng=round(centre_lng, 6)
            )
        tally.add(_status(read(last_at), cutoff))
    return _worst_first(cells.values())
