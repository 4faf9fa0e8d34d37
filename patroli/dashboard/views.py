"""The commander's dashboard: key figures, the map and charts for a unit's subtree and a period.

Every filter is in the URL (see scope.py), so a view can be shared. Each part costs a fixed number
of aggregate queries whatever the size of the data; the map's layers come from ``map_layer`` as
GeoJSON, capped, so that a Polda's or the country's map stays light.
"""

from __future__ import annotations

import datetime as dt

import h3
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Max, Q
from django.db.models.functions import Coalesce
from django.http import Http404, JsonResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from patroli.concerns.models import Concern
from patroli.core.access import visible
from patroli.elections import risk
from patroli.elections.models import Incident, RiskScore
from patroli.patrols import views as patrol_views
from patroli.patrols.models import Dialogue
from patroli.regions.models import Region
from patroli.sites.models import Site
from patroli.units.models import Unit

from . import charts, figures
from .auth import session_or_token
from .scope import Scope, ScopeError, day_bounds

MAX_POINTS = 2000  # per point layer: the newest first
MAX_VILLAGES = 5000  # the riskiest first
MAX_VILLAGE_CHOICES = 300  # above this the village filter is a code field, not a list
# H3 resolution of the heat layer by the level of the unit looked at (None: the whole country).
HEAT_RESOLUTION = {Unit.Level.POLSEK: 7, Unit.Level.POLRES: 6, Unit.Level.POLDA: 5, None: 4}
LAYERS = ("villages", "visits", "concerns", "incidents", "heat")


def is_commander(user) -> bool:
    return user.is_superuser or user.role == user.Role.COMMANDER


@login_required
def home(request):
    """``/app/``: the dashboard for commanders, today's sites for everyone else."""
    if is_commander(request.user):
        return dashboard(request)
    return patrol_views.today(request)


@login_required
def dashboard(request):
    status = 200
    errors: dict[str, str] = {}
    try:
        scope = Scope.from_request(request)
    except ScopeError as exc:
        errors, status = exc.errors, 400
        fallback = QueryDict(mutable=True)
        fallback["unit"] = request.GET.get("unit", "")
        scope = Scope.from_params(request.user, fallback)
    days = figures.visit_days(scope)
    key = figures.key_figures(scope, days)
    response_labels = dict(Dialogue.Response.choices)
    context = {
        "scope": scope,
        "errors": errors,
        "key": key,
        "stage_days": _days_to_voting(key),
        "trail": _trail(scope),
        "children": _children(scope),
        "villages": _village_choices(scope),
        "risk_levels": [
            (level, risk.level_label(level), n) for level, n in figures.risk_levels(scope).items()
        ],
        "charts": {
            "visits": charts.day_bars(
                figures.visits_per_day(scope, days), _("Visits per day"), _("visits")
            ),
            "response": charts.stacked_day_bars(
                figures.response_per_day(scope, days),
                {k: str(v) for k, v in response_labels.items()},
                _("Community response per day"),
            ),
            "categories": charts.bars(
                figures.concerns_by_category(scope), _("New concerns by category")
            ),
            "statuses": charts.bars(
                [(label, n) for _value, label, n in figures.concerns_by_status(scope)],
                _("New concerns by status"),
                colour="#5b6675",
            ),
        },
        "quick": _quick_periods(scope),
        "severities": [
            (value, str(label), key.incidents.get(value, 0))
            for value, label in Incident.Severity.choices
        ],
        "map_config": {
            "layers": {layer: reverse("dashboard:map-layer", args=[layer]) for layer in LAYERS},
            "labels": {
                "villages": _("Villages by risk"),
                "visits": _("Visits"),
                "concerns": _("Concerns"),
                "incidents": _("Incidents"),
                "heat": _("Concerns and incidents (heat)"),
                "sites": _("sites"),
                "risk": _("risk"),
                "visits_n": _("visits"),
                "open": _("open concerns"),
                "incidents_n": _("incidents"),
                "truncated": _("Only the newest %(shown)s of %(total)s are on the map."),
            },
        },
        "query": scope.query(),
        "report_query": scope.query(**{"from": "", "to": "", "date": scope.end.isoformat()}),
        "export_kinds": [
            ("visits", _("Visits")),
            ("concerns", _("Concerns")),
            ("incidents", _("Incidents")),
            ("sites", _("Sites")),
        ],
        "tile_url": settings.PATROLI_TILE_URL,
        "tile_attribution": settings.PATROLI_TILE_ATTRIBUTION,
        "boundary_district": _boundary_district(scope),
    }
    return render(request, "dashboard/dashboard.html", context, status=status)


def _days_to_voting(key: figures.KeyFigures) -> int | None:
    stage = key.stage
    if stage is None or stage.voting_day is None or stage.voting_day < key.day:
        return None
    return (stage.voting_day - key.day).days


def _trail(scope: Scope) -> list[Unit]:
    """The units from the user's own (or the top) down to the one looked at, for breadcrumbs."""
    if scope.unit is None:
        return []
    codes = [part for part in scope.unit.path.split("/") if part]
    units = {u.code: u for u in visible(Unit.objects.filter(code__in=codes), scope.user)}
    return [units[c] for c in codes if c in units]


def _children(scope: Scope) -> list[dict]:
    """The units one level below, each with its figures: four grouped queries in all."""
    if scope.unit is None:
        children = list(visible(Unit.objects.filter(parent__isnull=True), scope.user))
    else:
        children = list(scope.unit.children.order_by("name"))
    if not children:
        return []
    # Every record's unit path starts with its child's path: group by unit, then roll up.
    depth = len(children[0].path.split("/")) - 1
    by_prefix = {child.path: {"unit": child} for child in children}

    def roll(rows, name):
        for row in rows:
            prefix = "/".join(row["unit__path"].split("/")[:depth]) + "/"
            if prefix in by_prefix:
                entry = by_prefix[prefix]
                for key in row:
                    if key != "unit__path":
                        entry[f"{name}_{key}"] = entry.get(f"{name}_{key}", 0) + (row[key] or 0)

    _start, day_end = day_bounds(scope.end, scope.end)
    week_start, _end = day_bounds(
        scope.end - dt.timedelta(days=figures.COVERAGE_DAYS - 1), scope.end
    )
    # Covered as the key figures count it: the last visit before the end of the day lies in the
    # 7 days (read from the site's own latest visit: no visit of the week is looked up).
    roll(
        scope.sites()
        .with_last_visit(day_end, inclusive=False)
        .values("unit__path")
        .annotate(total=Count("pk"), covered=Count("pk", filter=Q(last_visit_at__gte=week_start)))
        .order_by(),
        "sites",
    )
    # Counted by figures.INDEXED: on PostgreSQL from the unit indexes alone.
    indexed = figures.INDEXED
    roll(scope.visits().values("unit__path").annotate(n=Count(indexed)).order_by(), "visits")
    roll(
        scope.concerns(period=False)
        .filter(figures.open_at(day_end))
        .values("unit__path")
        .annotate(
            n=Count(indexed),
            overdue=Count(indexed, filter=Q(due_at__lt=min(day_end, timezone.now()))),
        )
        .order_by(),
        "concerns",
    )
    roll(scope.incidents().values("unit__path").annotate(n=Count("pk")).order_by(), "incidents")
    rows = []
    for entry in by_prefix.values():
        total = entry.get("sites_total", 0)
        covered = entry.get("sites_covered", 0)
        entry["coverage_pct"] = round(100 * covered / total, 1) if total else 0
        entry["query"] = scope.query(unit=entry["unit"].code)
        rows.append(entry)
    return rows


def _village_choices(scope: Scope) -> list[Region] | None:
    """The villages of the unit's sites for the filter, or None when too many to list."""
    unit_scope = Scope(user=scope.user, unit=scope.unit, start=scope.start, end=scope.end)
    if scope.unit is None:
        # Every unit the user sees (the country, for an administrator): the regions by name,
        # each looked up among the sites, stop at the first that are too many.
        villages = list(
            # No ordering inside: the sites' default one would sort them all first.
            Region.objects.filter(code__in=unit_scope.sites().order_by().values("village_id"))
            .order_by("name", "code")
            .only("code", "name")[: MAX_VILLAGE_CHOICES + 1]
        )
        return None if len(villages) > MAX_VILLAGE_CHOICES else villages
    # One unit: its sites' villages, then their names when few enough. Faster for a unit than
    # the lookup above (a Polda 60 against 130 ms, a Polsek 3 against 30, at national size).
    # No LIMIT: with one, PostgreSQL walks the whole country's sites in village order.
    codes = list(
        Site.objects.filter(unit__in=unit_scope.units())
        .order_by()
        .values_list("village_id", flat=True)
        .distinct()
    )
    if len(codes) > MAX_VILLAGE_CHOICES:
        return None
    return list(Region.objects.filter(code__in=codes).order_by("name", "code").only("code", "name"))


def _quick_periods(scope: Scope) -> list[tuple[str, str, bool]]:
    end = scope.end
    choices = [(_("This day"), 1), (_("7 days"), 7), (_("30 days"), 30), (_("90 days"), 90)]
    return [
        (
            label,
            scope.query(**{"from": (end - dt.timedelta(days=n - 1)).isoformat()}),
            scope.days == n,
        )
        for label, n in choices
    ]


def _boundary_district(scope: Scope) -> str:
    """The district whose village polygons we ship, when the scope covers it (Sepaku)."""
    district = "64.09.04"
    if scope.village and not (
        scope.village.startswith(district) or district.startswith(scope.village)
    ):
        return ""
    return district if scope.sites().filter(village__code__startswith=district).exists() else ""


# -- map layers ------------------------------------------------------------------------------


@session_or_token
def map_layer(request, layer: str):
    if layer not in LAYERS:
        raise Http404
    try:
        scope = Scope.from_request(request)
    except ScopeError as exc:
        return exc.as_response(request)
    builder = {
        "villages": _village_layer,
        "visits": _visit_layer,
        "concerns": _concern_layer,
        "incidents": _incident_layer,
        "heat": _heat_layer,
    }[layer]
    features, total = builder(scope)
    return JsonResponse(
        {
            "type": "FeatureCollection",
            "features": features,
            "total": total,
            "truncated": total > len(features),
        }
    )


def _regions(codes) -> list[dict]:
    """Code, name and centroid of the given regions, fetched in chunks (SQLite caps parameters)."""
    codes, found = list(codes), []
    for i in range(0, len(codes), 5000):
        found += Region.objects.filter(code__in=codes[i : i + 5000], lat__isnull=False).values(
            "code", "name", "lat", "lng"
        )
    return found


def _point(lng, lat, properties: dict) -> dict:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [round(lng, 6), round(lat, 6)]},
        "properties": properties,
    }


def _village_stats(scope: Scope) -> dict[str, dict]:
    """Per village of the scope: sites, visits, open concerns, incidents and the highest risk."""
    stats: dict[str, dict] = {}

    def add(rows, key, field):
        for row in rows:
            if row[key]:
                stats.setdefault(row[key], {})[field] = row["n"]

    sites = scope.sites().values("village_id").annotate(n=Count("pk"), top=Max("risk__score"))
    for row in sites.order_by():
        stats.setdefault(row["village_id"], {}).update(sites=row["n"], site_risk=row["top"])
    add(
        scope.visits().values("site__village_id").annotate(n=Count("pk")).order_by(),
        "site__village_id",
        "visits",
    )
    add(
        scope.concerns(period=False)
        .filter(figures.open_at(scope.bounds[1]))
        .values("village_id")
        .annotate(n=Count("pk"))
        .order_by(),
        "village_id",
        "concerns",
    )
    add(
        scope.incidents()
        .annotate(place=Coalesce("village_id", "site__village_id"))
        .values("place")
        .annotate(n=Count("pk"))
        .order_by(),
        "place",
        "incidents",
    )
    village_scores = visible(
        RiskScore.objects.filter(site__isnull=True), scope.user, within=scope.unit
    )
    if scope.village:
        village_scores = village_scores.filter(village__code__startswith=scope.village)
    for row in village_scores.values("village_id").annotate(n=Max("score")).order_by():
        if row["village_id"] in stats:
            stats[row["village_id"]]["village_risk"] = row["n"]
    return stats


def _village_layer(scope: Scope):
    stats = _village_stats(scope)
    for entry in stats.values():
        entry["risk"] = entry.get("village_risk") or entry.get("site_risk")
    codes = sorted(stats, key=lambda c: -(stats[c]["risk"] or 0))[:MAX_VILLAGES]
    regions = _regions(codes)
    features = []
    for region in regions:
        entry = stats[region["code"]]
        score = entry["risk"]
        level = risk.level_for(score) if score is not None else ""
        features.append(
            _point(
                region["lng"],
                region["lat"],
                {
                    "code": region["code"],
                    "name": region["name"],
                    "sites": entry.get("sites", 0),
                    "visits": entry.get("visits", 0),
                    "concerns": entry.get("concerns", 0),
                    "incidents": entry.get("incidents", 0),
                    "risk": round(score) if score is not None else None,
                    "level": level,
                    "level_label": risk.level_label(level) if level else "",
                },
            )
        )
    return features, len(stats)


def _visit_layer(scope: Scope):
    visits = (
        scope.visits()
        .annotate(y=Coalesce("lat", "site__lat"), x=Coalesce("lon", "site__lng"))
        .filter(y__isnull=False, x__isnull=False)
    )
    total = visits.count()
    rows = visits.order_by("-started_at").values(
        "pk", "x", "y", "started_at", "site__name", "response"
    )[:MAX_POINTS]
    return [
        _point(
            r["x"],
            r["y"],
            {
                "title": r["site__name"],
                "when": r["started_at"].isoformat(),
                "response": r["response"],
                "url": reverse("app:visit-detail", args=[r["pk"]]),
            },
        )
        for r in rows
    ], total


def _concern_layer(scope: Scope):
    concerns = (
        scope.concerns()
        .annotate(
            y=Coalesce("lat", "site__lat", "village__lat"),
            x=Coalesce("lon", "site__lng", "village__lng"),
        )
        .filter(y__isnull=False, x__isnull=False)
    )
    total = concerns.count()
    rows = concerns.order_by("-created_at").values(
        "pk", "x", "y", "created_at", "tracking_code", "category__name", "status"
    )[:MAX_POINTS]
    labels = dict(Concern.Status.choices)
    return [
        _point(
            r["x"],
            r["y"],
            {
                "title": f"{r['tracking_code']} · {r['category__name']}",
                "when": r["created_at"].isoformat(),
                "status": r["status"],
                "status_label": str(labels.get(r["status"], r["status"])),
                "url": reverse("concerns:detail", args=[r["pk"]]),
            },
        )
        for r in rows
    ], total


def _incident_layer(scope: Scope):
    incidents = (
        scope.incidents()
        .annotate(
            y=Coalesce("lat", "site__lat", "village__lat"),
            x=Coalesce("lon", "site__lng", "village__lng"),
        )
        .filter(y__isnull=False, x__isnull=False)
    )
    total = incidents.count()
    rows = incidents.order_by("-occurred_at").values(
        "pk", "x", "y", "occurred_at", "kind", "severity"
    )[:MAX_POINTS]
    kinds = dict(Incident.Kind.choices)
    severities = dict(Incident.Severity.choices)
    return [
        _point(
            r["x"],
            r["y"],
            {
                "title": str(kinds.get(r["kind"], r["kind"])),
                "when": r["occurred_at"].isoformat(),
                "severity": r["severity"],
                "severity_label": str(severities.get(r["severity"], r["severity"])),
                "url": reverse("incidents:list") + f"#incident-{r['pk']}",
            },
        )
        for r in rows
    ], total


def _heat_layer(scope: Scope):
    """Concerns and incidents of the period in H3 cells, counted per village and then per cell.

    Counting by village keeps the work bounded by the number of villages, not of records; a
    record without a village is not on this layer (it is on the point layers when it has a point).
    """
    resolution = HEAT_RESOLUTION[scope.unit.level if scope.unit else None]
    counts: dict[str, int] = {}
    for row in (
        scope.concerns()
        .values("village_id")
        .annotate(n=Count("pk"))
        .order_by()
        .union(
            scope.incidents()
            .annotate(place=Coalesce("village_id", "site__village_id"))
            .values("place")
            .annotate(n=Count("pk"))
            .order_by(),
            all=True,
        )
    ):
        if row["village_id"]:
            counts[row["village_id"]] = counts.get(row["village_id"], 0) + row["n"]
    cells: dict[str, int] = {}
    for region in _regions(counts):
        cell = h3.latlng_to_cell(region["lat"], region["lng"], resolution)
        cells[cell] = cells.get(cell, 0) + counts[region["code"]]
    top = max(cells.values(), default=1)
    features = []
    for cell, n in sorted(cells.items(), key=lambda item: -item[1]):
        ring = [[round(lng, 6), round(lat, 6)] for lat, lng in h3.cell_to_boundary(cell)]
        ring.append(ring[0])
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": {"cell": cell, "count": n, "weight": round(n / top, 3)},
            }
        )
    return features, len(features)
