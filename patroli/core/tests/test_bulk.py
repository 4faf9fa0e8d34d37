"""core/bulk.py: rows inserted as the ORM would store them, and statements sent together."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from patroli.core.bulk import Batch
from patroli.patrols.models import Appeal

pytestmark = pytest.mark.django_db


def insert_rows(model, rows) -> int:
    with Batch(model) as batch:
        return batch.insert(model, rows)


def appeal(code: str, **extra) -> Appeal:
    return Appeal(code=code, title=f"Himbauan {code}", text="Teks.", **extra)


def test_rows_are_stored_with_the_fields_defaults_and_marked_as_saved():
    rows = [appeal("satu"), appeal("dua", active=False, order=7)]
    assert insert_rows(Appeal, rows) == 2
    stored = {a.code: (a.active, a.order) for a in Appeal.objects.filter(code__in=["satu", "dua"])}
    assert stored == {"satu": (True, 100), "dua": (False, 7)}
    assert not rows[0]._state.adding


def test_a_dict_row_takes_the_missing_fields_defaults():
    insert_rows(Appeal, [{"code": "tiga", "title": "Tiga", "text": "Teks."}])
    assert Appeal.objects.values_list("active", "order").get(code="tiga") == (True, 100)


TABLE = Appeal._meta.db_table  # a plain name: no quoting needed on either database


def test_a_batch_runs_its_statements_in_order():
    with Batch(Appeal) as batch:
        batch.insert(Appeal, [appeal("empat")])
        # Needs the row inserted just before it in the same batch.
        batch.execute(f"UPDATE {TABLE} SET title = %s WHERE code = %s", ["Diubah", "empat"])  # noqa: S608
        batch.executemany(
            f'UPDATE {TABLE} SET "order" = "order" + %s WHERE code = %s',  # noqa: S608
            [[1, "empat"], [2, "empat"]],
        )
    assert Appeal.objects.values_list("title", "order").get(code="empat") == ("Diubah", 103)


def test_postgresql_gets_a_batch_in_one_round_trip():
    with CaptureQueriesContext(connection) as queries, Batch(Appeal) as batch:
        batch.insert(Appeal, [appeal("lima")])
        batch.insert(Appeal, [appeal("enam"), appeal("tujuh")])
        batch.execute(f"UPDATE {TABLE} SET active = %s WHERE code = %s", [False, "lima"])  # noqa: S608
    assert len(queries) == (1 if connection.vendor == "postgresql" else 3)
    assert Appeal.objects.filter(code__in=["lima", "enam", "tujuh"]).count() == 3


def test_a_failing_statement_fails_the_whole_transaction():
    insert_rows(Appeal, [appeal("delapan")])
    with pytest.raises(IntegrityError), transaction.atomic(), Batch(Appeal) as batch:
        batch.insert(Appeal, [appeal("sembilan")])
        batch.insert(Appeal, [appeal("delapan")])  # the code is taken
        batch.insert(Appeal, [appeal("sepuluh")])
    assert not Appeal.objects.filter(code__in=["sembilan", "sepuluh"]).exists()


def test_nothing_is_sent_when_the_block_raises():
    class Stop(Exception):
        pass

    with pytest.raises(Stop), Batch(Appeal) as batch:
        batch.insert(Appeal, [appeal("sebelas")])
        assert batch.pending  # held until the block ends
        raise Stop
    assert not Appeal.objects.filter(code="sebelas").exists()


def test_a_batch_filled_before_its_transaction_writes_nothing_until_sent_inside_it():
    row = appeal("dua-puluh")
    batch = Batch(Appeal)
    batch.insert(Appeal, [row], returning=True)
    batch.execute(f"UPDATE {TABLE} SET title = %s WHERE code = %s", ["Diubah", "dua-puluh"])  # noqa: S608
    assert not Appeal.objects.filter(code="dua-puluh").exists()
    assert row.pk is None and row._state.adding
    with transaction.atomic():
        batch.send()
    assert Appeal.objects.values_list("pk", "title").get(code="dua-puluh") == (row.pk, "Diubah")
    assert not row._state.adding and not batch.pending


def test_returning_gives_each_row_its_id_with_the_batch(monkeypatch):
    import patroli.core.bulk as bulk

    monkeypatch.setattr(bulk, "MAX_PARAMETERS", 14)  # Appeal has 5 columns: 2 rows a statement
    first = [appeal("dua-belas"), appeal("tiga-belas")]
    later = [appeal(f"ke-{i}") for i in range(5)]
    with CaptureQueriesContext(connection) as queries, Batch(Appeal) as batch:
        batch.insert(Appeal, first, returning=True)
        batch.execute(f"UPDATE {TABLE} SET title = %s WHERE code = %s", ["Diubah", "ke-0"])  # noqa: S608
        batch.insert(Appeal, later, returning=True)  # three statements, each giving its ids
        batch.insert(Appeal, [{"code": "tanpa-id", "title": "T", "text": "."}])
    if connection.vendor == "postgresql":
        assert len(queries) == 1  # the ids came back with the batch
    stored = dict(Appeal.objects.values_list("code", "pk"))
    assert [a.pk for a in first + later] == [stored[a.code] for a in first + later]
    assert len({a.pk for a in first + later}) == 7
    assert not later[-1]._state.adding


def test_one_row_returning_gets_its_id_at_once_or_with_the_batch():
    row = appeal("sendiri")
    with CaptureQueriesContext(connection) as queries, Batch(Appeal) as batch:
        batch.insert(Appeal, [row], returning=True)
        assert row.pk is None  # read when the batch is sent
    # One statement built here, giving the id back (not the ORM's bulk insert).
    (sent,) = queries.captured_queries
    assert sent["sql"].startswith(f'INSERT INTO "{TABLE}"') and "RETURNING" in sent["sql"]
    assert row.pk == Appeal.objects.get(code="sendiri").pk


def test_returning_without_insert_returning_takes_each_rows_id_from_the_driver(monkeypatch):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite before 3.35 has no INSERT … RETURNING; PostgreSQL always has it")
    monkeypatch.setattr(connection.features, "can_return_columns_from_insert", False)
    rows = [appeal("lama-1"), appeal("lama-2"), appeal("lama-3")]
    with Batch(Appeal) as batch:
        batch.insert(Appeal, rows, returning=True)
    stored = dict(Appeal.objects.values_list("code", "pk"))
    assert [a.pk for a in rows] == [stored[a.code] for a in rows]


def test_returning_is_for_automatic_primary_keys():
    from django_tasks_db.models import DBTaskResult  # a UUID primary key

    with pytest.raises(ValueError, match="automatic"), Batch(DBTaskResult) as batch:
        batch.insert(DBTaskResult, [DBTaskResult()], returning=True)


def test_a_ref_must_be_in_the_same_column_of_every_row():
    from patroli.core.bulk import Ref

    rows = [
        {"code": "a", "title": "A", "text": ".", "order": Ref(Appeal, "code", "b")},
        {"code": "c", "title": "C", "text": ".", "order": 1},
    ]
    with pytest.raises(ValueError, match="same column"), Batch(Appeal) as batch:
        batch.insert(Appeal, rows)
    rows[1]["order"] = Ref(Appeal, "title", "B")  # another kind of Ref in that column
    with pytest.raises(ValueError, match="same kind"), Batch(Appeal) as batch:
        batch.insert(Appeal, rows)


def test_read_together_reads_each_querysets_records_in_one_round_trip():
    from patroli.core.bulk import read_together

    insert_rows(Appeal, [appeal("r-1"), appeal("r-2", order=3), appeal("r-3", active=False)])
    with CaptureQueriesContext(connection) as queries:
        active, nothing, one = read_together(
            Appeal.objects.filter(active=True, code__startswith="r-").order_by("code"),
            Appeal.objects.filter(code__in=[]),  # selects nothing: not sent at all
            Appeal.objects.filter(code="r-3"),
        )
    assert len(queries) == (1 if connection.vendor == "postgresql" else 2)
    assert [(a.code, a.order) for a in active] == [("r-1", 100), ("r-2", 3)]
    assert nothing == [] and [a.code for a in one] == ["r-3"] and one[0].active is False
    assert one[0] == Appeal.objects.get(code="r-3") and not one[0]._state.adding
    assert read_together() == []


def test_read_together_reads_one_by_one_what_needs_more_than_the_models_fields():
    from django.db.models import Value

    from patroli.core.bulk import read_together

    insert_rows(Appeal, [appeal("s-1")])
    with CaptureQueriesContext(connection) as queries:
        (annotated,), (plain,) = read_together(
            Appeal.objects.filter(code="s-1").annotate(extra=Value(7)),
            Appeal.objects.filter(code="s-1"),
        )
    assert len(queries) == 2 and annotated.extra == 7 and plain.pk == annotated.pk


def test_a_query_sent_with_the_batch_sees_its_earlier_statements():
    with CaptureQueriesContext(connection) as queries, Batch(Appeal) as batch:
        batch.insert(Appeal, [appeal("q-1"), appeal("q-2", order=5)])
        sql = f'SELECT code, "order" FROM {TABLE} WHERE code LIKE %s'  # noqa: S608
        selected = batch.query(sql, ["q-%"])
        batch.execute(f"UPDATE {TABLE} SET title = %s WHERE code = %s", ["Diubah", "q-1"])  # noqa: S608
        assert selected.rows is None  # not sent yet
    assert sorted(selected.rows) == [("q-1", 100), ("q-2", 5)]
    assert Appeal.objects.get(code="q-1").title == "Diubah"
    if connection.vendor == "postgresql":
        assert len(queries) == 1


def test_a_batch_that_fails_marks_nothing_stored_and_calls_nothing_back():
    insert_rows(Appeal, [appeal("gagal")])
    row, called = appeal("baru"), []
    batch = Batch(Appeal)
    batch.insert(Appeal, [row])
    batch.insert(Appeal, [appeal("gagal")])  # the code is taken
    batch.after_send(lambda: called.append(True))
    with pytest.raises(IntegrityError), transaction.atomic():
        batch.send()
    assert row._state.adding and not called
    batch.send()  # nothing left of it to send again
    assert not Appeal.objects.filter(code="baru").exists() and not called


# Texts that an array literal must quote or escape (PostgreSQL sends many rows as an array for
# each column): quotes, braces, commas, backslashes, the word NULL, an empty text, a newline.
AWKWARD = ['Kata "kutip", {kurung}', "garis\\miring", "NULL", "", "baris\nbaru", "Désa ✓ O'Brien"]


def test_many_rows_are_stored_as_the_orm_stores_them_whatever_their_values(world):
    from datetime import UTC, datetime

    from patroli.patrols.models import Dialogue, Visit

    visits = [
        Visit(
            site=world.pps_bumi,
            unit=world.sepaku,
            recorded_by=world.officer,
            started_at=datetime(2024, 1, 23, 2, 15, 30, 123000, tzinfo=UTC),
            ended_at=None if i % 2 else datetime(2024, 1, 23, 3, i, tzinfo=UTC),
            lat=None if i % 3 == 0 else -0.5 - i / 7,
            lon=None if i % 3 == 0 else 116.25 + i / 7,
            far_from_site=bool(i % 2),
            search_text=text,
            attendees=None if i == 0 else i,
        )
        for i, text in enumerate(AWKWARD)
    ]
    dialogues = [
        Dialogue(visit=visit, topics=[text, {"a": [1, 2.5, None]}], notes=text, attendees=i)
        for i, (visit, text) in enumerate(zip(visits, AWKWARD, strict=True))
    ]
    with CaptureQueriesContext(connection) as queries, Batch(Visit) as batch:
        batch.insert(Visit, visits)
        batch.insert(Dialogue, dialogues, returning=True)
    if connection.vendor == "postgresql":
        (sent,) = queries.captured_queries
        assert sent["sql"].count("UNNEST(") == 2
    fields = [f.attname for f in Visit._meta.concrete_fields]
    for visit in visits:
        stored = Visit.objects.get(pk=visit.pk)
        assert [getattr(stored, f) for f in fields] == [getattr(visit, f) for f in fields]
    # The ids came back in the rows' order: each dialogue's own.
    stored = {d.pk: d for d in Dialogue.objects.filter(visit__in=visits)}
    for dialogue, text in zip(dialogues, AWKWARD, strict=True):
        assert stored[dialogue.pk].visit_id == dialogue.visit_id
        assert stored[dialogue.pk].topics == [text, {"a": [1, 2.5, None]}]
        assert stored[dialogue.pk].notes == text


def test_json_columns_of_many_rows_keep_their_values_and_sql_null():
    """On PostgreSQL a JSON column of many rows travels as one JSON text: each value comes back
    as it went, a Python None as SQL NULL (as a JSONField stores it), a JSON null inside a value
    as JSON null; a None where the column takes no NULL is refused, as the ORM's insert is."""
    from django.db.models import JSONField, Value
    from django_tasks_db.models import DBTaskResult, get_date_max

    from patroli.audit.models import AuditEvent

    json_null = Value(None, JSONField())  # a JSON null, where None is SQL NULL
    values = [None, {"a": None, "b": AWKWARD}, [1, 2.5, "x"], "teks", 7, True, {}, json_null]
    rows = [
        DBTaskResult(
            task_path="patroli.elections.risk.refresh_task",
            args_kwargs={"args": [i], "kwargs": {}},
            return_value=value,
            backend_name="default",
            run_after=get_date_max(),
        )
        for i, value in enumerate(values)
    ]
    with CaptureQueriesContext(connection) as queries, Batch(DBTaskResult) as batch:
        batch.insert(DBTaskResult, rows)
    if connection.vendor == "postgresql":
        assert "jsonb_array_elements" in queries.captured_queries[0]["sql"]
    stored = DBTaskResult.objects.in_bulk([row.pk for row in rows])
    assert [stored[row.pk].return_value for row in rows] == [*values[:-1], None]
    assert [stored[row.pk].args_kwargs["args"] for row in rows] == [[i] for i in range(8)]
    sql_null = DBTaskResult.objects.filter(pk__in=stored, return_value__isnull=True)
    assert list(sql_null.values_list("pk", flat=True)) == [rows[0].pk]
    assert DBTaskResult.objects.filter(pk=rows[-1].pk, return_value=json_null).exists()
    events = [
        {"id": 10**9 + i, "time": timezone.now(), "action": "x", "prev_hash": "", "hash": ""}
        for i in range(2)
    ]
    events[0]["after"] = None
    with pytest.raises(IntegrityError), transaction.atomic(), Batch(AuditEvent) as batch:
        batch.insert(AuditEvent, events)


def test_rows_with_a_ref_column_are_inserted_as_a_values_list():
    from patroli.core.bulk import Ref

    insert_rows(Appeal, [appeal("induk", order=9)])
    rows = [
        {"code": f"anak-{i}", "title": "A", "text": ".", "order": Ref(Appeal, "code", "induk")}
        for i in range(3)
    ]
    with CaptureQueriesContext(connection) as queries:
        insert_rows(Appeal, rows)
    assert "UNNEST" not in queries.captured_queries[0]["sql"]
    stored = Appeal.objects.filter(code__startswith="anak-").values_list("order", flat=True)
    induk = Appeal.objects.get(code="induk").pk
    assert list(stored) == [induk] * 3


def test_a_text_longer_than_its_column_is_refused_among_many_rows_not_cut():
    from django.db import DataError

    if connection.vendor == "sqlite":
        pytest.skip("SQLite stores a text of any length in a varchar column")
    too_long = "x" * (Appeal._meta.get_field("code").max_length + 1)
    with pytest.raises(DataError), transaction.atomic():
        insert_rows(Appeal, [appeal("pendek"), appeal(too_long)])
    assert not Appeal.objects.filter(code__in=["pendek", too_long, too_long[:-1]]).exists()


def test_sqlite_sends_the_rows_of_a_searched_table_as_few_statements(world, monkeypatch):
    """On SQLite, the rows of a table with a full-text index go as one statement (a VALUES
    list) per as many rows as its parameters allow, so that FTS5 writes its index once a
    statement, not once a row; the index then finds every row. Other tables' rows go through
    executemany, one prepared statement."""
    from datetime import UTC, datetime

    from patroli.core.search import stems_column
    from patroli.patrols.models import Visit

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL sends many rows as one array a column")
    monkeypatch.setattr(connection.ops, "bulk_batch_size", lambda fields, objs: 2)
    visits = [
        Visit(
            site=world.pps_bumi,
            unit=world.sepaku,
            recorded_by=world.officer,
            started_at=datetime(2024, 1, 23, 2, i, tzinfo=UTC),
            search_text=f"Kantor PPS {i}",
            search_stems=stems_column(f"Kantor PPS {i}"),
        )
        for i in range(5)
    ]
    with CaptureQueriesContext(connection) as queries, Batch(Visit) as batch:
        batch.insert(Visit, visits)
        batch.insert(Appeal, [appeal(f"kode-{i}") for i in range(3)])
    sent = [q["sql"] for q in queries.captured_queries]
    visit_inserts = [sql for sql in sent if sql.startswith('INSERT INTO "patrols_visit"')]
    assert [sql.count("), (") + 1 for sql in visit_inserts] == [2, 2, 1]
    (appeals,) = [sql for sql in sent if TABLE in sql]
    assert appeals.startswith("3 times: INSERT")  # Django's note of an executemany
    assert "), (" not in appeals
    assert Appeal.objects.filter(code__startswith="kode-").count() == 3
    found = Visit.objects.search("kantor pps").values_list("pk", flat=True)
    assert set(found) == {visit.pk for visit in visits}
