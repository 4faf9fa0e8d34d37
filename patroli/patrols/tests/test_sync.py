"""POST /api/v1/sync: a device sends its outbox; each record stands on its own."""

import threading
import uuid

import pytest
from django.db import connection

from patroli.concerns.models import Concern
from patroli.patrols.models import Visit

pytestmark = pytest.mark.django_db


def visit(site, **overrides):
    data = {
        "id": str(uuid.uuid4()),
        "site": site.pk,
        "started_at": "2024-01-23T10:00:00+08:00",
        "kind": "dialogic",
        "dialogue": {"participants": [{"name": "Suparno"}], "appeals": ["kamtibmas-pemilu"]},
        "concerns": [{"category": "hoaks", "description": "Pesan berantai keliru."}],
    }
    data.update(overrides)
    return data


def sync(client, visits):
    response = client.post("/api/v1/sync", {"visits": visits}, content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_batch_is_answered_in_order_and_bad_records_do_not_stop_the_rest(world, api):
    good, bad, foreign, no_id = (
        visit(world.pps_bumi),
        visit(world.pps_bumi, kind="picnic"),
        visit(world.pps_penajam),
        visit(world.tps_bumi, id=None),
    )
    also_good = visit(world.tps_bumi)
    results = sync(api(world.officer), [good, bad, foreign, no_id, also_good])
    assert [r["status"] for r in results] == [
        "created",
        "rejected",
        "rejected",
        "rejected",
        "created",
    ]
    assert [r["id"] for r in results] == [
        good["id"],
        bad["id"],
        foreign["id"],
        None,
        also_good["id"],
    ]
    assert results[1]["errors"][0]["loc"] == ["kind"]
    assert results[2]["errors"][0]["loc"] == ["site"]
    assert results[3]["errors"][0]["loc"] == ["id"]
    assert Visit.objects.count() == 2 and Concern.objects.count() == 2


def test_replayed_batch_creates_nothing(world, api):
    batch = [visit(world.pps_bumi), visit(world.tps_bumi)]
    client = api(world.officer)
    assert [r["status"] for r in sync(client, batch)] == ["created", "created"]
    assert [r["status"] for r in sync(client, batch)] == ["exists", "exists"]
    assert Visit.objects.count() == 2 and Concern.objects.count() == 2


def test_another_units_id_is_not_revealed(world, api):
    record = visit(world.pps_bumi)
    sync(api(world.officer), [record])
    result = sync(api(world.other_officer), [record])[0]
    assert result["status"] == "rejected"
    assert Visit.objects.count() == 1


def test_unauthenticated_is_401(world, client):
    response = client.post("/api/v1/sync", {"visits": []}, content_type="application/json")
    assert response.status_code == 401


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_replays_create_nothing_twice(libraries, world, api):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite in-memory test databases cannot be shared between threads")
    batch = [visit(world.pps_bumi), visit(world.tps_bumi)]
    clients = [api(world.officer), api(world.officer)]
    statuses = []

    def run(client):
        statuses.append([r["status"] for r in sync(client, batch)])
        connection.close()

    threads = [threading.Thread(target=run, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Visit.objects.count() == 2
    assert Concern.objects.count() == 2
    assert sorted(s for pair in statuses for s in pair) == [
        "created",
        "created",
        "exists",
        "exists",
    ]
