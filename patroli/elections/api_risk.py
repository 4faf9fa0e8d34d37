"""/api/v1/risk: the stored risk of sites and villages, with the factors that made each score."""

from datetime import datetime
from typing import Literal

from django.db.models import QuerySet
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from patroli.core.access import get_visible_or_404, visible
from patroli.sites.models import Site
from patroli.units.auth import AUTH
from patroli.units.models import Unit

from . import risk
from .models import RiskScore

router = Router(tags=["risk"], auth=AUTH)


class SiteRef(Schema):
    id: int
    name: str


class FactorOut(Schema):
    name: str
    label: str
    value: int | float | str | None
    contribution: float
    detail: str = ""


def _factors(obj) -> list[dict]:
    return [
        {
            "name": f.get("name", ""),
            "label": risk.factor_label(f.get("name", ""), f.get("label", "")),
            "value": f.get("value"),
            "contribution": f.get("contribution", 0.0),
            "detail": f.get("detail", ""),
        }
        for f in obj.factors
    ]


class ScoreOut(Schema):
    """What every stored score answers with: its level and the factors that made it."""

    unit: int
    score: float
    level: str
    level_label: str
    factors: list[FactorOut]
    computed_at: datetime

    @staticmethod
    def resolve_unit(obj) -> int:
        return obj.unit_id

    @staticmethod
    def resolve_level_label(obj) -> str:
        return risk.level_label(obj.level)

    @staticmethod
    def resolve_factors(obj) -> list[dict]:
        return _factors(obj)


class SiteRiskOut(ScoreOut):
    site: SiteRef
    village: str

    @staticmethod
    def resolve_site(obj) -> dict:
        return {"id": obj.site_id, "name": obj.site.name}

    @staticmethod
    def resolve_village(obj) -> str:
        return obj.site.village_id


class VillageRiskOut(ScoreOut):
    village: str
    village_name: str

    @staticmethod
    def resolve_village(obj) -> str:
        return obj.village_id

    @staticmethod
    def resolve_village_name(obj) -> str:
        return obj.village.name


class RiskFilter(Schema):
    unit: int | None = Field(None, description="Only this unit's subtree (within what you see)")
    level: Literal[tuple(RiskScore.Level.values)] | None = None
    village: str | None = Field(None, description="Kemendagri village code")


def _filtered(qs: QuerySet, request, filters: RiskFilter) -> QuerySet:
    if filters.unit is None:
        qs = visible(qs, request.auth)
    else:
        # Intersected with the caller's own scope: another unit's subtree shows nothing.
        unit = Unit.objects.filter(pk=filters.unit).first()
        qs = visible(qs, request.auth, within=unit) if unit else qs.none()
    if filters.level:
        qs = qs.filter(level=filters.level)
    return qs


@router.get("/risk/sites", response=list[SiteRiskOut])
@paginate
def list_site_risks(request, filters: Query[RiskFilter]):
    """Stored site scores, highest first (``patroli compute-risk`` fills them)."""
    qs = RiskScore.objects.filter(site__isnull=False).select_related("site")
    qs = _filtered(qs, request, filters)
    if filters.village:
        qs = qs.filter(site__village_id=filters.village)
    return qs.order_by("-score", "site__name", "pk")


@router.get("/risk/sites/{site_id}", response=SiteRiskOut)
def get_site_risk(request, site_id: int):
    """One site's score; computed and stored on the spot when it has none yet."""
    site = get_visible_or_404(Site.objects.all(), request.auth, pk=site_id)
    score = RiskScore.objects.select_related("site").filter(site=site).first()
    if score is None:
        score = risk.refresh_site(site.pk)
    return score


@router.get("/risk/villages", response=list[VillageRiskOut])
@paginate
def list_village_risks(request, filters: Query[RiskFilter]):
    """Stored village scores (each for the unit holding the village's records), highest first."""
    qs = RiskScore.objects.filter(site__isnull=True).select_related("village")
    qs = _filtered(qs, request, filters)
    if filters.village:
        qs = qs.filter(village_id=filters.village)
    return qs.order_by("-score", "village_id", "pk")
