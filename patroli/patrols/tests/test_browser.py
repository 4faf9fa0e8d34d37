"""An officer records a visit on a cheap phone, through a real Chromium (Playwright)."""

import importlib
import os
import re
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.apps import apps

from conftest import PASSWORD
from patroli.patrols.models import Visit

# Playwright's sync API runs an event loop in the test thread; Django would otherwise refuse
# database access from it ("You cannot call this from an async context").
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
PHONE = {"width": 360, "height": 740}
NEAR_BUMI_PPS = {"latitude": -0.9241, "longitude": 116.5832}
# Fixed places, so that a person can look at the pages after a run.
FORM_SCREENSHOT = "/tmp/patroli-form.png"  # noqa: S108
DETAIL_SCREENSHOT = "/tmp/patroli-detail.png"  # noqa: S108

# The elements that stick out on the right, to say in a failure what makes the page too wide.
WIDE_ELEMENTS = """(limit) => Array.from(document.querySelectorAll("body *"))
    .filter((el) => el.getBoundingClientRect().right > limit)
    .slice(0, 8)
    .map((el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
        + (el.className && typeof el.className === "string" ? "." + el.className : "")
        + " right=" + Math.round(el.getBoundingClientRect().right))"""


@contextmanager
def phone(**context_options):
    """A page in a fresh Chromium with a phone-sized viewport.

    While Playwright runs, Django keeps a *second* database connection for this thread (asgiref
    stores connections per context when an event loop runs), which nobody closes and which makes
    PostgreSQL refuse to drop the test database. So: no database access inside this block.
    """
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium not installed at {CHROMIUM}: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"],
        )
        context = browser.new_context(viewport=PHONE, **context_options)
        context.set_default_timeout(15_000)
        try:
            yield context.new_page()
        finally:
            context.close()
            browser.close()
    finally:
        playwright.stop()


def sideways_scroll(page) -> list[str]:
    """[] when the page fits the phone's width, else what sticks out."""
    width = page.evaluate("document.documentElement.scrollWidth")
    if width <= PHONE["width"]:
        return []
    wide = page.evaluate(WIDE_ELEMENTS, PHONE["width"])
    return [f"{page.url} is {width}px wide: {wide}"]


@pytest.fixture
def libraries(transactional_db):
    """The appeal and concern category libraries, which data migrations load.

    A transactional test empties every table when it ends, so when another one ran first they
    are gone; load them again (the loaders update or create). serialized_rollback would be the
    textbook answer, but it breaks on the content types that the flush of a transactional test
    without it has re-created.
    """
    for module in (
        "patroli.patrols.migrations.0003_appeal_library",
        "patroli.concerns.migrations.0003_categories",
    ):
        importlib.import_module(module).load(apps, None)


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
