"""POST /api/v1/sync: a device sends its outbox; each record stands on its own."""

import threading
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

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


# --- The device's clock -------------------------------------------------------------------------


@pytest.fixture
def server_now(monkeypatch):
    """The server's clock, stopped: the measured skew is then exact."""
    now = timezone.now().replace(microsecond=0)
    monkeypatch.setattr(timezone, "now", lambda: now)
    return now


def at(moment) -> str:
    return moment.isoformat()


def sync_at(client, visits, sent_at):
    response = client.post(
        "/api/v1/sync",
        {"sent_at": at(sent_at), "visits": visits},
        content_type="application/json",
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_a_device_clock_two_hours_slow_is_measured_and_its_visits_accepted(world, api, server_now):
    device_now = server_now - timedelta(hours=2)  # the phone's clock is 2 hours behind
    record = visit(
        world.pps_bumi,
        started_at=at(device_now - timedelta(minutes=50)),
        ended_at=at(device_now - timedelta(minutes=20)),
        recorded_at=at(device_now - timedelta(minutes=15)),
    )
    results = sync_at(api(world.officer), [record], sent_at=device_now)
    assert results[0]["status"] == "created", results
    stored = Visit.objects.get()
    assert stored.clock_skew_s == pytest.approx(7200)
    assert stored.recorded_at == device_now - timedelta(minutes=15)  # the device's time, as given
    assert stored.started_at == device_now - timedelta(minutes=50)
    assert stored.created_at == server_now  # received by the server
    body = api(world.officer).get(f"/api/v1/visits/{stored.pk}").json()
    assert body["clock_skew_s"] == pytest.approx(7200)
    assert body["recorded_at"] is not None


def test_a_device_clock_two_hours_fast_is_corrected_before_the_future_check(world, api, server_now):
    device_now = server_now + timedelta(hours=2)
    record = visit(world.pps_bumi, started_at=at(device_now - timedelta(minutes=30)))
    # Without the batch's sent_at the start lies 90 minutes ahead of the server: refused.
    assert sync(api(world.officer), [record])[0]["status"] == "rejected"
    results = sync_at(api(world.officer), [record], sent_at=device_now)
    assert results[0]["status"] == "created", results
    assert Visit.objects.get().clock_skew_s == pytest.approx(-7200)


def test_a_time_after_the_device_sent_its_batch_is_rejected_naming_the_field(
    world, api, server_now
):
    device_now = server_now - timedelta(hours=2)
    future = visit(
        world.pps_bumi,
        # By the server's clock these are 2 hours ahead once the device's error is corrected,
        # although uncorrected they would lie in the server's past or present.
        started_at=at(device_now + timedelta(minutes=30)),
        ended_at=at(device_now + timedelta(hours=1)),
        recorded_at=at(device_now + timedelta(hours=1)),
    )
    good = visit(world.tps_bumi, started_at=at(device_now - timedelta(hours=1)))
    results = sync_at(api(world.officer), [future, good], sent_at=device_now)
    assert [r["status"] for r in results] == ["rejected", "created"]
    message = "The time lies in the future by the server's clock"
    assert results[0]["errors"] == [
        {"loc": ["started_at"], "msg": message},
        {"loc": ["ended_at"], "msg": message},
        {"loc": ["recorded_at"], "msg": message},
    ]
    assert Visit.objects.get().site == world.tps_bumi


def test_a_skew_within_the_limit_is_recorded_but_not_corrected(world, api, server_now):
    device_now = server_now - timedelta(minutes=5)  # could be the network as well as the clock
    within = visit(world.pps_bumi, started_at=at(server_now + timedelta(minutes=8)))
    beyond = visit(world.tps_bumi, started_at=at(server_now + timedelta(minutes=11)))
    results = sync_at(api(world.officer), [within, beyond], sent_at=device_now)
    assert [r["status"] for r in results] == ["created", "rejected"]
    assert results[1]["errors"][0]["loc"] == ["started_at"]
    assert Visit.objects.get().clock_skew_s == pytest.approx(300)


def test_the_limit_is_a_setting(world, api, server_now, settings):
    settings.PATROLI_SYNC_MAX_SKEW_S = 60
    record = visit(world.pps_bumi, started_at=at(server_now + timedelta(minutes=2)))
    assert sync(api(world.officer), [record])[0]["status"] == "rejected"


def test_without_sent_at_nothing_is_measured(world, api):
    record = visit(world.pps_bumi, recorded_at="2024-01-23T11:30:00+08:00")
    assert sync(api(world.officer), [record])[0]["status"] == "created"
    stored = Visit.objects.get()
    assert stored.clock_skew_s is None
    assert stored.recorded_at.isoformat() == "2024-01-23T03:30:00+00:00"


def test_times_without_a_zone_are_refused(world, api):
    client = api(world.officer)
    record = visit(world.pps_bumi, started_at="2024-01-23T10:00:00")
    result = sync(client, [record])[0]
    assert result["status"] == "rejected" and result["errors"][0]["loc"] == ["started_at"]
    response = client.post(
        "/api/v1/sync",
        {"sent_at": "2024-01-23T10:00:00", "visits": [visit(world.pps_bumi)]},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert not Visit.objects.exists()


def test_a_replay_keeps_the_first_measurement(world, api, server_now):
    record = visit(world.pps_bumi)
    client = api(world.officer)
    sync_at(client, [record], sent_at=server_now - timedelta(hours=1))
    results = sync_at(client, [record], sent_at=server_now)
    assert results[0]["status"] == "exists"
    assert Visit.objects.get().clock_skew_s == pytest.approx(3600)


def test_a_batch_costs_the_same_statements_whatever_its_size(world, api):
    """Visits of a batch are written with bulk statements: 40 visits cost what 4 cost."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api(world.officer)
    sync(client, [visit(world.pps_bumi, concerns=[])])  # warm: the token, caches

    def statements(count: int) -> int:
        batch = [
            visit(world.pps_bumi if i % 2 else world.tps_bumi, concerns=[]) for i in range(count)
        ]
        with CaptureQueriesContext(connection) as queries:
            results = sync(client, batch)
        assert [r["status"] for r in results] == ["created"] * count
        return len(queries)

    assert statements(40) == statements(4)


def test_sites_of_visits_raising_concerns_are_read_with_their_unit_and_village(world, api):
    """Concerns need the site's unit and village: read with the sites, once for the batch,
    never once for each visit that raises one."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api(world.officer)
    batch = [visit(world.pps_bumi), visit(world.tps_bumi)]  # two sites, a concern each
    with CaptureQueriesContext(connection) as queries:
        assert [r["status"] for r in sync(client, batch)] == ["created", "created"]
    alone = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith(('SELECT "units_unit"', 'SELECT "regions_region"'))
        and "WHERE" in q["sql"]
        and " JOIN " not in q["sql"]
    ]
    assert not [sql for sql in alone if '"id" = ' in sql or '"code" = ' in sql], alone


def test_every_visit_of_a_batch_has_its_audit_event_and_the_chain_holds(world, api):
    from patroli.audit.models import AuditEvent
    from patroli.audit.services import verify_chain

    batch = [visit(world.pps_bumi), visit(world.tps_bumi, dialogue=None), visit(world.pps_bumi)]
    sync(api(world.officer), batch)
    events = AuditEvent.objects.filter(action="visit.create").order_by("id")
    assert [e.object_id for e in events] == [v["id"] for v in batch]
    assert {e.unit_id for e in events} == {world.sepaku.pk}
    assert all(e.actor_id == world.officer.pk for e in events)
    assert verify_chain().ok


def test_the_same_id_twice_in_one_batch_is_written_once(world, api):
    record = visit(world.pps_bumi)
    results = sync(api(world.officer), [record, dict(record), visit(world.tps_bumi)])
    assert [r["status"] for r in results] == ["created", "exists", "created"]
    assert Visit.objects.count() == 2 and Concern.objects.count() == 2


def test_a_batch_stores_what_each_visit_holds(world, api):
    """The bulk path writes the same rows as one POST would: officers, dialogue, appeals,
    participants, concerns, incidents."""
    one = visit(
        world.pps_bumi,
        officers=[world.officer.pk, world.kapolsek.pk],
        incidents=[{"kind": "clash", "severity": "green"}],
    )
    one["dialogue"].update(
        participants=[{"name": "Suparno"}, {"name": "Siti", "role": "Anggota PPS"}],
        appeals=["kamtibmas-pemilu", "partisipasi-warga"],
        attendees=12,
        topics=["Persiapan TPS"],
        response="positive",
    )
    two = visit(world.tps_bumi, dialogue=None, concerns=[])
    client = api(world.officer)
    assert [r["status"] for r in sync(client, [one, two])] == ["created", "created"]
    first = client.get(f"/api/v1/visits/{one['id']}").json()
    assert sorted(o["id"] for o in first["officers"]) == sorted(
        [world.officer.pk, world.kapolsek.pk]
    )
    said = first["dialogue"]
    assert [p["name"] for p in said["participants"]] == ["Suparno", "Siti"]
    assert sorted(said["appeals"]) == ["kamtibmas-pemilu", "partisipasi-warga"]
    assert (said["attendees"], said["topics"], said["response"]) == (
        12,
        ["Persiapan TPS"],
        "positive",
    )
    assert [c["category"] for c in first["concerns"]] == ["hoaks"]
    assert [i["kind"] for i in first["incidents"]] == ["clash"]
    second = client.get(f"/api/v1/visits/{two['id']}").json()
    assert second["dialogue"] is None and [o["id"] for o in second["officers"]] == [
        world.officer.pk
    ]
    assert second["concerns"] == [] and second["incidents"] == []


def test_a_refused_copy_does_not_stand_for_a_valid_one_with_its_id(world, api):
    """The same id twice in a batch, the first copy refused: the second is checked and stored
    (answering "exists" would make the phone drop a visit that was never stored)."""
    bad = visit(world.pps_penajam)  # another unit's site
    good = visit(world.pps_bumi, id=bad["id"])
    results = sync(api(world.officer), [bad, good])
    assert [r["status"] for r in results] == ["rejected", "created"]
    assert Visit.objects.filter(pk=bad["id"], site=world.pps_bumi).exists()


def test_each_dialogue_of_a_batch_gets_its_own_participants_and_appeals(world, api):
    """Participants and appeals find their dialogue by its visit as they are inserted (the
    dialogues' ids are not read back before): three dialogues in one batch keep theirs apart."""
    bodies = []
    for i, appeals in enumerate([["kamtibmas-pemilu"], ["partisipasi-warga"], []]):
        body = visit(world.pps_bumi if i % 2 else world.tps_bumi, concerns=[])
        body["dialogue"].update(
            participants=[{"name": f"Warga {i}-{n}"} for n in range(i + 1)], appeals=appeals
        )
        bodies.append(body)
    client = api(world.officer)
    assert [r["status"] for r in sync(client, bodies)] == ["created"] * 3
    for i, body in enumerate(bodies):
        said = client.get(f"/api/v1/visits/{body['id']}").json()["dialogue"]
        assert [p["name"] for p in said["participants"]] == [f"Warga {i}-{n}" for n in range(i + 1)]
        assert said["appeals"] == body["dialogue"]["appeals"]


def test_the_one_dialogue_of_a_batch_keeps_its_participants_after_a_visit_without_one(world, api):
    """A batch whose only dialogue is not its first visit's: the dialogue's appeals and
    participants go to that dialogue (found by its own visit, not the batch's first)."""
    plain = visit(world.tps_bumi, dialogue=None, concerns=[])
    said = visit(world.pps_bumi, concerns=[])
    said["dialogue"].update(participants=[{"name": "Suparno"}], appeals=["partisipasi-warga"])
    client = api(world.officer)
    assert [r["status"] for r in sync(client, [plain, said])] == ["created", "created"]
    dialogue = client.get(f"/api/v1/visits/{said['id']}").json()["dialogue"]
    assert [p["name"] for p in dialogue["participants"]] == ["Suparno"]
    assert dialogue["appeals"] == ["partisipasi-warga"]
    assert client.get(f"/api/v1/visits/{plain['id']}").json()["dialogue"] is None


def test_a_batch_of_dialogues_locks_the_audit_head_after_their_appeals(world, api):
    """Locks in one order: the appeals' rows (their dialogues' links) before the chain head, as
    an edit of an appeal takes them, so that the two cannot wait on each other."""
    from django.test.utils import CaptureQueriesContext

    client = api(world.officer)
    sync(client, [visit(world.pps_bumi, concerns=[])])  # the chain's head exists from now on
    batch = [visit(world.pps_bumi, concerns=[]), visit(world.tps_bumi, concerns=[])]
    with CaptureQueriesContext(connection) as queries:
        assert [r["status"] for r in sync(client, batch)] == ["created", "created"]
    sql = "\n".join(q["sql"] for q in queries.captured_queries)
    assert sql.index('INSERT INTO "patrols_dialogue_appeals"') < sql.index('"audit_chainhead"')
    assert sql.count('FROM "audit_chainhead"') == 1  # read once, with the appeals
