"""A resident reports a problem at /lapor/, gets a code and follows it at /lapor/<code>/."""

import uuid
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from patroli.concerns.models import Category, Concern
from patroli.concerns.services import move_concern

pytestmark = pytest.mark.django_db

NAME, PHONE, EMAIL = "Sutrisno Wibowo", "081377712345", "sutrisno.wibowo@warga.example"


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def report_data(**overrides):
    data = {
        "client_id": str(uuid.uuid4()),
        "category": Category.objects.get(code="politik-uang").pk,
        "description": "Ada pembagian amplop kepada warga menjelang pemungutan suara.",
        "village": "Bumi Harapan",
        "reporter_name": NAME,
        "reporter_phone": PHONE,
        "reporter_email": EMAIL,
        "website": "",
    }
    data.update(overrides)
    return data


def test_form_is_in_indonesian(client):
    html = client.get("/lapor/").content.decode()
    assert "Laporkan masalah" in html
    assert "Report a problem" not in html
    assert 'name="website"' in html  # the honeypot is there, hidden by CSS


def test_report_gives_a_tracking_code(world, client):
    response = client.post("/lapor/", report_data())
    assert response.status_code == 302
    concern = Concern.objects.get()
    assert response["Location"] == f"/lapor/{concern.tracking_code}/"
    assert concern.source == "web" and concern.status == "received"
    assert concern.unit == world.sepaku and concern.village_id == "64.09.04.2004"
    assert concern.due_at is not None
    page = client.get(response["Location"]).content.decode()
    assert concern.display_code in page
    assert "pembagian amplop" in page


def test_same_form_twice_is_one_report(world, client):
    data = report_data()
    first = client.post("/lapor/", data)
    second = client.post("/lapor/", data)
    assert first["Location"] == second["Location"]
    assert Concern.objects.count() == 1


def test_village_by_code_and_ambiguous_names(world, client):
    assert client.post("/lapor/", report_data(village="64.09.04.2002")).status_code == 302
    # "Sepaku" is a kelurahan, a kecamatan and part of other names: one village must be chosen.
    response = client.post("/lapor/", report_data(village="xyz-nowhere"))
    assert response.status_code == 200
    assert "village" in response.context["form"].errors


def test_bad_input_names_the_fields_and_writes_nothing(world, client):
    response = client.post(
        "/lapor/", report_data(description="short", category="", reporter_email="not-an-email")
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"description", "category", "reporter_email"} <= set(errors)
    assert Concern.objects.count() == 0


def test_honeypot_rejects_robots(world, client):
    response = client.post("/lapor/", report_data(website="http://spam.example"))
    assert response.status_code == 400
    assert Concern.objects.count() == 0


def test_rate_limit_per_address(world, client, settings):
    settings.PATROLI_REPORT_RATE = "2/h"
    assert client.post("/lapor/", report_data()).status_code == 302
    assert client.post("/lapor/", report_data()).status_code == 302
    third = client.post("/lapor/", report_data())
    assert third.status_code == 429
    assert Concern.objects.count() == 2
    # Another address is not affected.
    other = client.post("/lapor/", report_data(), REMOTE_ADDR="10.9.8.7")
    assert other.status_code == 302


def test_village_suggestions(world, client):
    items = client.get("/lapor/desa/?q=bumi har").json()["items"]
    assert items[0]["code"] == "64.09.04.2004"
    assert items[0]["label"] == "Bumi Harapan, Sepaku, Kabupaten Penajam Paser Utara"
    assert client.get("/lapor/desa/?q=bu").json()["items"] == []


def test_code_is_case_and_dash_insensitive(world, client):
    client.post("/lapor/", report_data())
    code = Concern.objects.get().tracking_code
    sloppy = f"{code[:4].lower()}-{code[4:].lower()}"
    response = client.get(f"/lapor/cari/?code={sloppy}", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == f"/lapor/{code}/"
    assert client.get("/lapor/AAAAAAAA/").status_code == 404


def make(world, **fields) -> Concern:
    from patroli.concerns.services import open_concern
    from patroli.regions.models import Region

    return open_concern(
        source="web",
        category=Category.objects.get(code="hoaks"),
        description=fields.pop("description", "Pesan berantai keliru tentang TPS khusus."),
        village=Region.objects.get(code="64.09.04.2004"),
        reporter_name=NAME,
        reporter_phone=PHONE,
        reporter_email=EMAIL,
        **fields,
    )


def test_public_timeline_shows_public_notes_only(world, client):
    concern = make(world)
    move_concern(
        concern=concern,
        actor=world.kapolsek,
        to_status="verified",
        note="Sedang kami periksa.",
        public=True,
    )
    move_concern(
        concern=concern,
        actor=world.kapolsek,
        to_status="in_progress",
        note="Catatan internal: pelaku diduga tim X.",
        public=False,
    )
    html = client.get(f"/lapor/{concern.tracking_code}/").content.decode()
    assert "Sedang kami periksa." in html
    assert "Catatan internal" not in html


@pytest.mark.parametrize("anonymous", [False, True])
def test_contact_details_never_public(world, client, anonymous):
    concern = make(world, anonymous=anonymous)
    html = client.get(f"/lapor/{concern.tracking_code}/").content.decode()
    for secret in (NAME, PHONE, EMAIL):
        assert secret not in html


def test_confidential_shows_only_status(world, client):
    concern = make(world, confidential=True, description="Saya diancam oleh kepala dusun.")
    html = client.get(f"/lapor/{concern.tracking_code}/").content.decode()
    assert concern.get_status_display() in html
    assert "diancam" not in html
    for secret in (NAME, PHONE, EMAIL):
        assert secret not in html


def test_rating_after_resolution(world, client):
    concern = make(world)
    page = client.get(f"/lapor/{concern.tracking_code}/").content.decode()
    assert 'name="rate"' not in page
    move_concern(concern=concern, actor=world.kapolsek, to_status="verified")
    move_concern(concern=concern, actor=world.kapolsek, to_status="resolved", note="Selesai.")
    response = client.post(
        f"/lapor/{concern.tracking_code}/", {"rate": "1", "rate-rating": "4", "rate-comment": "ok"}
    )
    assert response.status_code == 302
    concern.refresh_from_db()
    assert concern.rating == 4
    # Only once.
    client.post(f"/lapor/{concern.tracking_code}/", {"rate": "1", "rate-rating": "1"})
    concern.refresh_from_db()
    assert concern.rating == 4


def test_reopen_within_fourteen_days_only(world, client):
    concern = make(world)
    move_concern(concern=concern, actor=world.kapolsek, to_status="verified")
    move_concern(concern=concern, actor=world.kapolsek, to_status="resolved")
    url = f"/lapor/{concern.tracking_code}/"
    Concern.objects.filter(pk=concern.pk).update(resolved_at=timezone.now() - timedelta(days=15))
    client.post(url, {"reopen": "1", "reopen-note": "Masih terjadi."})
    concern.refresh_from_db()
    assert concern.status == "resolved"
    Concern.objects.filter(pk=concern.pk).update(resolved_at=timezone.now() - timedelta(days=13))
    response = client.post(url, {"reopen": "1", "reopen-note": "Masih terjadi."})
    assert response.status_code == 302
    concern.refresh_from_db()
    assert concern.status == "reopened"
    assert concern.events.last().note == "Masih terjadi."
    assert concern.due_at is not None


def test_report_with_a_photo(world, client):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "KameraMerek"  # Make
    Image.new("RGB", (120, 80), (10, 120, 200)).save(buffer, "JPEG", exif=exif.tobytes())
    photo = SimpleUploadedFile("bukti.jpg", buffer.getvalue(), content_type="image/jpeg")
    response = client.post("/lapor/", {**report_data(), "photo": photo})
    assert response.status_code == 302
    stored = Concern.objects.get().photos.get()
    with stored.image.open("rb") as f:
        assert b"KameraMerek" not in f.read()


def test_a_bad_photo_is_a_field_error_and_nothing_is_written(world, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("bukti.jpg", b"bukan gambar", content_type="image/jpeg")
    response = client.post("/lapor/", {**report_data(), "photo": fake})
    assert response.status_code == 200
    assert "photo" in response.context["form"].errors
    assert Concern.objects.count() == 0
