"""Tokens, /me and /units through the API."""

import pytest
from django.test import Client

from conftest import PASSWORD
from patroli.units.models import ApiToken, hash_token

pytestmark = pytest.mark.django_db


def test_token_then_me(world):
    response = Client().post(
        "/api/v1/auth/token",
        {"username": "kasiyono", "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200
    token = response.json()["token"]
    # Only the hash is stored.
    assert ApiToken.objects.filter(key_hash=hash_token(token)).exists()
    assert not ApiToken.objects.filter(key_hash=token).exists()
    me = Client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    body = me.json()
    assert body["username"] == "kasiyono"
    assert body["role"] == "commander"
    assert body["rank"] == "AKP"
    assert body["unit"] == {
        "id": world.sepaku.pk,
        "code": "polsek-sepaku",
        "name": "Polsek Sepaku",
        "level": "polsek",
        "parent": world.polres.pk,
    }
    assert ApiToken.objects.get().last_used_at is not None


@pytest.mark.parametrize(
    "body", [{"username": "kasiyono", "password": "wrong"}, {"username": "ghost", "password": "x"}]
)
def test_bad_credentials_are_401(world, body):
    response = Client().post("/api/v1/auth/token", body, content_type="application/json")
    assert response.status_code == 401
    assert ApiToken.objects.count() == 0


def test_missing_fields_are_422(world):
    response = Client().post(
        "/api/v1/auth/token", {"username": "kasiyono"}, content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "password"


def test_inactive_users_token_stops_working(world, api):
    client = api(world.officer)
    assert client.get("/api/v1/me").status_code == 200
    world.officer.is_active = False
    world.officer.save()
    assert client.get("/api/v1/me").status_code == 401


def test_expired_token_is_401(world, api):
    client = api(world.officer)
    ApiToken.objects.update(expires_at="2000-01-01T00:00:00Z")
    assert client.get("/api/v1/me").status_code == 401


def test_session_works_for_the_web_app(world, client):
    client.force_login(world.officer)
    assert client.get("/api/v1/me").json()["username"] == "bhabin.bumiharapan"


def test_anonymous_is_401(world, client):
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/units").status_code == 401


def test_units_are_scoped(world, api):
    def names(user):
        body = api(user).get("/api/v1/units").json()
        return {u["code"] for u in body["items"]}, body["count"]

    assert names(world.officer) == ({"polsek-sepaku"}, 1)
    assert names(world.commander) == ({"polres-ppu", "polsek-sepaku", "polsek-penajam"}, 3)


def test_a_write_without_token_or_session_is_401_not_a_csrf_error(world):
    """A device without a token (or with a bad one) gets 401, as the API guide says, also for a
    write and with CSRF enforced as in production: the CSRF check belongs to the web app's
    session, so it applies only to a request that carries one."""
    device = Client(enforce_csrf_checks=True)
    body = {"site": world.pps_bumi.pk, "started_at": "2024-01-23T09:00:00+08:00"}
    assert device.post("/api/v1/visits", body, content_type="application/json").status_code == 401
    bad = Client(enforce_csrf_checks=True, headers={"Authorization": "Bearer not-a-token"})
    assert bad.post("/api/v1/visits", body, content_type="application/json").status_code == 401
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.officer)  # a session, but no CSRF token sent
    response = browser.post("/api/v1/visits", body, content_type="application/json")
    assert response.status_code == 403
