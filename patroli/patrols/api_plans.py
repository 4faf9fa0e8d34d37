"""Coverage and patrol plans through the API.

Who may do what: anyone may read the coverage and the plans of the units they see (the access
gate: another unit's plan answers 404); anyone may ask for a plan of a unit they see (a draft);
only commanders and administrators approve (403 otherwise).
"""

import datetime as dt
from typing import Literal

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import BaseModel
from typing_extensions import TypedDict

from patroli.core.access import get_visible_or_404, visible
from patroli.core.api_errors import FieldErrors
from patroli.core.api_json import answer
from patroli.core.api_types import AwareMoment
from patroli.sites.api import SiteRefOut
from patroli.units.auth import AUTH
from patroli.units.models import Unit

from .coverage import LEFT_ALONE, STATUSES, SiteStatuses, coverage_cells, coverage_summary
from .models import PatrolPlan
from .planning import MAX_HOURS, MAX_TEAMS, MIN_HOURS, PlanError, approve_plan, create_plan
from .planning import plan_routes as routes_of

router = Router(tags=["plans"], auth=AUTH)


class ErrorOut(Schema):
    detail: str


class CoverageQuery(Schema):
    unit: int | None = Field(None, description="Default: your unit (everything for an admin)")
    days: int = Field(7, ge=1, le=365, description="Visited within this many days")
    as_of: AwareMoment | None = Field(
        None, description="Count as things stood at this moment (default: now)"
    )


class CoverageSitesQuery(CoverageQuery):
    status: Literal[(*STATUSES, LEFT_ALONE)] | None = Field(
        None, description="Only these sites; left_alone: overdue or never. Default: every site"
    )


# A tally as the API answers it (Tally.as_dict()). A TypedDict, validated into plain dicts: a
# Polda's coverage answers about 9,000 of them (8,563 villages in Jawa Tengah), and a model
# instance for each took twice as long (benchmarks/suite.py). (Comments, not docstrings: a
# docstring would show in the API's description.)
class TallyOut(TypedDict):
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


class SiteStatusOut(Schema):
    site: SiteRefOut
    status: str = Field(description="visited, overdue or never")
    last_visit_at: dt.datetime | None
    days_since: float | None
    risk: float
    cell: str | None = Field(description="H3 cell (resolution 7); null without a location")


# Built here as a dict: plain pydantic, without ninja's Schema, whose wrapper for reading Django
# objects took two thirds of a Polda's answer.
class CoverageOut(BaseModel):
    unit: int | None
    days: int
    as_of: dt.datetime
    total: TallyOut
    units: list[TallyOut]
    villages: list[TallyOut]


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


def _coverage_scope(request, filters: CoverageQuery):
    """The units to count: the one asked for (404 unless visible), else the user's own unit,
    else everything the user sees (an administrator); and the unit's id for the answer."""
    user = request.auth
    units = visible(Unit.objects.all(), user)
    if filters.unit is not None:
        unit = get_object_or_404(units, pk=filters.unit)
        return unit, unit.pk
    if user.unit is not None:
        return user.unit, user.unit_id
    return units, None


@router.get("/coverage", response={200: CoverageOut, 404: ErrorOut})
def get_coverage(request, filters: Query[CoverageQuery]):
    """How many sites were visited within ``days``, are overdue or were never visited: in all,
    per unit (in the order of the unit tree) and per village (worst covered first). The sites
    themselves come a page at a time from ``/coverage/sites``, the H3 cells from
    ``/coverage/cells``."""
    units, unit_id = _coverage_scope(request, filters)
    result = coverage_summary(units, days=filters.days, now=filters.as_of, left_alone=0)
    return answer(  # CoverageOut, not checked again (core.api_json.answer)
        {
            "unit": unit_id,
            "days": result.days,
            "as_of": result.now,
            "total": result.total.as_dict(),
            "units": [t.as_dict() for t in result.units],
            "villages": [t.as_dict() for t in result.villages],
        }
    )


@router.get("/coverage/sites", response={200: list[SiteStatusOut], 404: ErrorOut})
@paginate
def list_coverage_sites(request, filters: Query[CoverageSitesQuery]):
    """The sites with their status, in the order of the "left alone" list: never visited first,
    then the longest since the last visit, the riskiest first on ties."""
    units, _unit_id = _coverage_scope(request, filters)
    return SiteStatuses(units, days=filters.days, now=filters.as_of, status=filters.status)


@router.get("/coverage/cells", response={200: list[CellOut], 404: ErrorOut})
def list_coverage_cells(request, filters: Query[CoverageQuery]):
    """The sites with a location counted per H3 cell (resolution 7), worst covered first."""
    units, _unit_id = _coverage_scope(request, filters)
    cells = coverage_cells(units, days=filters.days, now=filters.as_of)
    return answer([t.as_dict() for t in cells])  # list[CellOut], not checked again


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
    return Status(201, plan_out(plan))


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
    return Status(200, plan_out(plan))


def _fail(exc: PlanError):
    if exc.status == 422:
        errors = FieldErrors()
        errors.add((exc.field or "plan",), str(exc))
        errors.raise_if_any()
    return Status(exc.status, {"detail": str(exc)})
