from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema
from ninja.pagination import paginate

from patroli.units.auth import AUTH

from .models import Region

router = Router(tags=["regions"], auth=AUTH)


class RegionOut(Schema):
    code: str
    name: str
    level: str
    kind: str
    parent: str | None = None
    lat: float | None = None
    lng: float | None = None
    postal_code: str = ""

    @staticmethod
    def resolve_level(obj) -> str:
        return Region.Level(obj.level).name.lower()

    @staticmethod
    def resolve_parent(obj) -> str | None:
        return obj.parent_id


class RegionRef(Schema):
    code: str
    name: str
    level: str

    @staticmethod
    def resolve_level(obj) -> str:
        return Region.Level(obj.level).name.lower()


class RegionDetailOut(RegionOut):
    ancestors: list[RegionRef]

    @staticmethod
    def resolve_ancestors(obj) -> list[Region]:
        return obj.ancestors()


class RegionFilter(Schema):
    parent: str | None = None
    q: str | None = None
    level: int | None = None


@router.get("/regions", response=list[RegionOut])
@paginate
def list_regions(request, filters: Query[RegionFilter]):
    """Children of `parent` (provinces when absent); `q` searches names anywhere."""
    regions = Region.objects.all()
    if filters.q:
        regions = regions.search(filters.q)
        if filters.parent:
            regions = regions.filter(code__startswith=filters.parent + ".")
    else:
        regions = regions.filter(parent_id=filters.parent)
    if filters.level:
        regions = regions.filter(level=filters.level)
    return regions.order_by("code")


@router.get("/regions/{code}", response=RegionDetailOut)
def get_region(request, code: str):
    """One region with its ancestors, province first."""
    return get_object_or_404(Region, code=code)
