"""Reporter contact details and confidential concerns never reach a public page or API."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from patroli.concerns.models import Category, Open311Key
from patroli.concerns.photos import add_photo
from patroli.concerns.services import move_concern, open_concern
from patroli.regions.models import Region

pytestmark = pytest.mark.django_db

NAME, PHONE, EMAIL = "Bambang Sukirno", "081399988877", "bambang.sukirno@warga.example"
SECRET_TEXT = "Kepala dusun mengancam warga yang menolak"


def jpeg() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, "JPEG")
    return SimpleUploadedFile("bukti.jpg", buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def concerns(world):
    village = Region.objects.get(code="64.09.04.2004")

    def make(description, **flags):
        concern = open_concern(
            source="web",
            category=Category.objects.get(code="intimidasi"),
            description=description,
            village=village,
            reporter_name=NAME,
            reporter_phone=PHONE,
            reporter_email=EMAIL,
            **flags,
        )
        add_photo(concern=concern, upload=jpeg())
        move_concern(
            concern=concern, actor=world.kapolsek, to_status="verified", note="Kami tindak lanjuti."
        )
        return concern

    return {
        "named": make("Spanduk dirusak di depan balai desa."),
        "anonymous": make("Ada provokasi di grup warga.", anonymous=True),
        "confidential": make(SECRET_TEXT, confidential=True),
    }


def public_urls(concerns):
    urls = ["/", "/lapor/", "/lapor/desa/?q=bumi"]
    for concern in concerns.values():
        code = concern.tracking_code
        urls += [f"/lapor/{code}/"]
        for fmt in ("json", "xml"):
            urls += [
                f"/open311/v2/requests.{fmt}",
                f"/open311/v2/requests/{code}.{fmt}",
                f"/open311/v2/services.{fmt}",
            ]
    return urls


def test_no_contact_details_anywhere_public(concerns, client):
    for url in public_urls(concerns):
        body = client.get(url).content.decode()
        for secret in (NAME, PHONE, EMAIL):
            assert secret not in body, f"{secret} in {url}"


def test_confidential_concern_stays_out_of_public_views(concerns, client):
    confidential = concerns["confidential"]
    for url in public_urls(concerns):
        body = client.get(url).content.decode()
        assert SECRET_TEXT not in body, url
    for fmt in ("json", "xml"):
        listing = client.get(f"/open311/v2/requests.{fmt}").content.decode()
        assert confidential.tracking_code not in listing
        assert (
            client.get(f"/open311/v2/requests/{confidential.tracking_code}.{fmt}").status_code
            == 404
        )
    photo = confidential.photos.get()
    url = f"/lapor/{confidential.tracking_code}/foto/{photo.pk}/thumb/"
    assert client.get(url).status_code == 404


def test_public_photo_is_served_without_metadata(concerns, client):
    concern = concerns["named"]
    photo = concern.photos.get()
    response = client.get(f"/lapor/{concern.tracking_code}/foto/{photo.pk}/full/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    image = Image.open(io.BytesIO(b"".join(response.streaming_content)))
    assert not image.getexif()
    # A photo id of another concern is not reachable through this code.
    other = concerns["anonymous"].photos.get()
    url = f"/lapor/{concern.tracking_code}/foto/{other.pk}/full/"
    assert client.get(url).status_code == 404


def test_open311_post_answer_has_no_contact(world, client):
    _, key = Open311Key.issue("tester")
    response = client.post(
        "/open311/v2/requests.json",
        {
            "api_key": key,
            "service_code": "hoaks",
            "address_id": "64.09.04.2004",
            "description": "Pesan berantai palsu.",
            "email": EMAIL,
            "first_name": "Bambang",
            "last_name": "Sukirno",
            "phone": PHONE,
        },
    )
    assert response.status_code == 201
    for secret in (NAME, PHONE, EMAIL):
        assert secret not in response.content.decode()
