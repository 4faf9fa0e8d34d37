"""A resident reports on a phone, the Kapolsek resolves it, the resident rates it (Chromium)."""

import re

import pytest

from conftest import PASSWORD
from patroli.concerns.models import Concern
from patroli.core.testing import phone, sideways_scroll

TRACK_SCREENSHOT = "/tmp/patroli-track.png"  # noqa: S108
REPORT_SCREENSHOT = "/tmp/patroli-report.png"  # noqa: S108


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_report_resolve_and_rate(live_server, libraries, world):
    from playwright.sync_api import expect

    too_wide = []
    with phone(locale="id-ID") as page:
        page.goto(f"{live_server.url}/lapor/")
        page.select_option("#id_category", label="Politik uang")
        page.fill("#id_description", "Ada pembagian amplop kepada warga RT 03 menjelang pemilu.")
        page.fill("#id_village", "Bumi Harapan")
        # Leaflet (from npm) draws Sepaku's villages; a tap sets the point.
        expect(page.locator("#map path.leaflet-interactive").first).to_be_visible()
        page.locator("#map").click(position={"x": 180, "y": 130})
        expect(page.locator("#id_lat")).not_to_have_value("")
        page.screenshot(path=REPORT_SCREENSHOT, full_page=True)
        page.fill("#id_reporter_name", "Sutrisno")
        page.fill("#id_reporter_email", "sutrisno@warga.example")
        page.check("#id_anonymous")
        too_wide += sideways_scroll(page)
        page.click("#report-form button[type=submit]")
        page.wait_for_url(re.compile(r"/lapor/[A-Z0-9]{8}/$"))
        code = page.locator("p.code").inner_text().strip()
        expect(page.locator("main")).to_contain_text("Bumi Harapan")
        too_wide += sideways_scroll(page)
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", code)

    with phone() as page:
        page.goto(f"{live_server.url}/masuk/?next=/app/aduan/")
        page.fill("#id_username", world.kapolsek.username)
        page.fill("#id_password", PASSWORD)
        page.click("main form button[type=submit]")
        page.wait_for_url(f"{live_server.url}/app/aduan/")
        page.get_by_role("link", name=code).click()
        page.select_option("#id_move-status", "verified")
        page.fill("#id_move-note", "Laporan sedang kami dalami.")
        page.click("button[name=move]")
        expect(page.locator(".messages")).to_be_visible()
        page.select_option("#id_move-status", "resolved")
        page.fill("#id_move-note", "Sudah ditindaklanjuti bersama Bawaslu; warga diimbau melapor.")
        page.click("button[name=move]")
        expect(page.locator("main")).to_contain_text("Sudah ditindaklanjuti")
        too_wide += sideways_scroll(page)

    with phone() as page:
        page.goto(f"{live_server.url}/lapor/{code.replace('-', '').lower()}/")
        main = page.locator("main")
        expect(main).to_contain_text("Sudah ditindaklanjuti bersama Bawaslu")
        expect(main).not_to_contain_text("Sutrisno")
        page.check("input[name=rate-rating][value='5']")
        page.click("button[name=rate]")
        expect(main).to_contain_text("5")
        page.screenshot(path=TRACK_SCREENSHOT, full_page=True)
        too_wide += sideways_scroll(page)

    concern = Concern.objects.get()
    assert concern.status == "resolved"
    assert concern.rating == 5
    assert concern.anonymous and concern.reporter_email == "sutrisno@warga.example"
    assert -1.2 < concern.lat < -0.7 and 116.4 < concern.lon < 117.0  # inside Sepaku
    assert [e.to_status for e in concern.events.filter(kind="status")] == [
        "received",
        "verified",
        "resolved",
    ]
    assert not too_wide, too_wide
