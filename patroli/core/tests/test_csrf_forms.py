"""Every form that posts carries the CSRF token: each page of the authorization matrix (every
route, with real records in its address) and every page of the admin, as a commander and as an
administrator."""

from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.test import Client

from patroli.core.tests.test_authz_matrix import CHECKS, records  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

PAGES = sorted(
    {check.url for check in CHECKS if check.method == "get" and not check.api and not check.nobody}
)


class Forms(HTMLParser):
    """The post forms of a page, each with whether it holds a csrfmiddlewaretoken input."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self.open: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "get").lower() == "post":
            self.open = {"action": attrs.get("action") or "", "token": False}
            self.forms.append(self.open)
        elif (
            tag == "input"
            and self.open is not None
            and attrs.get("name") == "csrfmiddlewaretoken"
            and attrs.get("value")
        ):
            self.open["token"] = True

    def handle_endtag(self, tag):
        if tag == "form":
            self.open = None


def post_forms(html: str) -> list[dict]:
    parser = Forms()
    parser.feed(html)
    return parser.forms


def untokened(client, urls) -> tuple[list[str], int]:
    problems, seen = [], 0
    for url in urls:
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        for form in post_forms(response.content.decode()):
            seen += 1
            if not form["token"]:
                problems.append(f"{url}: the form posting to {form['action']!r} has no token")
    return problems, seen


@pytest.mark.parametrize("persona", ["commander", "admin"])
def test_every_post_form_of_every_page_has_the_token(world, records, persona):  # noqa: F811
    client = Client()
    client.force_login(getattr(world, persona))
    urls = [url.format_map(side) for url in PAGES for side in records.values()]
    problems, seen = untokened(client, dict.fromkeys(urls))
    assert seen > 40  # the check found the forms (the log-out form alone is on every page)
    assert not problems, "\n".join(problems)


def test_every_admin_page(world):
    client = Client()
    client.force_login(world.admin)
    urls = ["/admin/", "/admin/password_change/"]
    for model in admin.site._registry:
        opts = model._meta
        urls += [f"/admin/{opts.app_label}/{opts.model_name}/"]
        urls += [f"/admin/{opts.app_label}/{opts.model_name}/add/"]
    urls.append(f"/admin/units/officer/{world.kapolsek.pk}/change/")
    urls.append(f"/admin/units/officer/{world.kapolsek.pk}/password/")
    problems, seen = untokened(client, urls)
    assert seen > 20
    assert not problems, "\n".join(problems)


def test_the_parser_tells_a_form_without_token():
    html = (
        '<form method="get"><input name="q"></form>'
        '<form method="POST" action="/a/"><input type="hidden" name="csrfmiddlewaretoken" '
        'value="x"></form><form method="post" action="/b/"><input name="x"></form>'
    )
    assert post_forms(html) == [{"action": "/a/", "token": True}, {"action": "/b/", "token": False}]
