"""The Content-Security-Policy in a real Chromium: phone() fails a test whose page breaks it, and
no page of the project does (every page of the authorization matrix, as a commander; the admin;
the API docs)."""

import pytest
from django.test import Client

from conftest import PASSWORD
from patroli.core.security import policy
from patroli.core.testing import phone
from patroli.core.tests.test_authz_matrix import CHECKS, records  # noqa: F401 (a fixture)

PAGES = sorted(
    {
        check.url
        for check in CHECKS
        if check.method == "get" and not check.api and not check.nobody and not check.public
    }
)


@pytest.mark.browser
def test_phone_fails_a_test_whose_page_breaks_the_policy():
    html = "<!doctype html><p style='color: red'>x</p><script>document.title = 'ran';</script>"

    def serve(route):
        headers = {"Content-Type": "text/html", "Content-Security-Policy": policy()}
        route.fulfill(status=200, headers=headers, body=html)

    failed = pytest.raises(pytest.fail.Exception, match="Content-Security-Policy violations")
    with failed, phone() as page:
        page.route("http://patroli.test/", serve)
        page.goto("http://patroli.test/")
        assert page.title() != "ran"  # blocked


def log_in(page, base, username):
    page.goto(f"{base}/masuk/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(lambda url: "/masuk/" not in url)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_no_page_breaks_the_policy(live_server, libraries, world, records):  # noqa: F811
    # The pages (HTML) among them: downloads and redirects are no page to check.
    client = Client()
    client.force_login(world.commander)
    urls = []
    for url in dict.fromkeys(url.format_map(side) for url in PAGES for side in records.values()):
        response = client.get(url)
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            urls.append(url)
    assert len(urls) > 30
    base = live_server.url
    with phone(viewport={"width": 1280, "height": 900}) as page:
        log_in(page, base, "kapolres.ppu")
        for url in urls:
            page.goto(base + url, wait_until="load")
        page.goto(base + "/")
        page.goto(base + "/lapor/")
        page.goto(base + "/api/v1/docs")
        # Swagger UI ran (from our static files: no CDN, no inline script) and drew itself.
        page.locator("#swagger-ui .swagger-ui").first.wait_for()
        log_in(page, base, "admin")
        for url in ("/admin/", "/admin/units/officer/", "/admin/units/officer/add/"):
            page.goto(base + url, wait_until="load")
