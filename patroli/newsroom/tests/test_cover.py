"""A cover photo is stored re-encoded, without the metadata of the phone that took it."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from patroli.newsroom.services import create_release

pytestmark = pytest.mark.django_db


def photo_with_exif() -> SimpleUploadedFile:
    exif = Image.Exif()
    exif[0x010F] = "MerekKamera"  # Make
    exif[0x0110] = "ModelPonsel"  # Model
    buffer = io.BytesIO()
    Image.new("RGB", (320, 200), (20, 90, 160)).save(buffer, "JPEG", exif=exif.tobytes())
    return SimpleUploadedFile("sampul.jpg", buffer.getvalue(), content_type="image/jpeg")


def test_cover_is_stripped(world):
    release = create_release(
        author=world.humas, unit=world.sepaku, title="Patroli di Bumi Harapan", body="Isi rilis."
    )
    client = Client()
    client.force_login(world.humas)
    response = client.post(
        f"/app/berita/{release.pk}/",
        {
            "action": "save",
            "title": release.title,
            "dateline": "",
            "body": release.body,
            "cover": photo_with_exif(),
        },
    )
    assert response.status_code == 302
    release.refresh_from_db()
    with release.cover.open("rb") as f:
        data = f.read()
    assert b"MerekKamera" not in data and b"ModelPonsel" not in data
    assert not Image.open(io.BytesIO(data)).getexif()
    assert release.revisions.last().changed == ["cover"]


def test_a_text_file_is_refused_as_cover(world):
    release = create_release(
        author=world.humas, unit=world.sepaku, title="Patroli di Bumi Harapan", body="Isi rilis."
    )
    client = Client()
    client.force_login(world.humas)
    fake = SimpleUploadedFile("sampul.jpg", b"bukan gambar", content_type="image/jpeg")
    response = client.post(
        f"/app/berita/{release.pk}/",
        {"action": "save", "title": release.title, "dateline": "", "body": "Baru.", "cover": fake},
    )
    assert response.status_code == 200
    release.refresh_from_db()
    assert not release.cover and release.body == "Isi rilis."
