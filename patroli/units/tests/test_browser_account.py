"""The Kapolsek sets up two-factor authentication on his phone's browser: opens Akun from the top
bar, scans (reads) the key, confirms with the app's code, keeps the recovery codes, and logs in
again with password and code (Chromium, under the Content-Security-Policy)."""

import re
import time

import pyotp
import pytest

from conftest import PASSWORD
from patroli.core.testing import phone, sideways_scroll


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_enrol_and_log_in_with_a_code(live_server, world):
    from playwright.sync_api import expect

    base = live_server.url
    with phone(locale="id-ID") as page:
        page.goto(f"{base}/masuk/")
        page.fill("#id_username", "kasiyono")
        page.fill("#id_password", PASSWORD)
        page.click("main form button[type=submit]")
        page.wait_for_url(re.compile(r"/app/"))
        page.click("header nav a[href='/app/akun/']")
        page.wait_for_url(re.compile(r"/app/akun/$"))
        expect(page.locator("main h1")).to_have_text("Akun")
        page.click("main a[href='/app/akun/2fa/']")
        expect(page.locator("img.qr")).to_be_visible()
        assert page.evaluate("document.querySelector('img.qr').naturalWidth") > 0
        assert sideways_scroll(page) == []
        secret = page.locator("code.secret").inner_text().replace(" ", "")
        page.fill("#id_code", pyotp.TOTP(secret).now())
        page.click("main form button[type=submit]")
        codes = page.locator(".recovery-codes code").all_inner_texts()
        assert len(codes) == 10
        page.click("main a.button.primary")
        expect(page.locator("main .badge-positive")).to_be_visible()

        page.click("form[data-logout] button")
        page.wait_for_url(re.compile(r"/masuk/"))
        page.fill("#id_username", "kasiyono")
        page.fill("#id_password", PASSWORD)
        page.click("main form button[type=submit]")
        page.wait_for_url(re.compile(r"/masuk/kode/$"))
        # The code of the step just used is spent: the next step's is accepted too.
        page.fill("#id_code", pyotp.TOTP(secret).at(time.time() + 30))
        page.click("main form button[type=submit]")
        page.wait_for_url(lambda url: "/masuk/" not in url)
        expect(page.locator("header nav a[href='/app/akun/']")).to_be_visible()
