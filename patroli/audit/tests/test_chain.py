"""`patroli verify-audit`: an untouched chain verifies; a changed, removed or reordered event is
named; a chain rewritten from some point on is caught only by a head exported before."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from patroli.audit import services as audit
from patroli.audit.models import AuditEvent, ChainHead
from patroli.sites.models import Site

pytestmark = pytest.mark.django_db


def write(count: int) -> None:
    for n in range(1, count + 1):
        audit.record(None, "site.import", Site, after={"file": f"sites-{n}.csv", "created": n})


def verify(*args) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_audit", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as stopped:
        code = stopped.code
    return code, out.getvalue(), err.getvalue()


def raw_sql(sql: str, params=()) -> None:
    """A change behind the application's back, as someone with database access would make."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def set_after(event_id: int, after: dict, digest: str | None = None) -> None:
    """An UPDATE of an event's ``after`` (and ``hash``) in SQL."""
    if connection.vendor == "postgresql":
        sql = 'UPDATE audit_auditevent SET "after" = CAST(%s AS jsonb), hash = %s WHERE id = %s'
    else:
        sql = 'UPDATE audit_auditevent SET "after" = %s, hash = %s WHERE id = %s'
    digest = digest or AuditEvent.objects.values_list("hash", flat=True).get(pk=event_id)
    raw_sql(sql, [json.dumps(after), digest, event_id])


def test_an_untouched_chain_verifies():
    write(5)
    assert verify() == (0, "OK, 5 events\n", "")
    events = list(AuditEvent.objects.order_by("id"))
    assert [e.id for e in events] == [1, 2, 3, 4, 5]
    assert events[0].prev_hash == "0" * 64
    assert all(b.prev_hash == a.hash for a, b in zip(events, events[1:], strict=False))
    head = ChainHead.objects.get()
    assert (head.seq, head.hash) == (5, events[-1].hash)


def test_events_after_a_head_locked_with_a_batch_continue_the_chain():
    """``lock_head``: the head read with a batch's statements serves the next record, which
    then reads no head of its own; the chain holds, on a new trail (no head yet) and after."""
    from django.db import transaction
    from django.test.utils import CaptureQueriesContext

    from patroli.core.bulk import Batch

    for before in (0, 2):
        write(before)
        with transaction.atomic():
            batch = Batch(AuditEvent)
            head = audit.lock_head(batch)
            assert head.rows is None  # not sent yet
            batch.send()
            with CaptureQueriesContext(connection) as queries:
                audit.record(None, "site.import", Site, after={"file": "x.csv"}, head=head)
                audit.record_many(None, "site.import", [(Site, {"file": "y.csv"})])
        reads = [q["sql"] for q in queries.captured_queries if "audit_chainhead" in q["sql"]]
        # The head read (or, on PostgreSQL, locked by the statement chaining a lone event).
        assert sum(sql.startswith(("SELECT", "WITH")) for sql in reads) == (1 if before else 3)
    assert verify() == (0, "OK, 6 events\n", "")
    assert ChainHead.objects.get().seq == 6


def test_a_head_whose_batch_was_not_sent_is_refused():
    from django.db import transaction

    from patroli.core.bulk import Batch

    head = audit.lock_head(Batch(AuditEvent))
    with pytest.raises(ValueError, match="not sent"), transaction.atomic():
        audit.record(None, "site.import", Site, after={}, head=head)
    assert not AuditEvent.objects.exists()


def test_an_empty_trail_verifies():
    assert verify() == (0, "OK, 0 events\n", "")


def test_numbers_times_and_text_read_back_as_written():
    """PostgreSQL's jsonb stores numbers as decimals and sorts keys; the hash must not care."""
    audit.record(
        None,
        "site.update",
        Site,
        before={"lat": 2.0, "voters": 326, "zero": 0.0},
        after={
            "lat": -0.923927,
            "big": 1e20,
            "tiny": 1e-7,
            "text": 'Bumi Harapan — Sepaku ✓ "kutip"',
            "nested": {"z": [1, 2.5, None, True], "a": {}},
        },
    )
    assert audit.verify_chain().ok


def test_a_changed_event_is_named():
    write(5)
    set_after(3, {"file": "sites-3.csv", "created": 300})
    code, out, err = verify()
    assert code == 1 and out == ""
    assert err.startswith("BROKEN at event 3 (")
    assert "hash mismatch" in err


def test_a_changed_and_rehashed_event_breaks_the_next_link():
    write(5)
    event = AuditEvent.objects.get(pk=3)
    event.after = {"file": "sites-3.csv", "created": 300}
    set_after(3, event.after, event.compute_hash())
    result = audit.verify_chain()
    assert (result.event_id, result.problem) == (4, "prev_hash")
    assert "does not follow event 3" in verify()[2]


def test_a_deleted_event_is_a_gap():
    write(5)
    raw_sql("DELETE FROM audit_auditevent WHERE id = 3")
    code, _out, err = verify()
    assert code == 1
    assert "BROKEN at event 4" in err and "event 3 is missing" in err
    raw_sql("DELETE FROM audit_auditevent WHERE id = 2")
    assert "events 2 to 3 are missing" in verify()[2]


def test_reordered_events_are_named():
    write(5)
    raw_sql("UPDATE audit_auditevent SET id = 100 WHERE id = 2")
    raw_sql("UPDATE audit_auditevent SET id = 2 WHERE id = 3")
    raw_sql("UPDATE audit_auditevent SET id = 3 WHERE id = 100")
    result = audit.verify_chain()
    assert (result.event_id, result.problem) == (2, "prev_hash")
    # The same fields under another number do not give the stored hash either.
    raw_sql("UPDATE audit_auditevent SET prev_hash = %s WHERE id = 2", [_hash_of(1)])
    assert (audit.verify_chain().event_id, audit.verify_chain().problem) == (2, "hash")


def _hash_of(event_id: int) -> str:
    return AuditEvent.objects.values_list("hash", flat=True).get(pk=event_id)


def test_the_newest_events_removed_are_noticed_by_the_head():
    write(5)
    raw_sql("DELETE FROM audit_auditevent WHERE id >= 4")
    code, _out, err = verify()
    assert code == 1
    assert "BROKEN: the chain ends at event 3 but its head says 5" in err


def test_a_lost_head_is_noticed_and_the_chain_goes_on_after_its_last_event():
    write(3)
    ChainHead.objects.all().delete()
    assert "the chain head is missing" in verify()[2]
    write(1)
    assert verify()[:2] == (0, "OK, 4 events\n")


def test_a_rewritten_chain_is_caught_by_a_head_exported_before():
    write(5)
    code, out, _err = verify("--print-head")
    assert code == 0
    exported = out.splitlines()[-1].removeprefix("head ")
    assert exported == f"5:{_hash_of(5)}"
    # Someone with write access rewrites event 2 and every hash after it, and the head.
    prev = _hash_of(1)
    for event in AuditEvent.objects.filter(id__gte=2).order_by("id"):
        if event.id == 2:
            event.after = {"file": "sites-2.csv", "created": 200}
        event.prev_hash = prev
        event.hash = prev = event.compute_hash()
        AuditEvent.objects.filter(pk=event.pk).update(
            after=event.after, prev_hash=event.prev_hash, hash=event.hash
        )
    ChainHead.objects.update(hash=prev)
    assert verify()[:2] == (0, "OK, 5 events\n")  # the chain alone cannot tell...
    code, _out, err = verify("--expect-head", exported)
    assert code == 1  # ...the head kept elsewhere can
    assert "event 5 has hash" in err and "rewritten" in err
    write(2)
    assert verify("--expect-head", f"7:{_hash_of(7)}")[0] == 0


def test_expect_head_checks_its_argument():
    write(1)
    code, _out, err = verify("--expect-head", f"9:{'a' * 64}")
    assert code == 1 and "event 9 is not in the chain" in err
    with pytest.raises(Exception, match="N:HASH"):
        call_command("verify_audit", "--expect-head", "nonsense", stdout=StringIO())


def chain_one(event) -> None:
    """``event`` appended after a head locked for it with a batch, as a single visit does."""
    from django.db import transaction

    from patroli.core.bulk import Batch

    with transaction.atomic():
        batch = Batch(AuditEvent)
        head = audit.lock_head(batch, [event])
        batch.send()
        audit.append([event], head)


AWKWARD = {  # what JSON must escape or keep, and what jsonb stores otherwise than Python
    "text": 'Bumi Harapan — Sepaku ✓ "kutip" \\ back\nslash\ttab 😀 \u2028',
    "lat": 2.0,
    "big": 1e20,
    "tiny": 1e-7,
    "nested": {"z": [1, 2.5, None, True, "x"], "a": {}, "é": "ü"},
}


def test_an_event_chained_by_the_statement_that_locks_the_head_verifies():
    """On PostgreSQL, the statement that locks the head numbers, chains and inserts one event,
    and hashes it in SQL: the hash must be the one that Python computes from the stored event,
    whatever its text holds. On SQLite the same calls chain it in Python."""
    from django.contrib.auth import get_user_model

    write(2)
    actor = get_user_model().objects.create_user("pétugas-1", password="x")
    for after in ({"file": "a.csv"}, AWKWARD, {}):
        event = audit.prepare(actor, "site.update", Site, before={"v": 1.5}, after=after)
        event.user_agent = 'Mozilla/5.0 "quoted" \\ ñ'
        event.ip = "2001:db8::1"
        chain_one(event)
        stored = AuditEvent.objects.get(pk=event.pk)
        assert (stored.id, stored.time, stored.prev_hash, stored.hash) == (
            event.id,
            event.time,
            event.prev_hash,
            event.hash,
        )
        assert stored.hash == stored.compute_hash() == event.compute_hash()
    write(1)  # a Python-chained event follows a SQL-chained one
    assert verify() == (0, "OK, 6 events\n", "")
    head = ChainHead.objects.get()
    assert (head.seq, head.hash) == (6, AuditEvent.objects.get(pk=6).hash)


def test_an_event_chained_with_the_head_on_a_new_trail_creates_the_head():
    """No head row yet (a new database, or a test that emptied the tables): the statement
    finds nothing to lock and writes nothing, and the append creates the head and chains the
    event itself, after the last event."""
    write(2)
    ChainHead.objects.all().delete()
    event = audit.prepare(None, "site.import", Site, after={"file": "b.csv"})
    chain_one(event)
    assert (event.id, AuditEvent.objects.count()) == (3, 3)
    assert verify() == (0, "OK, 3 events\n", "")


def test_a_head_locked_for_one_event_refuses_another():
    from django.db import transaction

    from patroli.core.bulk import Batch

    if connection.vendor != "postgresql":
        pytest.skip("SQLite chains in Python: a head locked for one event serves any")
    write(1)
    wanted = audit.prepare(None, "site.import", Site, after={"file": "c.csv"})
    other = audit.prepare(None, "site.import", Site, after={"file": "d.csv"})
    with pytest.raises(ValueError, match="another event"), transaction.atomic():
        batch = Batch(AuditEvent)
        head = audit.lock_head(batch, [wanted])
        batch.send()
        audit.append([other], head)
    assert AuditEvent.objects.count() == 1


def test_the_text_cut_at_the_holes_is_the_hashed_text():
    """The parts around the values the database fills, joined with those values, give the
    text that ``chain_hash`` hashes."""
    import hashlib
    from datetime import UTC, datetime

    from patroli.audit.models import _json, chain_text_parts

    event = audit.prepare(None, "site.update", Site, before={"a": 1}, after=AWKWARD)
    event.id, event.prev_hash = 41, "ab" * 32
    for moment in (datetime(2024, 1, 23, 2, 0, 0, tzinfo=UTC), datetime(2024, 1, 23, 2, 0, 0, 7)):
        event.time = moment.replace(tzinfo=UTC)
        fields = event.hashed_fields()
        parts = chain_text_parts(fields, {"id": False, "prev_hash": True, "time": True})
        filled = [str(fields["id"]), fields["prev_hash"], fields["time"]]  # in the keys' order
        text = parts[0] + "".join(v + p for v, p in zip(filled, parts[1:], strict=True))
        assert text == _json(fields)
        assert hashlib.sha256(text.encode()).hexdigest() == event.compute_hash()


def test_a_lone_event_too_long_for_its_column_is_never_stored_cut():
    """A text longer than its column is refused where the column has a length (PostgreSQL), as
    the insert of the Python path refuses it, and kept whole where it has none (SQLite): never
    stored cut, which would leave the hash of the text before the cut."""
    from django.db import DataError, transaction

    write(1)
    event = audit.prepare(None, "x" * 50, Site, after={})  # action: 40 characters at most
    if connection.vendor == "postgresql":
        with pytest.raises(DataError), transaction.atomic():
            audit.append([event])
        assert verify() == (0, "OK, 1 event\n", "")
    else:
        audit.append([event])
        assert AuditEvent.objects.get(pk=2).action == "x" * 50
        assert verify() == (0, "OK, 2 events\n", "")


def test_a_nul_in_a_key_is_dropped_like_a_nul_in_a_value():
    audit.record(None, "site.update", Site, after={"a\x00b": "c\x00d"})
    assert AuditEvent.objects.get().after == {"ab": "cd"}
    assert verify() == (0, "OK, 1 event\n", "")
