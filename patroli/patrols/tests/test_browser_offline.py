"""An officer without signal (Chromium): three visits, one with a photo, saved on the phone,
still queued after a reload, sent when the signal returns; the server holds each exactly once.
Also the page weights on a slow link: the first load and a later page, compressed."""

import gzip
import io
import json
import re
import time

import pytest
from django.test import Client
from PIL import Image

from conftest import PASSWORD, api_client
from patroli.concerns.models import Concern
from patroli.core.testing import phone, sideways_scroll, wait_until
from patroli.elections.models import Incident
from patroli.patrols.models import Visit, VisitPhoto

OUTBOX_SCREENSHOT = "/tmp/patroli-outbox.png"  # noqa: S108
FIRST_LOAD_BUDGET = 150 * 1024
LATER_PAGE_BUDGET = 30 * 1024
TEXT_TYPES = ("text/", "application/javascript", "application/json", "application/manifest")


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1200, 900), (40, 120, 60)).save(out, "JPEG", quality=85)
    return out.getvalue()


def log_in(page, base, user):
    page.goto(f"{base}/masuk/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/app/")


def wait_for_worker(page):
    wait_until(page, "navigator.serviceWorker && navigator.serviceWorker.controller !== null")


def record(page, base, site_id, n, photo=None, incident=False):
    page.goto(f"{base}/app/kunjungan/baru/")
    page.select_option("#id_site", value=str(site_id))
    page.fill("#id_p-0-name", f"Peserta {n}")
    page.fill("#id_attendees", str(3 + n))
    page.locator("input[name=appeals]").first.check()
    page.locator("input[name=response][value=positive]").check()
    page.fill("#id_topics", f"Kesiapan TPS, kunjungan {n}")
    page.select_option("#id_c-0-category", index=1)
    page.fill("#id_c-0-description", f"Masalah yang disampaikan pada kunjungan {n}")
    if incident:
        page.click("button[data-add=incidents]")
        page.select_option("#id_i-0-kind", "money_politics")
        page.select_option("#id_i-0-severity", "yellow")
        page.fill("#id_i-0-description", "Pembagian amplop di dekat TPS")
    if photo:
        page.set_input_files(
            "input[name=photos]",
            files=[{"name": "tps.jpg", "mimeType": "image/jpeg", "buffer": photo}],
        )
    page.click("#visit-form button[type=submit]")
    page.wait_for_url(re.compile(r"/app/kotak-keluar/\?saved="))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_three_visits_without_signal_are_sent_once(live_server, libraries, world):
    from playwright.sync_api import expect

    base = live_server.url
    site = world.pps_bumi.pk
    photo = jpeg()
    too_wide = []
    began = time.time()
    with phone(locale="id-ID", timezone_id="Asia/Makassar") as page:
        log_in(page, base, world.officer)
        wait_for_worker(page)
        page.goto(f"{base}/app/kunjungan/baru/")  # kept by the worker for use offline
        page.goto(f"{base}/app/kotak-keluar/")
        page.context.set_offline(True)

        record(page, base, site, 1, photo=photo)
        record(page, base, site, 2, incident=True)
        record(page, base, site, 3)
        outbox = page.locator("#outbox")
        expect(outbox.locator(".status-pending")).to_have_count(3)
        too_wide += sideways_scroll(page)

        page.reload()  # still offline: the outbox is on the phone, the page in the worker
        expect(outbox.locator(".status-pending")).to_have_count(3)
        expect(outbox).to_contain_text("menunggu dikirim")
        page.screenshot(path=OUTBOX_SCREENSHOT, full_page=True)

        page.context.set_offline(False)
        page.click("#outbox-send")
        expect(outbox.locator(".status-sent")).to_have_count(3, timeout=20000)
        expect(outbox).to_contain_text("Foto terkirim: 1 dari 1")
        ids = page.evaluate("PatroliOutbox.all().then(rs => rs.map(r => r.visit))")

    assert Visit.objects.count() == 3
    assert VisitPhoto.objects.count() == 1
    # The phone named each visit and photo with a time-ordered id of the moment it was made.
    for made in [*Visit.objects.values_list("pk", flat=True), VisitPhoto.objects.get().pk]:
        assert made.version == 7
        assert began - 1 <= int(made.hex[:12], 16) / 1000 <= time.time()
    assert Concern.objects.filter(visit__isnull=False).count() == 3
    assert Incident.objects.get().kind == "money_politics"
    assert sorted(v.dialogue.attendees for v in Visit.objects.select_related("dialogue")) == [
        4,
        5,
        6,
    ]
    # A replay of the whole outbox creates nothing new.
    replay = api_client(world.officer).post(
        "/api/v1/sync", json.dumps({"visits": ids}), content_type="application/json"
    )
    assert [r["status"] for r in replay.json()["results"]] == ["exists"] * 3
    assert Visit.objects.count() == 3
    assert not too_wide, too_wide


def transferred(responses) -> int:
    """Bytes over the wire, as a compressing server sends them (gzip for text)."""
    total = 0
    for response in responses:
        if response["from_worker"]:
            continue
        body = response["body"]
        compress = response["type"].startswith(TEXT_TYPES) and not response["encoded"]
        total += len(gzip.compress(body, 6)) if compress else len(body)
        total += response["headers"]
    return total


def collect(page, state):
    """Record every response into ``state["sink"]`` (switch the list to start a new count)."""

    def on_response(response):
        try:
            body = response.body()
        except Exception:  # noqa: BLE001 - redirects and aborted requests have no body
            body = b""
        state["sink"].append(
            {
                "url": response.url,
                "status": response.status,
                "type": response.headers.get("content-type", ""),
                "encoded": bool(response.headers.get("content-encoding")),
                "from_worker": response.from_service_worker,
                "body": body,
                "headers": response.request.sizes()["responseHeadersSize"],
            }
        )

    page.context.on("response", on_response)  # the worker's own fetches included


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_page_weights_fit_a_slow_link(live_server, libraries, world, capsys):
    base = live_server.url
    with phone(locale="id-ID") as page:
        page.goto(f"{base}/masuk/")
        page.fill("#id_username", world.officer.username)
        page.fill("#id_password", PASSWORD)
        first, later = [], []
        state = {"sink": first}
        collect(page, state)
        page.click("main form button[type=submit]")
        page.wait_for_url(f"{base}/app/")
        wait_for_worker(page)
        page.wait_for_load_state("networkidle")
        state["sink"] = later
        page.goto(f"{base}/app/kunjungan/baru/")
        page.wait_for_load_state("networkidle")
        # The worker's own fetches (the kept pages and files) give Playwright no body: fetch
        # the same addresses again with the same cookies to weigh them.
        for response in first + later:
            if not response["body"] and response["status"] == 200:
                response["body"] = page.request.get(response["url"]).body()
    first_kb, later_kb = transferred(first) / 1024, transferred(later) / 1024
    with capsys.disabled():
        print(f"\npage weights (gzip): first load {first_kb:.1f} KB, later page {later_kb:.1f} KB")
    assert transferred(first) <= FIRST_LOAD_BUDGET, [r["url"] for r in first]
    assert transferred(later) <= LATER_PAGE_BUDGET, [r["url"] for r in later]
    assert Client().get("/app/sw.js").status_code == 200


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_rejected_visit_stays_on_the_phone_to_be_fixed(live_server, libraries, world):
    from playwright.sync_api import expect

    base = live_server.url
    with phone(locale="id-ID", timezone_id="Asia/Makassar") as page:
        log_in(page, base, world.officer)
        page.goto(f"{base}/app/kunjungan/baru/")
        page.select_option("#id_site", value=str(world.pps_bumi.pk))
        page.fill("#id_started_at", "2099-01-01T10:00")  # in the future by the server's clock
        page.fill("#id_p-0-name", "Suparno")
        page.click("#visit-form button[type=submit]")
        errors = page.locator("#outbox-errors")
        expect(errors).to_be_visible()
        expect(page.locator("#id_started_at").locator("xpath=..")).to_contain_text("server")
        page.goto(f"{base}/app/kotak-keluar/")
        expect(page.locator("#outbox .status-rejected")).to_have_count(1)
        page.locator("#outbox a", has_text="Perbaiki").click()
        expect(page.locator("#outbox-editing")).to_be_visible()
        expect(page.locator("#id_p-0-name")).to_have_value("Suparno")
        page.fill("#id_started_at", "2024-01-23T10:00")
        page.click("#visit-form button[type=submit]")
        page.wait_for_url(re.compile(r"/app/kunjungan/[0-9a-f-]{36}/$"))
        expect(page.locator("main")).to_contain_text("Suparno")
        page.goto(f"{base}/app/kotak-keluar/")
        expect(page.locator("#outbox .status-sent")).to_have_count(1)
    visit = Visit.objects.get()
    assert visit.started_at.year == 2024
