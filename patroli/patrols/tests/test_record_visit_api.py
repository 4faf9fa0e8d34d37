"""POST/GET /api/v1/visits: recording a dialogic patrol from a device."""

import uuid

import pytest

from patroli.concerns.models import Concern
from patroli.patrols.models import Appeal, Participant, Visit

pytestmark = pytest.mark.django_db


def payload(site, **overrides):
    body = {
        "id": str(uuid.uuid4()),
        "site": site.pk,
        "started_at": "2024-01-23T10:00:00+08:00",
        "ended_at": "2024-01-23T11:15:00+08:00",
        "lat": -0.9241,
        "lon": 116.5832,
        "kind": "dialogic",
        "dialogue": {
            "participants": [
                {"name": "Suparno", "role": "Ketua PPS", "organisation": "PPS Bumi Harapan"},
                {"name": "Siti Aminah", "role": "Anggota PPS"},
            ],
            "attendees": 9,
            "topics": ["Persiapan pemungutan suara"],
            "appeals": ["kamtibmas-pemilu", "partisipasi-warga"],
            "response": "positive",
            "notes": "Disambut baik.",
        },
        "concerns": [{"category": "hoaks", "description": "Pesan berantai keliru soal TPS."}],
    }
    body.update(overrides)
    return body


def test_records_visit_with_dialogue_and_concerns(world, api):
    response = api(world.officer).post(
        "/api/v1/visits", payload(world.pps_bumi), content_type="application/json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["site"] == world.pps_bumi.pk
    assert body["unit"] == world.sepaku.pk
    assert body["recorded_by"] == "bhabin.bumiharapan"
    assert [o["username"] for o in body["officers"]] == ["bhabin.bumiharapan"]
    # (-0.9241, 116.5832) is about 25 m from the office at (-0.923927, 116.583091).
    assert 15 < body["distance_m"] < 35
    assert body["far_from_site"] is False
    dialogue = body["dialogue"]
    assert dialogue["appeals"] == ["kamtibmas-pemilu", "partisipasi-warga"]
    assert [p["name"] for p in dialogue["participants"]] == ["Suparno", "Siti Aminah"]
    assert dialogue["response"] == "positive" and dialogue["attendees"] == 9
    assert body["concerns"][0]["category"] == "hoaks"
    assert body["concerns"][0]["status"] == "received"
    concern = Concern.objects.get()
    assert concern.source == Concern.Source.PATROL
    assert concern.village_id == "64.09.04.2004" and concern.unit == world.sepaku
    assert concern.events.get().to_status == "received"


def test_far_check_in_is_flagged(world, api):
    body = payload(world.pps_bumi, lat=-0.95, lon=116.60)  # some 3.4 km away
    response = api(world.officer).post("/api/v1/visits", body, content_type="application/json")
    assert response.status_code == 201
    assert response.json()["distance_m"] > 3000
    assert response.json()["far_from_site"] is True


def test_site_without_location_gives_no_distance(world, api):
    response = api(world.officer).post(
        "/api/v1/visits", payload(world.tps_bumi), content_type="application/json"
    )
    assert response.status_code == 201
    assert response.json()["distance_m"] is None


def test_same_id_twice_creates_nothing_new(world, api):
    client = api(world.officer)
    body = payload(world.pps_bumi)
    first = client.post("/api/v1/visits", body, content_type="application/json")
    again = client.post("/api/v1/visits", body, content_type="application/json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"] == body["id"]
    assert Visit.objects.count() == 1
    assert Concern.objects.count() == 1
    assert Participant.objects.count() == 2


def test_a_visit_resent_after_its_appeal_was_retired_answers_what_is_stored(world, api):
    client = api(world.officer)
    body = payload(world.pps_bumi)
    assert client.post("/api/v1/visits", body, content_type="application/json").status_code == 201
    Appeal.objects.filter(code="kamtibmas-pemilu").update(active=False)
    again = client.post("/api/v1/visits", body, content_type="application/json")
    assert again.status_code == 200, again.json()
    assert again.json()["dialogue"]["appeals"] == ["kamtibmas-pemilu", "partisipasi-warga"]
    assert Visit.objects.count() == 1 and Concern.objects.count() == 1
    # A new visit naming the retired appeal is refused, with the field named.
    fresh = client.post("/api/v1/visits", payload(world.pps_bumi), content_type="application/json")
    assert fresh.status_code == 422
    assert fresh.json()["detail"][0]["loc"][-3:] == ["dialogue", "appeals", 0]


def test_visit_without_id_gets_one(world, api):
    body = payload(world.pps_bumi)
    del body["id"]
    response = api(world.officer).post("/api/v1/visits", body, content_type="application/json")
    assert response.status_code == 201
    assert uuid.UUID(response.json()["id"]).version == 7  # time-ordered, as a phone makes it


def test_other_units_id_is_not_revealed(world, api):
    body = payload(world.pps_bumi)
    assert (
        api(world.officer).post("/api/v1/visits", body, content_type="application/json").status_code
        == 201
    )
    other = api(world.other_officer).post("/api/v1/visits", body, content_type="application/json")
    assert other.status_code == 404
    assert Visit.objects.count() == 1


def errors_at(response) -> dict:
    assert response.status_code == 422, response.content
    return {tuple(e["loc"][2:]): e["msg"] for e in response.json()["detail"]}


def test_invalid_fields_are_named(world, api):
    body = payload(
        world.pps_bumi,
        kind="picnic",
        lat=123,
        ended_at="2024-01-23T09:00:00+08:00",
    )
    body["dialogue"]["response"] = "ecstatic"
    errors = errors_at(
        api(world.officer).post("/api/v1/visits", body, content_type="application/json")
    )
    assert ("kind",) in errors
    assert ("lat",) in errors
    assert ("dialogue", "response") in errors


def test_unknown_references_are_named_and_nothing_is_written(world, api):
    body = payload(world.pps_bumi, ended_at="2024-01-23T09:00:00+08:00")
    body["dialogue"]["appeals"] = ["kamtibmas-pemilu", "no-such-appeal"]
    body["concerns"] = [{"category": "no-such-category", "description": "Sesuatu terjadi."}]
    errors = errors_at(
        api(world.officer).post("/api/v1/visits", body, content_type="application/json")
    )
    assert ("ended_at",) in errors
    assert ("dialogue", "appeals", 1) in errors
    assert ("concerns", 0, "category") in errors
    assert Visit.objects.count() == 0 and Concern.objects.count() == 0


def test_site_of_another_unit_is_unknown(world, api):
    body = payload(world.pps_penajam)
    errors = errors_at(
        api(world.officer).post("/api/v1/visits", body, content_type="application/json")
    )
    assert ("site",) in errors


def test_future_start_is_refused(world, api):
    body = payload(world.pps_bumi, started_at="2099-01-01T10:00:00+08:00", ended_at=None)
    errors = errors_at(
        api(world.officer).post("/api/v1/visits", body, content_type="application/json")
    )
    assert ("started_at",) in errors


def test_the_devices_save_time_is_stored_and_checked(world, api):
    client = api(world.officer)
    body = payload(world.pps_bumi, recorded_at="2024-01-23T11:20:00+08:00")
    response = client.post("/api/v1/visits", body, content_type="application/json")
    assert response.status_code == 201
    assert response.json()["recorded_at"] == "2024-01-23T03:20:00Z"
    assert response.json()["clock_skew_s"] is None
    assert Visit.objects.get().recorded_at.isoformat() == "2024-01-23T03:20:00+00:00"
    future = payload(world.pps_bumi, recorded_at="2099-01-01T10:00:00+08:00")
    errors = errors_at(client.post("/api/v1/visits", future, content_type="application/json"))
    assert list(errors) == [("recorded_at",)]


def test_a_time_without_its_zone_is_refused(world, api):
    body = payload(world.pps_bumi, started_at="2024-01-23T10:00:00", ended_at=None)
    response = api(world.officer).post("/api/v1/visits", body, content_type="application/json")
    assert response.status_code == 422
    assert not Visit.objects.exists()


def test_officers_of_the_visit(world, api):
    body = payload(world.pps_bumi, officers=[world.officer.pk, world.kapolsek.pk])
    response = api(world.kapolsek).post("/api/v1/visits", body, content_type="application/json")
    assert response.status_code == 201
    assert {o["username"] for o in response.json()["officers"]} == {
        "bhabin.bumiharapan",
        "kasiyono",
    }
    foreign = payload(world.pps_bumi, officers=[world.other_officer.pk])
    errors = errors_at(
        api(world.kapolsek).post("/api/v1/visits", foreign, content_type="application/json")
    )
    assert ("officers", 0) in errors


def test_no_or_bad_token_is_401(world, client):
    assert client.post("/api/v1/visits", {}, content_type="application/json").status_code == 401
    bad = client.get("/api/v1/visits", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401


def test_list_and_get_follow_the_access_gate(world, api):
    sepaku = (
        api(world.officer)
        .post("/api/v1/visits", payload(world.pps_bumi), content_type="application/json")
        .json()
    )
    penajam = (
        api(world.other_officer)
        .post("/api/v1/visits", payload(world.pps_penajam), content_type="application/json")
        .json()
    )

    def ids(user):
        body = api(user).get("/api/v1/visits").json()
        assert body["count"] == len(body["items"])
        return {v["id"] for v in body["items"]}

    assert ids(world.officer) == {sepaku["id"]}
    assert ids(world.other_officer) == {penajam["id"]}
    assert ids(world.commander) == {sepaku["id"], penajam["id"]}
    assert ids(world.admin) == {sepaku["id"], penajam["id"]}
    assert ids(world.no_unit) == set()
    assert api(world.officer).get(f"/api/v1/visits/{penajam['id']}").status_code == 404
    assert api(world.commander).get(f"/api/v1/visits/{penajam['id']}").status_code == 200
    assert api(world.officer).get(f"/api/v1/visits/{sepaku['id']}").status_code == 200
    assert api(world.officer).get(f"/api/v1/visits/{uuid.uuid4()}").status_code == 404


def test_list_filters(world, api):
    client = api(world.kapolsek)
    for day in (20, 23):
        body = payload(
            world.pps_bumi,
            started_at=f"2024-01-{day}T10:00:00+08:00",
            ended_at=f"2024-01-{day}T11:00:00+08:00",
        )
        assert (
            client.post("/api/v1/visits", body, content_type="application/json").status_code == 201
        )
    client.post("/api/v1/visits", payload(world.tps_bumi), content_type="application/json")

    def count(query):
        return client.get(f"/api/v1/visits?{query}").json()["count"]

    assert count("") == 3
    assert count(f"site={world.pps_bumi.pk}") == 2
    assert count("since=2024-01-22T00:00:00%2B08:00") == 2
    assert count("until=2024-01-21T00:00:00%2B08:00") == 1
    assert count("limit=1") == 3
    assert len(client.get("/api/v1/visits?limit=1").json()["items"]) == 1


def test_list_filters_as_the_page_does(world, api):
    """kind, response, distance and village: the page's filters (patrols.filters)."""
    officer, other = api(world.officer), api(world.other_officer)
    guard = payload(world.tps_bumi, kind="election_guard", lat=None, lon=None)
    guard["dialogue"] = {**guard["dialogue"], "response": "negative"}
    far = payload(world.pps_bumi, lat=-0.97, lon=116.5832)  # about 5 km off
    for client, body in (
        (officer, guard),
        (officer, far),
        (other, payload(world.pps_penajam, lat=-1.3392, lon=116.6382)),
    ):
        assert (
            client.post("/api/v1/visits", body, content_type="application/json").status_code == 201
        )
    commander = api(world.commander)

    def found(query):
        return {item["id"] for item in commander.get(f"/api/v1/visits?{query}").json()["items"]}

    assert found("kind=election_guard") == {guard["id"]}
    assert found("response=negative") == {guard["id"]}
    assert found("response=positive&village=64.09.04") == {far["id"]}
    assert found("far_from_site=true") == {far["id"]}
    assert len(found("far_from_site=false")) == 2
    assert len(found("village=64.09")) == 3
    wrong = commander.get("/api/v1/visits?kind=parade&response=angry")
    assert wrong.status_code == 422
    assert {error["loc"][-1] for error in wrong.json()["detail"]} == {"kind", "response"}


def test_a_new_visit_is_answered_as_it_reads_back(world, api):
    """The 201 answer is built from what was written (no read-back): it must say exactly what a
    later GET says, officers, dialogue, appeals, participants, concerns and incidents included."""
    client = api(world.officer)
    body = payload(
        world.pps_bumi,
        officers=[world.kapolsek.pk, world.officer.pk, world.kapolsek.pk],
        recorded_at="2024-01-23T11:20:00+08:00",
        concerns=[
            {"category": "hoaks", "description": "Pesan berantai keliru soal TPS."},
            {"category": "politik-uang", "description": "Ada yang menawarkan uang."},
        ],
        incidents=[
            {"kind": "clash", "severity": "green", "occurred_at": "2024-01-23T10:05:00+08:00"},
            {"kind": "intimidation", "severity": "yellow"},
        ],
    )
    body["dialogue"]["appeals"] = ["partisipasi-warga", "kamtibmas-pemilu"]
    created = client.post("/api/v1/visits", body, content_type="application/json")
    assert created.status_code == 201, created.content
    read = client.get(f"/api/v1/visits/{body['id']}")
    assert created.json() == read.json()
    answer = created.json()
    assert len(answer["officers"]) == 2 and len(answer["concerns"]) == 2
    assert len(answer["incidents"]) == 2 and len(answer["dialogue"]["participants"]) == 2
    # A page of the list puts each visit's records with its own visit (read a relation at a
    # time for the whole page), and says the same as the 201 of each.
    other = payload(world.tps_bumi, started_at="2024-01-22T10:00:00+08:00", ended_at=None)
    other["dialogue"].update(participants=[{"name": "Wayan"}], appeals=["kamtibmas-pemilu"])
    other["concerns"] = [{"category": "politik-uang", "description": "Amplop di pasar."}]
    second = client.post("/api/v1/visits", other, content_type="application/json")
    assert second.status_code == 201, second.content
    listed = client.get("/api/v1/visits").json()["items"]
    assert listed == [answer, second.json()]  # newest first


def test_a_new_visit_without_dialogue_reads_back_the_same(world, api):
    client = api(world.officer)
    body = payload(world.tps_bumi, dialogue=None, concerns=[], kind="routine")
    created = client.post("/api/v1/visits", body, content_type="application/json")
    assert created.status_code == 201
    assert created.json()["dialogue"] is None
    assert created.json() == client.get(f"/api/v1/visits/{body['id']}").json()


def test_recording_a_visit_reads_nothing_back(world, api, django_assert_num_queries, settings):
    """The statements of one POST: the token, the site and the appeals; the visit, the site's
    latest visit, the plan stops, the officers and the dialogue (its id back); its appeals and
    participants; the risk refresh queued; the audit chain (lock the head, insert the event, move
    the head). No read to look for a copy first, and none for the 201 answer: 14 statements on
    SQLite. PostgreSQL receives them in 3 round trips: the token; the site and the appeals
    together (``core.bulk.read_together``); the writes together, the last of them locking the
    chain head, inserting the event after it and moving it, in one statement (the dialogue's id
    comes back with them, and its appeals and participants find it by its visit)."""
    from django.db import connection

    from patroli.elections import risk

    settings.TASKS = {"default": {"BACKEND": risk.DATABASE_QUEUE}}  # production's queue
    client = api(world.officer)
    client.post(
        "/api/v1/visits", payload(world.tps_bumi, concerns=[]), content_type="application/json"
    )
    # + 2: inside the test's transaction, the service's own is a savepoint (set and released).
    expected = (3 if connection.vendor == "postgresql" else 14) + 2
    with django_assert_num_queries(expected, exact=True) as captured:
        response = client.post(
            "/api/v1/visits", payload(world.pps_bumi, concerns=[]), content_type="application/json"
        )
    assert response.status_code == 201, [q["sql"][:60] for q in captured.captured_queries]
