"""A login lasts SESSION_COOKIE_AGE; after that the session is gone and the app asks to log in
again. With SESSION_SAVE_EVERY_REQUEST every request starts the time again (an idle timeout)."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from conftest import PASSWORD

pytestmark = pytest.mark.django_db


def log_in(settings, age: int) -> tuple[Client, Session]:
    settings.SESSION_COOKIE_AGE = age
    client = Client()
    client.post("/masuk/", {"username": "kasiyono", "password": PASSWORD})
    return client, Session.objects.get(session_key=client.session.session_key)


def test_an_expired_session_is_logged_out(world, settings):
    client, session = log_in(settings, 600)
    assert abs(session.expire_date - (timezone.now() + timedelta(seconds=600))) < timedelta(
        seconds=5
    )
    assert client.get("/app/").status_code == 200
    # Eleven minutes later (the row's expiry moved back instead of the clock forward).
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get("/app/")
    assert response.status_code == 302 and response["Location"].startswith("/masuk/")


def test_default_is_twelve_hours(settings):
    from patroli import settings as project

    assert project.SESSION_COOKIE_AGE == 12 * 3600
    assert project.SESSION_SAVE_EVERY_REQUEST is False


def test_idle_timeout_slides_with_each_request(world, settings):
    settings.SESSION_SAVE_EVERY_REQUEST = True
    client, session = log_in(settings, 600)
    earlier = timezone.now() + timedelta(seconds=60)
    Session.objects.filter(pk=session.pk).update(expire_date=earlier)
    assert client.get("/app/").status_code == 200
    session.refresh_from_db()
    assert session.expire_date > earlier + timedelta(seconds=500)
