"""A NUL character in a request is refused before any query: PostgreSQL text cannot hold one (the
query fails, a 500) and SQLite would keep it silently. Found by fuzzing on PostgreSQL."""

import json

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def nul_errors(response) -> list:
    assert response.status_code == 422, response.content
    detail = response.json()["detail"]
    assert all(e["type"] == "string_nul" and "NUL" in e["msg"] for e in detail)
    return [e["loc"] for e in detail]


def test_api_names_each_parameter_with_a_nul(world, api):
    client = api(world.officer)
    assert nul_errors(client.get("/api/v1/regions/64.09%00")) == [["path"]]
    assert nul_errors(client.get("/api/v1/sites", {"q": "pasar\x00", "kind": "tps"})) == [
        ["query", "q"]
    ]
    body = {
        "site": world.pps_bumi.pk,
        "started_at": "2024-01-23T10:00:00+08:00",
        "dialogue": {"topics": ["Logistik", "TPS\x00 khusus"], "notes": "ok"},
    }
    response = client.post("/api/v1/visits", json.dumps(body), content_type="application/json")
    assert nul_errors(response) == [["body", "dialogue", "topics", 1]]


def test_api_takes_an_escaped_backslash_u0000_as_text(world, api):
    # "\\u0000" in JSON is a backslash followed by u0000: six characters, no NUL.
    response = api(world.officer).get("/api/v1/sites", {"q": "\\u0000"})
    assert response.status_code == 200


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_open311_answers_400_in_its_format(world, fmt):
    response = Client().get(f"/open311/v2/requests.{fmt}", {"service_code": "hoaks\x00"})
    assert response.status_code == 400
    assert b"null character" in response.content
    assert response["Content-Type"].startswith("application/json" if fmt == "json" else "text/xml")
