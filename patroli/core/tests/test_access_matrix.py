"""Every page and endpoint of the foundation × every persona, for a record of Polsek Sepaku.

A Sepaku record must be readable by Sepaku's officer and Kapolsek, the Polres commander above and
the administrator; the sibling Polsek's officer and a user without a unit get 404 (not 403);
anonymous users are sent to log in (pages) or get 401 (API).
"""

import io
import uuid

import pytest
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from PIL import Image

from conftest import api_client
from patroli.concerns.models import Category
from patroli.core.photos import prepare_photo
from patroli.elections import risk
from patroli.patrols.services import ConcernData, add_visit_photo, record_visit

pytestmark = pytest.mark.django_db

SEES = {
    "officer": True,
    "kapolsek": True,
    "commander": True,
    "admin": True,
    "other_officer": False,
    "no_unit": False,
}


@pytest.fixture
def visit(world):
    visit, _ = record_visit(
        recorded_by=world.officer,
        site=world.pps_bumi,
        started_at="2024-01-23T02:00:00Z",
        concerns=[ConcernData(Category.objects.get(code="hoaks"), "Pesan berantai keliru.")],
    )
    add_visit_photo(visit=visit, photo_id=uuid.uuid4(), photo=prepare_photo(png()))
    risk.compute_all()
    return visit


def png() -> io.BytesIO:
    file = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(file, "PNG")
    file.name = "foto.png"
    file.seek(0)
    return file


def put_photo(client, visit):
    """Send the visit's stored photo again: 200 for those who may see the visit."""
    return client.put(
        f"/api/v1/visits/{visit.pk}/photos/{visit.photos.get().pk}",
        encode_multipart(BOUNDARY, {"image": png()}),
        content_type=MULTIPART_CONTENT,
    )


def record_urls(world, visit):
    concern = visit.concerns.get()
    return {
        "page visit detail": f"/app/kunjungan/{visit.pk}/",
        "page visit photo": f"/app/kunjungan/{visit.pk}/foto/{visit.photos.get().pk}/thumb/",
        "api visit": f"/api/v1/visits/{visit.pk}",
        "api site": f"/api/v1/sites/{world.pps_bumi.pk}",
        "page concern detail": f"/app/aduan/{concern.pk}/",
        "api concern": f"/api/v1/concerns/{concern.pk}",
        "api concern events": f"/api/v1/concerns/{concern.pk}/events",
        "page risk of a site": f"/app/risiko/lokasi/{world.pps_bumi.pk}/",
        "api risk of a site": f"/api/v1/risk/sites/{world.pps_bumi.pk}",
        # The dashboard, its map, reports and exports of Polsek Sepaku (the unit is the record).
        "page dashboard of the unit": "/app/dasbor/?unit=polsek-sepaku",
        "map layer of the unit": "/app/peta/visits.geojson?unit=polsek-sepaku",
        "export of the unit": "/app/exports/visits.csv?unit=polsek-sepaku",
    }


def list_urls(world, visit):
    """Lists: the record is in the list exactly for those who may see it."""
    return {
        "page today": ("/app/hari-ini/", world.pps_bumi.name),
        "page visit list": ("/app/kunjungan/", world.pps_bumi.name),
        "page new visit (site choices)": ("/app/kunjungan/baru/", world.pps_bumi.name),
        "api visits": ("/api/v1/visits", str(visit.pk)),
        "api sites": ("/api/v1/sites", world.pps_bumi.name),
        "api units": ("/api/v1/units", "polsek-sepaku"),
        "page concern queue": ("/app/aduan/", visit.concerns.get().display_code),
        "api concerns": ("/api/v1/concerns", visit.concerns.get().tracking_code),
        "page risk list": ("/app/risiko/", world.pps_bumi.name),
        "api risk list": ("/api/v1/risk/sites", world.pps_bumi.name),
        "page coverage": ("/app/rencana/cakupan/", world.pps_bumi.name),
    }


@pytest.mark.parametrize("persona", SEES)
def test_records(world, visit, persona):
    user = getattr(world, persona)
    for name, url in record_urls(world, visit).items():
        if url.startswith("/api/"):
            status = api_client(user).get(url).status_code
        else:
            client = Client()
            client.force_login(user)
            status = client.get(url).status_code
        assert status == (200 if SEES[persona] else 404), f"{persona} {name}: {status}"
    status = put_photo(api_client(user), visit).status_code
    assert status == (200 if SEES[persona] else 404), f"{persona} api visit photo: {status}"


@pytest.mark.parametrize("persona", SEES)
def test_lists(world, visit, persona):
    user = getattr(world, persona)
    for name, (url, marker) in list_urls(world, visit).items():
        if url.startswith("/api/"):
            response = api_client(user).get(url)
        else:
            client = Client()
            client.force_login(user)
            response = client.get(url)
        assert response.status_code == 200, f"{persona} {name}"
        shown = marker in response.content.decode()
        assert shown == SEES[persona], f"{persona} {name}: shown={shown}"


def test_anonymous(world, visit, client):
    for name, url in record_urls(world, visit).items():
        response = client.get(url)
        if url.startswith("/api/"):
            assert response.status_code == 401, name
        else:
            assert response.status_code == 302 and "/masuk/" in response["Location"], name
    assert put_photo(client, visit).status_code == 401
    for name, (url, _) in list_urls(world, visit).items():
        response = client.get(url)
        expected = 401 if url.startswith("/api/") else 302
        assert response.status_code == expected, name
