"""The Kapolsek opens the dashboard of 23 January 2024, filters by village, sees the map and the
charts and downloads the daily report; the Kapolres reads his on a phone (Chromium)."""

import re
from pathlib import Path

import pytest

from conftest import PASSWORD
from patroli.core.demo import seed_demo
from patroli.core.testing import phone, sideways_scroll

SCREENSHOT = "/tmp/patroli-dashboard.png"  # noqa: S108
DESKTOP = {"width": 1280, "height": 900}


def log_in(page, base, username, next_url):
    page.goto(f"{base}/masuk/?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main form button[type=submit]")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_commander_dashboard_map_charts_and_daily_report(
    live_server, libraries, ppu_regions_file, tmp_path
):
    from playwright.sync_api import expect

    seed_demo(password=PASSWORD, regions_file=ppu_regions_file)
    base = live_server.url
    with phone(locale="id-ID", viewport=DESKTOP, accept_downloads=True) as page:
        log_in(page, base, "kasiyono", "/app/%3Fdate%3D2024-01-23")
        page.wait_for_url(re.compile(r"/app/\?date=2024-01-23$"))
        main = page.locator("main")
        expect(main).to_contain_text("Polsek Sepaku")
        expect(main).to_contain_text("23 Januari 2024")
        expect(main).to_contain_text("Masa kampanye")
        # Leaflet draws Sepaku's village polygons coloured by risk (on a canvas), and the visits.
        expect(page.locator("#dash-map[data-ready='1']")).to_be_attached()
        expect(page.locator("#dash-map .leaflet-overlay-pane canvas")).to_be_visible()
        assert int(page.locator("#dash-map").get_attribute("data-polygons")) == 15
        assert page.locator("svg.chart rect").count() > 3
        # Filter by village: the view and every link keep it.
        page.select_option("#f-village", label="Bumi Harapan")
        page.click("#filters button[type=submit]")
        page.wait_for_url(re.compile(r"village=64\.09\.04\.2004"))
        expect(page.locator(".figure").first).to_contain_text("1")
        expect(page.locator("#dash-map[data-ready='1']")).to_be_attached()
        page.screenshot(path=SCREENSHOT, full_page=True)
        with page.expect_download() as caught:
            page.locator("#downloads a", has_text="PDF").first.click()
        download = caught.value
        saved = Path(tmp_path) / download.suggested_filename
        download.save_as(saved)

    assert saved.name == "laporan-harian-polsek-sepaku-2024-01-23.pdf"
    assert saved.read_bytes().startswith(b"%PDF")

    with phone(locale="id-ID") as page:
        log_in(page, base, "kapolres.ppu", "/app/%3Fdate%3D2024-01-23")
        page.wait_for_url(re.compile(r"/app/\?date=2024-01-23$"))
        expect(page.locator("main")).to_contain_text("Polsek Penajam")
        expect(page.locator("#dash-map[data-ready='1']")).to_be_attached()
        assert int(page.locator("#dash-map").get_attribute("data-villages")) == 16
        too_wide = sideways_scroll(page)
    assert not too_wide, too_wide
