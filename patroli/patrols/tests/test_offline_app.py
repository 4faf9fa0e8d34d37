"""The installable app: manifest, service worker and outbox page."""

import json
import re

from django.test import Client

from conftest import PASSWORD
from patroli.patrols.views_offline import shell_urls


def logged_in(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_manifest_makes_the_app_installable(world):
    response = logged_in(world.officer).get("/app/manifest.webmanifest")
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["start_url"] == "/app/" and manifest["scope"] == "/app/"
    assert manifest["display"] == "standalone"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    assert any(icon.get("purpose") == "maskable" for icon in manifest["icons"])
    for icon in manifest["icons"]:
        assert Client().get(icon["src"]).status_code == 200


def test_service_worker_lists_the_shell_and_is_never_cached(world):
    response = Client().get("/app/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/app/"
    assert "no-cache" in response["Cache-Control"]
    script = response.content.decode()
    for url in shell_urls():
        assert f'"{url}"' in script
    assert '"/app/kunjungan/baru/"' in script and '"/app/kotak-keluar/"' in script
    for url in shell_urls():
        if url.startswith("/static/"):
            assert Client().get(url).status_code == 200, url


def test_outbox_page_needs_a_login_and_pages_carry_the_app(world):
    assert Client().get("/app/kotak-keluar/").status_code == 302
    html = logged_in(world.officer).get("/app/kotak-keluar/").content.decode()
    assert 'id="outbox"' in html and 'id="outbox-text"' in html
    assert 'data-user="bhabin.bumiharapan"' in html
    assert 'rel="manifest"' in html and "js/outbox.js" in html
    public = Client().get("/").content.decode()
    assert "outbox.js" not in public and 'rel="manifest"' not in public


def test_every_page_names_its_icon(world):
    """Without one, a browser asks /favicon.ico for every page and gets 404."""
    for html in (
        Client().get("/").content.decode(),
        logged_in(world.officer).get("/app/kotak-keluar/").content.decode(),
    ):
        href = re.search(r'<link rel="icon"[^>]* href="([^"]+)"', html).group(1)
        assert Client().get(href).status_code == 200, href
