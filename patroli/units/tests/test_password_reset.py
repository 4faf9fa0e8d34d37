"""Forgot password: a link by e-mail sets a new one; the page never says whether an address is
known; requests are limited per client address and per e-mail address."""

import re

import pytest
from django.core import mail
from django.test import Client

from conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW = "Tenang-Di-Bumi-Harapan-7"


@pytest.fixture
def with_email(world):
    world.kapolsek.email = "kasiyono@polri.example"
    world.kapolsek.save(update_fields=["email"])
    return world


def ask(client, email, ip="10.0.0.1"):
    return client.post("/masuk/lupa/", {"email": email}, REMOTE_ADDR=ip)


def test_the_link_sets_a_new_password(with_email, settings):
    settings.PATROLI_BASE_URL = "https://patroli.example"
    client = Client()
    page = client.get("/masuk/")
    assert 'href="/masuk/lupa/"' in page.content.decode()
    response = ask(client, "KASIYONO@polri.example")
    assert response.status_code == 302 and response["Location"] == "/masuk/lupa/terkirim/"
    [message] = mail.outbox
    assert message.to == ["kasiyono@polri.example"]
    assert "kasiyono" in message.body and PASSWORD not in message.body
    link = re.search(r"https://patroli\.example(/masuk/lupa/\S+/)", message.body).group(1)

    form = client.get(link, follow=True)
    assert form.status_code == 200 and form.context["validlink"]
    set_url = form.redirect_chain[-1][0]
    # The password rules apply.
    weak = client.post(set_url, {"new_password1": "kasiyono-1", "new_password2": "kasiyono-1"})
    assert weak.status_code == 200 and weak.context["form"].errors
    done = client.post(set_url, {"new_password1": NEW, "new_password2": NEW})
    assert done.status_code == 302 and done["Location"] == "/masuk/lupa/selesai/"
    assert client.get("/masuk/lupa/selesai/").status_code == 200
    with_email.kapolsek.refresh_from_db()
    assert with_email.kapolsek.check_password(NEW)
    # The link works once.
    assert not client.get(link, follow=True).context["validlink"]
    login = Client().post("/masuk/", {"username": "kasiyono", "password": NEW})
    assert login.status_code == 302


def test_an_unknown_address_gets_the_same_answer(with_email):
    known = ask(Client(), "kasiyono@polri.example")
    unknown = ask(Client(), "tidak.ada@polri.example", ip="10.0.0.2")
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert len(mail.outbox) == 1


def test_limited_per_email_address_silently(with_email, settings):
    settings.PATROLI_PASSWORD_RESET_EMAIL_RATE = "2/h"
    for n in range(4):
        response = ask(Client(), "kasiyono@polri.example", ip=f"10.0.1.{n}")
        assert response.status_code == 302
    assert len(mail.outbox) == 2


def test_limited_per_client_address(with_email, settings):
    settings.PATROLI_PASSWORD_RESET_RATE = "3/h"
    client = Client()
    for n in range(3):
        assert ask(client, f"orang{n}@polri.example").status_code == 302
    response = ask(client, "kasiyono@polri.example")
    assert response.status_code == 429
    assert not mail.outbox
    assert ask(Client(), "kasiyono@polri.example", ip="10.0.0.9").status_code == 302
    assert len(mail.outbox) == 1
