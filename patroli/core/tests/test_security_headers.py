"""Web hardening: the Content-Security-Policy on every page, uploads served as what they are,
and `check --deploy` clean under production settings."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from patroli.concerns.models import Category
from patroli.concerns.photos import add_photo
from patroli.concerns.services import open_concern
from patroli.core.security import policy, tile_source
from patroli.regions.models import Region

ROOT = Path(__file__).resolve().parents[3]


def directives(header: str) -> dict[str, list[str]]:
    return {
        name: values
        for name, *values in (part.split() for part in header.split(";") if part.strip())
    }


@pytest.mark.django_db
def test_every_page_has_the_policy(world):
    officer = Client()
    officer.force_login(world.officer)
    for client, url in [
        (Client(), "/"),
        (Client(), "/masuk/"),
        (Client(), "/api/v1/docs"),
        (officer, "/app/hari-ini/"),
        (officer, "/app/akun/2fa/"),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        csp = directives(response["Content-Security-Policy"])
        assert csp["default-src"] == ["'self'"], url
        assert csp["script-src"] == ["'self'"] and csp["style-src"] == ["'self'"], url
        assert csp["img-src"] == ["'self'", "data:", "blob:"], url
        for name, value in [
            ("connect-src", "'self'"),
            ("frame-ancestors", "'none'"),
            ("base-uri", "'self'"),
            ("form-action", "'self'"),
            ("object-src", "'none'"),
            ("worker-src", "'self'"),
            ("manifest-src", "'self'"),
        ]:
            assert csp[name] == [value], (url, name)
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["X-Frame-Options"] == "DENY"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
def test_report_only_and_tile_server(settings):
    settings.PATROLI_CSP_REPORT_ONLY = True
    settings.PATROLI_TILE_URL = "https://{s}.tile.example.org/{z}/{x}/{y}.png"
    settings.PATROLI_CSP_REPORT_URI = "/csp-laporan/"
    response = Client().get("/")
    assert "Content-Security-Policy" not in response
    csp = directives(response["Content-Security-Policy-Report-Only"])
    assert csp["img-src"] == ["'self'", "data:", "blob:", "https://*.tile.example.org"]
    assert csp["report-uri"] == ["/csp-laporan/"]


def test_tile_sources():
    assert tile_source("https://tile.example.org/{z}/{x}/{y}.png") == "https://tile.example.org"
    assert tile_source("https://{s}.tile.example.org/{z}/{x}/{y}.png") == (
        "https://*.tile.example.org"
    )
    assert tile_source("https://tiles.{s}.example.org/{z}.png") == "https:"
    assert tile_source("/tiles/{z}/{x}/{y}.png") == ""  # our own origin: 'self' has it
    assert "report-uri" not in policy()


def jpeg() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "red").save(buffer, "JPEG")
    return SimpleUploadedFile("foto.html", buffer.getvalue(), content_type="text/html")


@pytest.mark.django_db
def test_photos_are_served_inline_and_never_sniffed(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    concern = open_concern(
        source="web",
        category=Category.objects.get(code="hoaks"),
        description="Spanduk provokatif.",
        village=Region.objects.get(code="64.09.04.2004"),
    )
    photo = add_photo(concern=concern, upload=jpeg())
    staff = Client()
    staff.force_login(world.officer)
    for client, url in [
        (staff, f"/app/aduan/{concern.pk}/foto/{photo.pk}/full/"),
        (staff, f"/app/aduan/{concern.pk}/foto/{photo.pk}/thumb/"),
        (Client(), f"/lapor/{concern.tracking_code}/foto/{photo.pk}/full/"),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"] == "image/jpeg", url
        assert response["Content-Disposition"] == "inline", url
        assert response["X-Content-Type-Options"] == "nosniff", url
        assert "private" in response["Cache-Control"], url
        # Read through: the test client then closes the file without closing the connection.
        assert b"".join(response.streaming_content).startswith(b"\xff\xd8"), url


# A production-like environment: DEBUG off, a real secret, HTTPS behind a proxy, HSTS.
PRODUCTION = {
    "SECRET_KEY": "k7#Qv9!mZ2@xL4$pR8^tW1&yB6*cN3(hJ5)dF0_gS-aE+uI=oP",
    "DEBUG": "0",
    "ALLOWED_HOSTS": "patroli.polri.example",
    "SECURE_COOKIES": "1",
    "BEHIND_PROXY": "1",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
}


def test_check_deploy_is_clean():
    env = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "patroli.settings", **PRODUCTION}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
