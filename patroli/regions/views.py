from pathlib import Path

from django.http import FileResponse, Http404
from django.views.decorators.cache import cache_control

BOUNDARIES = Path(__file__).parent / "data" / "sepaku_boundaries.geojson"


@cache_control(public=True, max_age=86400)
def boundaries(request, code: str):
    """Shipped boundary polygons (GeoJSON) of a district and its villages: the map's base layer.

    Only Kecamatan Sepaku (64.09.04) ships with polygons; elsewhere maps show centroids.
    """
    if code != "64.09.04":
        raise Http404
    return FileResponse(BOUNDARIES.open("rb"), content_type="application/geo+json")
