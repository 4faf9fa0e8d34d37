"""The account's API tokens: listed with name, creation, expiry and last use; a new one shown
once; revoked by its owner with a POST."""

import pytest
from django.test import Client

from patroli.audit.models import AuditEvent
from patroli.units.models import ApiToken, hash_token
from patroli.units.services import issue_token

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def csrf(client, url="/app/akun/token/") -> str:
    client.get(url)
    return client.cookies["csrftoken"].value


def test_list_create_and_revoke(world):
    old, raw_old = issue_token(user=world.officer, name="hp dinas")
    Client().get("/api/v1/me", headers={"Authorization": f"Bearer {raw_old}"})
    issue_token(user=world.other_officer, name="milik orang lain")
    client = logged_in(world.officer)

    page = client.get("/app/akun/token/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "hp dinas" in html and "milik orang lain" not in html
    assert page.context["tokens"][0].last_used_at is not None
    assert "Bearer" in html and raw_old not in html

    response = client.post("/app/akun/token/", {"name": "laptop"}, HTTP_X_CSRFTOKEN=csrf(client))
    assert response.status_code == 200
    secret = response.context["secret"]
    assert secret in response.content.decode()
    token = ApiToken.objects.get(user=world.officer, name="laptop")
    assert token.key_hash == hash_token(secret)
    # Shown once: the list does not show it again.
    assert secret not in client.get("/app/akun/token/").content.decode()
    assert (
        Client().get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    )

    # Revoking needs the CSRF token.
    url = f"/app/akun/token/{old.pk}/cabut/"
    assert client.post(url).status_code == 403
    response = client.post(url, HTTP_X_CSRFTOKEN=csrf(client))
    assert response.status_code == 302 and response["Location"] == "/app/akun/token/"
    assert not ApiToken.objects.filter(pk=old.pk).exists()
    assert AuditEvent.objects.filter(action="token.revoke", object_id=str(old.pk)).exists()
    assert (
        Client().get("/api/v1/me", headers={"Authorization": f"Bearer {raw_old}"}).status_code
        == 401
    )


def test_someone_elses_token_is_404(world):
    theirs, _ = issue_token(user=world.kapolsek, name="laptop kapolsek")
    client = Client()
    client.force_login(world.commander)  # above him, and still not his tokens
    assert client.post(f"/app/akun/token/{theirs.pk}/cabut/").status_code == 404
    assert client.get(f"/app/akun/token/{theirs.pk}/cabut/").status_code in (404, 405)
    assert ApiToken.objects.filter(pk=theirs.pk).exists()


def test_the_top_bar_links_to_the_account(world):
    client = Client()
    client.force_login(world.officer)
    assert 'href="/app/akun/"' in client.get("/app/hari-ini/").content.decode()
    page = client.get("/app/akun/").content.decode()
    for url in ("/app/akun/2fa/", "/app/akun/token/", "/app/akun/sandi/"):
        assert f'href="{url}"' in page
