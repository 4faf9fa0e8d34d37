from ninja import Router, Schema

from patroli.units.auth import AUTH

from .models import Category

router = Router(tags=["concerns"], auth=AUTH)


class CategoryOut(Schema):
    code: str
    name: str
    group: str
    severity: str


@router.get("/categories", response=list[CategoryOut])
def list_categories(request):
    return Category.objects.filter(active=True)
