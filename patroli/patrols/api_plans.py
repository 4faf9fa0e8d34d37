"""Coverage and patrol plans through the API.

Who may do what: anyone may read the coverage and the plans of the units they see (the access
gate: another unit's plan answers 404); anyone may ask for a plan of a unit they see (a draft);
only commanders and administrators approve (403 otherwise).
"""

import datetime as dt

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from patroli.core.access import get_visible_or_404, visible
from patroli.core.api_errors import FieldErrors
from patroli.units.auth import AUTH
from patroli.units.models import Unit

from .coverage import coverage
from .models import PatrolPlan
from .planning import MAX_HOURS, MAX_TEAMS, MIN_HOURS, PlanError, approve_plan, create_plan
from .planning import plan_routes as routes_of

router = Router(tags=["plans"], auth=AUTH)


class ErrorOut(Schema):
    detail: str


class CoverageQuery(Schema):
    unit: int | None = Field(None, description="Default: your unit (everything for an admin)")
    days: int = Field(7, ge=1, le=365, description="Visited within this many days")


class TallyOut(Schema):
    key: str
    label: str
    total: int
    visited: int
    overdue: int
    never: int
    visited_pct: float
    overdue_pct: float
    never_pct: float


class CellOut(TallyOut):
    lat: float
    lng: float


class CoverageSiteOut(Schema):
    id: int
    name: str
    kind: str
    village: str
    village_name: str
    unit: int
    lat: float | None
    lng: float | None


class SiteStatusOut(Schema):
    site: CoverageSiteOut
    status: str = Field(description="visited, overdue or never")
    last_visit_at: dt.datetime | None
    days_since: float | None
    risk: float
    cell: str | None = Field(description="H3 cell (resolution 7); null without a location")


class CoverageOut(Schema):
    unit: int | None
    days: int
    as_of: dt.datetime
    total: TallyOut
    units: list[TallyOut]
    villages: list[TallyOut]
    cells: list[CellOut]
    left_alone: list[SiteStatusOut]
    sites: list[SiteStatusOut]


class PlanIn(Schema):
    unit: int | None = Field(None, description="Default: your unit")
    date: dt.date
    teams: int = Field(ge=1, le=MAX_TEAMS)
    hours_per_team: float = Field(ge=MIN_HOURS, le=MAX_HOURS)


class StopSiteOut(Schema):
    id: int
    name: str


class StopOut(Schema):
    site: StopSiteOut
    eta: dt.datetime
    travel_minutes: float
    dwell_minutes: float
    risk: float
    done: bool


class RouteOut(Schema):
    team: int
    minutes: float = Field(description="The whole route, back to the start")
    stops: list[StopOut]


class PlanOut(Schema):
    id: int
    unit: int
    date: dt.date
    teams: int
    hours_per_team: float
    status: str
    solver: str
    risk_covered: float
    routes: list[RouteOut]


class PlanSummaryOut(Schema):
    id: int
    unit: int
    date: dt.date
    teams: int
    hours_per_team: float
    status: str
    solver: str
    risk_covered: float

    @staticmethod
    def resolve_unit(obj) -> int:
        return obj.unit_id


class PlanFilter(Schema):
    date: dt.date | None = None
    status: str | None = None


def _site_status(item) -> dict:
    site = item.site
    return {
        "site": {
            "id": site.pk,
            "name": site.name,
            "kind": site.kind,
            "village": site.village_id,
            "village_name": site.village.name,
            "unit": site.unit_id,
            "lat": site.lat,
            "lng": site.lng,
        },
        "status": item.status,
        "last_visit_at": item.last_visit_at,
        "days_since": item.days_since,
        "risk": item.risk,
        "cell": item.cell,
    }


def plan_out(plan: PatrolPlan) -> dict:
    return {
        "id": plan.pk,
        "unit": plan.unit_id,
        "date": plan.date,
        "teams": plan.teams,
        "hours_per_team": plan.hours_per_team,
        "status": plan.status,
        "solver": plan.solver,
        "risk_covered": plan.risk_covered,
        "routes": [
            {
                "team": route.team,
                "minutes": route.minutes,
                "stops": [
                    {
                        "site": {"id": stop.site_id, "name": stop.site.name},
                        "eta": stop.eta,
                        "travel_minutes": stop.travel_minutes,
                        "dwell_minutes": stop.dwell_minutes,
                        "risk": stop.risk,
                        "done": stop.done_by_visit_id is not None,
                    }
                    for stop in route.stops
                ],
            }
            for route in routes_of(plan)
        ],
    }


@router.get("/coverage", response={200: CoverageOut, 404: ErrorOut})
def get_coverage(request, filters: Query[CoverageQuery]):
    """Sites visited within ``days``, overdue and never visited, with the roll-ups and the
    "left alone" list (never visited first, then the longest since the last visit)."""
    user = request.auth
    units = visible(Unit.objects.all(), user)
    unit = None
    if filters.unit is not None:
        unit = get_object_or_404(units, pk=filters.unit)
    elif user.unit is not None:
        unit = user.unit
    result = coverage(unit if unit is not None else units, days=filters.days)
    return {
        "unit": unit.pk if unit else None,
        "days": result.days,
        "as_of": result.now,
        "total": result.total.as_dict(),
        "units": [t.as_dict() for t in result.units],
        "villages": [t.as_dict() for t in result.villages],
        "cells": [t.as_dict() for t in result.cells],
        "left_alone": [_site_status(s) for s in result.left_alone],
        "sites": [_site_status(s) for s in result.sites],
    }


@router.get("/plans", response=list[PlanSummaryOut])
@paginate
def list_plans(request, filters: Query[PlanFilter]):
    plans = visible(PatrolPlan.objects.all(), request.auth)
    if filters.date:
        plans = plans.filter(date=filters.date)
    if filters.status:
        plans = plans.filter(status=filters.status)
    return plans


@router.post("/plans", response={201: PlanOut, 403: ErrorOut, 409: ErrorOut})
def post_plan(request, payload: PlanIn):
    """Propose a plan (a draft): stops that cover the most risk, weighted by the time since the
    last visit, within each team's hours; one ordered route per team from 08:00."""
    user = request.auth
    errors = FieldErrors()
    unit = None
    if payload.unit is not None:
        unit = visible(Unit.objects.all(), user).filter(pk=payload.unit).first()
        if unit is None:
            errors.add(("unit",), _("Unknown unit"))
    else:
        unit = user.unit
        if unit is None:
            errors.add(("unit",), _("Name the unit of the plan"))
    if payload.date < timezone.localdate():
        errors.add(("date",), _("The date is in the past"))
    errors.raise_if_any()
    try:
        plan = create_plan(
            unit=unit,
            date=payload.date,
            teams=payload.teams,
            hours_per_team=payload.hours_per_team,
            created_by=user,
        )
    except PlanError as exc:
        return _fail(exc)
    return 201, plan_out(plan)


@router.get("/plans/{plan_id}", response=PlanOut)
def get_plan(request, plan_id: int):
    return plan_out(get_visible_or_404(PatrolPlan.objects.all(), request.auth, pk=plan_id))


@router.post(
    "/plans/{plan_id}/approve", response={200: PlanOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}
)
def approve(request, plan_id: int):
    """Approve the plan (commanders and administrators); officers then see its stops today."""
    plan = get_visible_or_404(PatrolPlan.objects.all(), request.auth, pk=plan_id)
    try:
        plan = approve_plan(plan=plan, actor=request.auth)
    except PlanError as exc:
        return _fail(exc)
    return 200, plan_out(plan)


def _fail(exc: PlanError):
    if exc.status == 422:
        errors = FieldErrors()
        errors.add((exc.field or "plan",), str(exc))
        errors.raise_if_any()
    return exc.status, {"detail": str(exc)}
