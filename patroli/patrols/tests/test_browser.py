"""An officer records a visit on a cheap phone, through a real Chromium (Playwright)."""

import re

import pytest

from conftest import PASSWORD
from patroli.core.testing import PHONE, phone, sideways_scroll
from patroli.patrols.models import Visit

NEAR_BUMI_PPS = {"latitude": -0.9241, "longitude": 116.5832}
# Fixed places, so that a person can look at the pages after a run.
FORM_SCREENSHOT = "/tmp/patroli-form.png"  # noqa: S108
DETAIL_SCREENSHOT = "/tmp/patroli-detail.png"  # noqa: S108


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_officer_records_a_visit_on_a_phone(live_server, libraries, world):
    from playwright.sync_api import expect

    officer, site = world.officer.username, world.pps_bumi
    # Checked at the end, so that one page too wide does not hide what else goes wrong.
    too_wide = []
    with phone(geolocation=NEAR_BUMI_PPS, permissions=["geolocation"], locale="id-ID") as page:
        page.goto(f"{live_server.url}/masuk/")
        too_wide += sideways_scroll(page)
        page.fill("#id_username", officer)
        page.fill("#id_password", PASSWORD)
        page.click("main form button[type=submit]")
        page.wait_for_url(f"{live_server.url}/app/")
        too_wide += sideways_scroll(page)

        page.locator("li.row", has_text=site.name).locator("a.button").click()
        page.wait_for_url(re.compile(r"/app/kunjungan/baru/\?site=\d+$"))
        expect(page.locator("#id_site")).to_have_value(str(site.pk))

        page.click("#locate")
        expect(page.locator("#id_lat")).not_to_have_value("")
        expect(page.locator("#id_lon")).not_to_have_value("")
        expect(page.locator("#locate-status")).not_to_be_empty()

        page.fill("#id_p-0-name", "Suparman")
        page.fill("#id_p-0-role", "Ketua PPS")
        # The form starts with one row; "add a person" must give a working second one.
        page.click("button[data-add=participants]")
        expect(page.locator("#id_p-TOTAL_FORMS")).to_have_value("2")
        expect(page.locator("#id_p-1-name")).to_be_focused()
        page.fill("#id_p-1-name", "Hj. Marlina")
        page.fill("#id_p-1-organisation", "Karang Taruna")
        page.fill("#id_attendees", "30")
        page.fill("#id_topics", "Persiapan pemungutan suara\nKeamanan logistik")

        page.get_by_label("Tolak politik uang").check()
        page.get_by_label("Waspada hoaks dan ujaran kebencian").check()
        page.check("input[name=response][value=positive]")

        page.select_option("#id_c-0-category", label="Politik uang")
        page.fill("#id_c-0-description", "Ada kabar pembagian sembako oleh tim sukses.")

        page.screenshot(path=FORM_SCREENSHOT, full_page=True)
        too_wide += sideways_scroll(page)

        page.click("#visit-form button[type=submit]")
        page.wait_for_url(re.compile(r"/app/kunjungan/[0-9a-f-]{36}/$"))
        main = page.locator("main")
        expect(main).to_contain_text(site.name)
        expect(main).to_contain_text("Suparman")
        expect(main).to_contain_text("Hj. Marlina")
        expect(main).to_contain_text("Tolak politik uang")
        expect(page.locator("dl.facts")).to_contain_text(re.compile(r"\d+ m\b"))
        page.screenshot(path=DETAIL_SCREENSHOT, full_page=True)
        too_wide += sideways_scroll(page)

    visit = Visit.objects.get()
    assert visit.site == world.pps_bumi
    assert visit.recorded_by == world.officer
    assert visit.distance_m is not None
    assert visit.distance_m < 200
    assert visit.far_from_site is False
    assert list(visit.dialogue.participants.values_list("name", flat=True)) == [
        "Suparman",
        "Hj. Marlina",
    ]
    assert visit.dialogue.appeals.count() == 2
    assert visit.dialogue.response == "positive"
    assert visit.concerns.get().source == "patrol"

    assert not too_wide, f"At {PHONE['width']} px the page scrolls sideways: {too_wide}"
