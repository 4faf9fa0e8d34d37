"""The staff queue and concern pages in /app/aduan/."""

import csv
import io

import pytest
from django.test import Client

from patroli.concerns.models import Category, Concern
from patroli.concerns.services import move_concern, open_concern
from patroli.regions.models import Region

pytestmark = pytest.mark.django_db


def make(code="64.09.04.2004", category="hoaks", description="Pesan berantai tentang TPS.", **kw):
    return open_concern(
        source=kw.pop("source", "web"),
        category=Category.objects.get(code=category),
        description=description,
        village=Region.objects.get(code=code),
        reporter_name="Pelapor Rahasia",
        reporter_phone="0811000111",
        **kw,
    )


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_queue_is_scoped_and_filtered(world):
    sepaku = make()
    penajam = make(
        code="64.09.01.1003",
        category="politik-uang",
        description="Pembagian sembako oleh tim sukses.",
    )
    officer = logged_in(world.officer)
    html = officer.get("/app/aduan/").content.decode()
    assert sepaku.display_code in html and penajam.display_code not in html
    commander = logged_in(world.commander)
    html = commander.get("/app/aduan/").content.decode()
    assert sepaku.display_code in html and penajam.display_code in html
    filtered = commander.get("/app/aduan/?category=politik-uang").content.decode()
    assert penajam.display_code in filtered and sepaku.display_code not in filtered
    by_village = commander.get("/app/aduan/?village=64.09.04").content.decode()
    assert sepaku.display_code in by_village and penajam.display_code not in by_village
    searched = commander.get("/app/aduan/?q=membagikan").content.decode()
    assert penajam.display_code in searched and sepaku.display_code not in searched


def test_the_search_box_takes_a_tracking_code_as_it_is_read_out(world):
    wanted, other = make(), make(description="Pesan berantai lain.")
    spoken = " ".join(wanted.tracking_code[i : i + 2] for i in range(0, 8, 2)).lower()
    html = logged_in(world.officer).get("/app/aduan/", {"q": spoken}).content.decode()
    assert wanted.display_code in html and other.display_code not in html
    assert "1 aduan" in html
    # Not the unit's: nothing, as for any concern the searcher may not see.
    outside = logged_in(world.other_officer).get("/app/aduan/", {"q": spoken})
    assert wanted.display_code not in outside.content.decode()


def test_csv_export_is_exactly_the_filtered_view(world):
    make()
    make(category="politik-uang", description="Amplop dibagikan di RT 02.")
    make(code="64.09.01.1003")
    response = logged_in(world.officer).get("/app/aduan/?category=politik-uang&format=csv")
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 2  # header and the one politik-uang concern of Sepaku
    assert "Amplop dibagikan di RT 02." in rows[1]


def test_detail_moves_and_shows_the_timeline(world):
    concern = make()
    client = logged_in(world.kapolsek)
    url = f"/app/aduan/{concern.pk}/"
    html = client.get(url).content.decode()
    assert "Pelapor Rahasia" in html  # staff see the contact details
    response = client.post(
        url, {"move": "1", "move-status": "verified", "move-note": "Dicek.", "move-public": "on"}
    )
    assert response.status_code == 302
    concern.refresh_from_db()
    assert concern.status == "verified"
    # A status the map does not allow from here is not offered and not accepted.
    response = client.post(url, {"move": "1", "move-status": "closed"})
    assert response.status_code == 200
    concern.refresh_from_db()
    assert concern.status == "verified"


def test_duplicate_and_referral(world):
    first, second = make(), make(description="Pesan berantai yang sama.")
    client = logged_in(world.kapolsek)
    response = client.post(
        f"/app/aduan/{second.pk}/",
        {
            "move": "1",
            "move-status": "duplicate",
            "move-duplicate_of": first.display_code,
        },
    )
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.status == "duplicate" and second.duplicate_of == first
    client.post(
        f"/app/aduan/{first.pk}/",
        {"move": "1", "move-status": "referred", "move-agency": "Bawaslu PPU"},
    )
    first.refresh_from_db()
    assert first.status == "referred" and first.agency == "Bawaslu PPU"


def test_assign_to_an_officer(world):
    concern = make()
    client = logged_in(world.kapolsek)
    client.post(
        f"/app/aduan/{concern.pk}/",
        {
            "assign": "1",
            "assign-unit": world.sepaku.pk,
            "assign-officer": world.officer.pk,
        },
    )
    concern.refresh_from_db()
    assert concern.assigned_to == world.officer
    assert concern.events.last().public is False


def test_bulk_action_moves_each_and_reports_refusals(world):
    a, b = make(), make(description="Laporan kedua.")
    move_concern(concern=b, actor=world.kapolsek, to_status="verified")
    move_concern(concern=b, actor=world.kapolsek, to_status="resolved")
    client = logged_in(world.kapolsek)
    response = client.post(
        "/app/aduan/massal/",
        {
            "ids": [a.pk, b.pk],
            "action": "status:verified",
            "note": "Serentak",
        },
        follow=True,
    )
    a.refresh_from_db()
    b.refresh_from_db()  # noqa: E702
    assert a.status == "verified" and b.status == "resolved"
    text = response.content.decode()
    assert b.display_code in text  # the refusal names the concern


def test_bulk_action_goes_back_only_to_this_site(world):
    a = make()
    client = logged_in(world.kapolsek)
    data = {"ids": [a.pk], "action": "status:verified", "note": ""}
    away = client.post("/app/aduan/massal/", {**data, "next": "https://evil.example/x"})
    assert away["Location"] == "/app/aduan/"
    here = client.post("/app/aduan/massal/", {**data, "next": "/app/aduan/?status=verified"})
    assert here["Location"] == "/app/aduan/?status=verified"


def test_staff_entry(world):
    client = logged_in(world.officer)
    response = client.post(
        "/app/aduan/baru/",
        {
            "client_id": "6f1b3c52-6c1e-4b61-9d87-2d6c9f9b9d10",
            "category": Category.objects.get(code="kriminalitas").pk,
            "description": "Pencurian sepeda motor di depan pasar, dilaporkan lewat telepon.",
            "village": "64.09.04.2002",
            "reporter_name": "Ibu Sumarni",
            "reporter_phone": "081355500011",
        },
    )
    assert response.status_code == 302
    concern = Concern.objects.get()
    assert concern.source == "staff" and concern.created_by == world.officer
    # A village of another Polsek is refused and nothing is written.
    response = client.post(
        "/app/aduan/baru/",
        {
            "client_id": "7f1b3c52-6c1e-4b61-9d87-2d6c9f9b9d10",
            "category": Category.objects.get(code="kriminalitas").pk,
            "description": "Pencurian di Petung, bukan wilayah Sepaku.",
            "village": "64.09.01.1003",
        },
    )
    assert response.status_code == 200
    assert Concern.objects.count() == 1


def test_other_units_concern_is_404(world):
    concern = make(code="64.09.01.1003")
    client = logged_in(world.officer)
    assert client.get(f"/app/aduan/{concern.pk}/").status_code == 404
    client.post(f"/app/aduan/{concern.pk}/", {"move": "1", "move-status": "verified"})
    client.post("/app/aduan/massal/", {"ids": [concern.pk], "action": "status:verified"})
    concern.refresh_from_db()
    assert concern.status == "received"


def test_anonymous_is_sent_to_login(world, client):
    response = client.get("/app/aduan/")
    assert response.status_code == 302 and "/masuk/" in response["Location"]
