"""Repeated failed logins lock the user name (and the address) for a while, on the page and the
API alike; a success clears the count."""

import pytest
from django.test import Client

from conftest import PASSWORD

pytestmark = pytest.mark.django_db


def page_login(client, password, username="kasiyono", ip="10.0.0.1"):
    return client.post("/masuk/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def token(client, password, username="kasiyono", ip="10.0.0.1"):
    return client.post(
        "/api/v1/auth/token",
        {"username": username, "password": password},
        content_type="application/json",
        REMOTE_ADDR=ip,
    )


def test_page_locks_after_five_failures(world, settings):
    client = Client()
    for _ in range(5):
        assert page_login(client, "salah").status_code == 200
    locked = page_login(client, PASSWORD)  # even the right password waits
    assert locked.status_code == 429
    assert not locked.wsgi_request.user.is_authenticated
    # From another address the user name is still locked.
    assert page_login(Client(), PASSWORD, ip="10.0.0.2").status_code == 429
    # Another user from a fresh address is not.
    response = page_login(Client(), PASSWORD, username="bhabin.bumiharapan", ip="10.0.0.3")
    assert response.status_code == 302


def test_api_locks_too_and_shares_the_count(world):
    client = Client()
    for _ in range(3):
        page_login(client, "salah")
    for _ in range(2):
        assert token(client, "salah").status_code == 401
    assert token(client, PASSWORD).status_code == 429


def test_success_clears_the_user_count(world, settings):
    settings.PATROLI_LOGIN_FAILURES = 3
    client = Client()
    for _ in range(2):
        token(client, "salah", ip="10.0.0.9")
    assert token(client, PASSWORD, ip="10.0.0.8").status_code == 200
    for _ in range(2):
        token(client, "salah", ip="10.0.0.7")
    assert token(client, PASSWORD, ip="10.0.0.6").status_code == 200


def test_one_address_trying_many_names_is_locked(world, settings):
    settings.PATROLI_LOGIN_FAILURES = 3
    client = Client()
    for name in ("a", "b", "c"):
        token(client, "x", username=name, ip="10.1.1.1")
    assert token(client, PASSWORD, ip="10.1.1.1").status_code == 429
    assert token(client, PASSWORD, ip="10.1.1.2").status_code == 200
