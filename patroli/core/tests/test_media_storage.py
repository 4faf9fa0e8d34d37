"""Uploads go to MEDIA_ROOT, or to a private S3-compatible bucket when one is configured; either
way photos are written and served through the storage API alone (never a local path)."""

import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.test import Client
from django.utils import timezone

from patroli.patrols.models import VisitPhoto
from patroli.patrols.services import record_visit
from patroli.patrols.tests.test_visit_photos import jpeg_with_gps, put

ROOT = Path(__file__).resolve().parents[3]
DESCRIBE = (
    "from django.core.files.storage import storages; s = storages['default']; "
    "print(type(s).__module__, type(s).__name__); "
    "print(getattr(s, 'default_acl', None), getattr(s, 'querystring_auth', None), "
    "getattr(s, 'file_overwrite', None)); "
    "print(s.url('visits/2024/01/photo.jpg'))"
)


class BucketLikeStorage(Storage):
    """Objects in memory and, like a bucket, no local path (``path`` raises)."""

    def __init__(self):
        self.objects: dict[str, bytes] = {}

    def _save(self, name, content):
        self.objects[name] = b"".join(content.chunks())
        return name

    def _open(self, name, mode="rb"):
        return ContentFile(self.objects[name], name=name)

    def exists(self, name):
        return name in self.objects

    def delete(self, name):
        self.objects.pop(name, None)

    def size(self, name):
        return len(self.objects[name])

    def url(self, name):
        return f"https://bucket.example/{name}"


def describe_storage(**env):
    """The default storage that the settings build in a fresh interpreter with ``env``."""
    code = f"import django; django.setup(); {DESCRIBE}"
    clean = {
        "PATH": os.environ["PATH"],
        "SECRET_KEY": "k",
        "DJANGO_SETTINGS_MODULE": "patroli.settings",
        **env,
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_without_a_bucket_uploads_go_to_media_root(tmp_path):
    backend, _options, url = describe_storage(MEDIA_ROOT=str(tmp_path))
    assert backend == "django.core.files.storage.filesystem FileSystemStorage"
    assert url == "/media/visits/2024/01/photo.jpg"


def test_a_bucket_makes_uploads_private_objects_served_by_signed_urls():
    pytest.importorskip("storages", reason="django-storages comes with the prod and dev extras")
    backend, options, url = describe_storage(
        AWS_STORAGE_BUCKET_NAME="patroli-media",
        AWS_S3_ENDPOINT_URL="https://s3.polda.example",
        AWS_S3_REGION_NAME="ap-southeast-3",
        AWS_ACCESS_KEY_ID="AKIAEXAMPLE",
        AWS_SECRET_ACCESS_KEY="not-a-real-secret",
        AWS_S3_ADDRESSING_STYLE="path",
        AWS_QUERYSTRING_EXPIRE="600",
    )
    assert backend == "storages.backends.s3 S3Storage"
    assert options == "private True False"
    # Signed on this machine: no request leaves it.
    assert url.startswith("https://s3.polda.example/patroli-media/visits/2024/01/photo.jpg?")
    assert "X-Amz-Signature=" in url and "X-Amz-Expires=600" in url


@pytest.mark.django_db
def test_photos_are_written_and_served_through_the_storage_api(world, api, settings, tmp_path):
    """Upload and download must not need a local path, and nothing lands on the app server's
    disk."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": f"{__name__}.BucketLikeStorage"},
    }
    visit = record_visit(
        recorded_by=world.officer,
        site=world.pps_bumi,
        started_at=timezone.now() - timedelta(hours=2),
    )[0]
    photo_id = uuid.uuid4()

    assert put(api(world.officer), visit.pk, photo_id, jpeg_with_gps()).status_code == 201

    photo = VisitPhoto.objects.get(pk=photo_id)
    assert photo.image.storage.exists(photo.image.name)
    assert photo.thumbnail.storage.exists(photo.thumbnail.name)
    browser = Client()
    browser.force_login(world.kapolsek)
    for size in ("full", "thumb"):
        response = browser.get(f"/app/kunjungan/{visit.pk}/foto/{photo_id}/{size}/")
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        assert b"".join(response.streaming_content).startswith(b"\xff\xd8")
    assert not settings.MEDIA_ROOT.exists()
