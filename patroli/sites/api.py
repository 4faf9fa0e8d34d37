from typing import Literal

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from patroli.core.access import get_visible_or_404, visible
from patroli.core.api_errors import FieldErrors
from patroli.regions.models import Region
from patroli.units.auth import AUTH
from patroli.units.models import Unit

from .models import Site
from .services import upsert_site

router = Router(tags=["sites"], auth=AUTH)

SiteKind = Literal[tuple(Site.Kind.values)]


class SiteIn(Schema):
    name: str = Field(min_length=2, max_length=160)
    kind: SiteKind
    village: str = Field(description="Kemendagri code of the village, e.g. 64.09.04.2004")
    unit: int | None = Field(None, description="Defaults to the unit whose jurisdiction holds it")
    lat: float | None = Field(None, ge=-90, le=90)
    lng: float | None = Field(None, ge=-180, le=180)
    address: str = Field("", max_length=255)
    tps_number: int | None = Field(None, ge=1, le=9999)
    voters: int | None = Field(None, ge=0, le=100000)


class SiteRefOut(Schema):
    """A site as other records show it (coverage): read from a Site or a coverage.SiteRef."""

    id: int
    name: str
    kind: str
    village: str
    village_name: str
    unit: int
    lat: float | None
    lng: float | None

    @staticmethod
    def resolve_village(obj) -> str:
        return obj.village_id

    @staticmethod
    def resolve_village_name(obj) -> str:
        return obj.village.name

    @staticmethod
    def resolve_unit(obj) -> int:
        return obj.unit_id


class SiteOut(SiteRefOut):
    kind_label: str
    address: str
    tps_number: int | None
    voters: int | None

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return obj.get_kind_display()


class SiteFilter(Schema):
    q: str | None = None
    village: str | None = None
    kind: str | None = None


@router.get("/sites", response=list[SiteOut])
@paginate
def list_sites(request, filters: Query[SiteFilter]):
    sites = visible(Site.objects.select_related("village"), request.auth)
    if filters.q:
        sites = sites.search(filters.q)
    if filters.village:
        sites = sites.filter(village_id=filters.village)
    if filters.kind:
        sites = sites.filter(kind=filters.kind)
    return sites


@router.get("/sites/{site_id}", response=SiteOut)
def get_site(request, site_id: int):
    return get_visible_or_404(Site.objects.select_related("village"), request.auth, pk=site_id)


@router.post("/sites", response={200: SiteOut, 201: SiteOut})
def create_site(request, payload: SiteIn):
    """Create a site; the same village, kind and name again updates it instead (200)."""
    errors = FieldErrors()
    village = Region.objects.filter(code=payload.village, level=Region.Level.VILLAGE).first()
    if village is None:
        errors.add(("village",), _("No village has the code %s") % payload.village)
    unit = None
    if village is not None:
        responsible = Unit.objects.responsible_for(village)
        if payload.unit is not None:
            unit = visible(Unit.objects.all(), request.auth).filter(pk=payload.unit).first()
            if unit is None:
                errors.add(("unit",), _("Unknown unit"))
            elif responsible is None or not responsible.path.startswith(unit.path):
                errors.add(("unit",), _("This village is outside the unit's jurisdiction"))
        else:
            unit = responsible
            if unit is None or not visible(Unit.objects.filter(pk=unit.pk), request.auth).exists():
                errors.add(("village",), _("This village is outside your unit's jurisdiction"))
    errors.raise_if_any()
    existing = Site.objects.filter(village=village, kind=payload.kind, name=payload.name).first()
    if existing is not None:
        get_visible_or_404(Site.objects.all(), request.auth, pk=existing.pk)
    fields = payload.dict(exclude={"name", "kind", "village", "unit"})
    site, created = upsert_site(
        village=village,
        kind=payload.kind,
        name=payload.name,
        unit=unit,
        actor=request.auth,
        **fields,
    )
    return Status(201 if created else 200, site)
