"""The API's 422 messages in the request's language: pydantic's own checks (a missing field, a
text too long, a value out of range, a choice not offered) say what is wrong in Indonesian by
default, in English on request, with the same figures; the officers' app shows them."""

import json

import pytest
from django.utils import translation

from conftest import api_client
from patroli.core.api_errors import MESSAGES, localized

pytestmark = pytest.mark.django_db


def errors(client, method: str, path: str, body=None, language: str | None = None) -> dict:
    headers = {"Accept-Language": language} if language else {}
    if method == "get":
        response = client.get(path, headers=headers)
    else:
        response = client.post(
            path, json.dumps(body), content_type="application/json", headers=headers
        )
    assert response.status_code == 422, response.content
    return {tuple(e["loc"]): e["msg"] for e in response.json()["detail"]}


def test_query_checks_in_indonesian_by_default_and_english_on_request(world):
    client = api_client(world.officer)
    found = errors(client, "get", "/api/v1/coverage/sites?days=0&status=lost")
    assert found == {
        ("query", "days"): "Isi dengan nilai minimal 1",
        ("query", "status"): "Pilih salah satu: 'visited', 'overdue', 'never', 'left_alone'",
    }
    english = errors(client, "get", "/api/v1/coverage/sites?days=0&status=lost", language="en")
    assert english == {
        ("query", "days"): "Give a value of at least 1",
        ("query", "status"): "Choose one of: 'visited', 'overdue', 'never', 'left_alone'",
    }


def test_body_checks_name_the_field_and_the_limit(world):
    client = api_client(world.officer)
    body = {
        "site": "satu",
        "started_at": "kemarin",
        "dialogue": {"attendees": -1, "participants": [{"name": "x" * 500}]},
    }
    found = errors(client, "post", "/api/v1/visits", body)
    assert found[("body", "payload", "site")] == "Isi dengan bilangan bulat"
    assert found[("body", "payload", "started_at")].startswith("Isi dengan tanggal dan waktu")
    assert found[("body", "payload", "dialogue", "attendees")] == ("Isi dengan nilai minimal 0")
    participant = ("body", "payload", "dialogue", "participants", 0, "name")
    assert found[participant].startswith("Isi paling banyak ")
    assert found[participant].endswith(" karakter")
    missing = errors(client, "post", "/api/v1/visits", {"site": world.pps_bumi.pk})
    assert missing[("body", "payload", "started_at")] == "Kolom ini wajib diisi"


def test_our_own_checks_keep_their_message(world):
    client = api_client(world.officer)
    body = {"site": 999_999, "started_at": "2024-01-23T10:00:00+08:00"}
    assert errors(client, "post", "/api/v1/visits", body) == {
        ("body", "payload", "site"): "Lokasi tidak dikenal"
    }


def test_a_synced_visit_is_rejected_in_the_same_words(world):
    client = api_client(world.officer)
    response = client.post(
        "/api/v1/sync",
        {"visits": [{"id": "00000000-0000-4000-8000-000000000001", "site": world.pps_bumi.pk}]},
        content_type="application/json",
    )
    result = response.json()["results"][0]
    assert result["status"] == "rejected"
    assert result["errors"] == [{"loc": ["started_at"], "msg": "Kolom ini wajib diisi"}]


def test_every_message_is_translated_and_takes_its_figures():
    figures = {"min_length": 3, "max_length": 5, "gt": 1, "ge": 1, "lt": 9, "le": 9}
    figures |= {"multiple_of": 2, "expected": "'a', 'b'"}
    for kind, template in MESSAGES.items():
        with translation.override("en"):
            english = str(template % figures)
        with translation.override("id"):
            indonesian = str(template % figures)
        assert indonesian != english, kind
        for value in ("3", "5", "9", "'a', 'b'"):  # the figures each language shows
            assert (value in english) == (value in indonesian), (kind, value)
    with translation.override("en"):  # one or many
        assert str(MESSAGES["string_too_long"] % {"max_length": 1}) == "Give at most 1 character"
        assert str(MESSAGES["too_short"] % {"min_length": 2}) == "Give at least 2 items"


def test_an_error_of_an_unknown_kind_keeps_pydantic_message():
    kept = {"type": "union_tag_invalid", "loc": ["body"], "msg": "Input tag 'x' found"}
    assert localized([kept]) == [kept]
    # A template whose figure did not come: the original message stays, nothing raises.
    short = {"type": "string_too_long", "loc": ["body"], "msg": "String should be shorter"}
    assert localized([short]) == [short]


ODD = "2024-01-23T10:00:00%2B16:48"  # an offset pydantic takes and PostgreSQL refuses


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/visits?since={ODD}",
        f"/api/v1/visits?until={ODD}",
        f"/api/v1/incidents?since={ODD}&until={ODD}",
        f"/api/v1/coverage?as_of={ODD}",
        f"/api/v1/coverage/sites?as_of={ODD}",
        f"/api/v1/coverage/cells?as_of={ODD}",
    ],
)
def test_a_time_with_any_offset_is_read_as_the_moment_it_names(world, url):
    assert api_client(world.admin).get(url).status_code == 200


def test_a_visit_at_an_odd_offset_is_stored_at_its_moment(world):
    body = {"site": world.pps_bumi.pk, "started_at": "2024-01-23T10:00:00+15:30"}
    response = api_client(world.officer).post("/api/v1/visits", body, "application/json")
    assert response.status_code == 201, response.content
    assert response.json()["started_at"].startswith("2024-01-22T18:30:00")
    far = {"site": world.pps_bumi.pk, "started_at": "9999-12-31T23:00:00-05:00"}
    refused = errors(api_client(world.officer), "post", "/api/v1/visits", far)
    assert refused == {("body", "payload", "started_at"): "Waktunya di luar tahun 1 sampai 9999"}
