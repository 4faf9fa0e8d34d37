"""Inserting many rows at once, for the hot write paths (a synced outbox).

``QuerySet.bulk_create`` compiles SQL with a placeholder and an adapted value per field per row
and spends most of a synced batch's time doing it (benchmarks/suite.py, "sync ingest"). Here the
statement is built once per model: SQLite runs it for each row (``executemany``, in-process),
PostgreSQL gets one INSERT of all the rows, an array for each column, or one JSON text for a JSON
column (one round trip for the batch, as many parameters as columns). The values still go through
each field's ``pre_save`` and ``get_db_prep_save``, so they are stored exactly as the ORM would
store them (auto_now_add times, UUIDs on SQLite, JSON).

:class:`Batch` holds these inserts with the other statements of a write of several tables (a
visit, its officers, the site's latest visit, the plan stop it completes, its dialogue): they
go to PostgreSQL in one round trip. Rows can give their ids back with the batch
(``returning``), and a later row can refer to an earlier one by a unique field (:class:`Ref`:
the database finds the id). :func:`read_together` does the same for the lookups a write needs
first: several SELECTs, one round trip.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections, models, router

# Values that these fields store as they are: ``get_db_prep_save`` would give them back unchanged
# (it is still called for every other value, and for every field of another kind).
_AS_IS = {
    "CharField": str,
    "TextField": str,
    "SlugField": str,
    "IntegerField": int,
    "BigIntegerField": int,
    "SmallIntegerField": int,
    "PositiveIntegerField": int,
    "PositiveSmallIntegerField": int,
    "PositiveBigIntegerField": int,
    "AutoField": int,
    "BigAutoField": int,
    "FloatField": float,
    "BooleanField": bool,
}


def _as_is(field: models.Field) -> type | None:
    target = field.target_field if field.is_relation else field
    kind = target.get_internal_type()
    if type(target) is not getattr(models, kind, None):
        return None  # a subclass (or a custom field) may prepare its values its own way
    return _AS_IS.get(kind)


@dataclass(frozen=True)
class Ref:
    """A foreign key that the database finds as the row is inserted: the primary key of the row
    of ``model`` whose unique ``field`` is ``value``. A row can so refer to a row inserted
    before it in the same batch, whose id the batch has not read back yet (a dialogue's
    participants to the dialogue, found by its visit)."""

    model: type[models.Model]
    field: str
    value: Any

    def sql(self, connection) -> tuple[str, Any]:
        field = self.model._meta.get_field(self.field)
        quote = connection.ops.quote_name
        table, pk = quote(self.model._meta.db_table), quote(self.model._meta.pk.column)
        mark = f"(SELECT {pk} FROM {table} WHERE {quote(field.column)} = %s)"  # noqa: S608
        return mark, field.get_db_prep_value(self.value, connection)


_STATEMENTS: dict = {}
MAX_PARAMETERS = 60_000  # PostgreSQL takes at most 65,535 parameters in one statement


@dataclass(frozen=True)
class _Statement:
    head: str  # INSERT INTO table (columns), and then the rows
    fields: tuple
    kinds: tuple  # what _as_is says of each field
    # On PostgreSQL, the row source giving one array for each column (UNNEST), when every
    # column's values can go in an array of its type; None otherwise.
    arrays: str | None
    documents: tuple = ()  # the columns (their indexes) given to it as one JSON text each
    # On SQLite, the rows as one statement (a VALUES list) rather than one execute each: for
    # a table with a full-text index (core/search.py: an FTS5 table, kept by a trigger). Inside
    # a transaction, FTS5 writes the terms it holds to its index at the end of every statement,
    # so a statement a row wrote one small segment of index a row: 50 visits took 3.5 ms
    # through executemany, 2.0 as one statement. A table without one is faster through
    # executemany (50 dialogues: 0.27 against 0.37 ms), which does not parse a long statement.
    together: bool = False


def _statement(model: type[models.Model], connection) -> _Statement:
    key = (model, connection.vendor)
    if key not in _STATEMENTS:
        _STATEMENTS[key] = _build_statement(model, connection)
    return _STATEMENTS[key]


def _build_statement(model: type[models.Model], connection) -> _Statement:
    quote = connection.ops.quote_name
    fields = tuple(
        field
        for field in model._meta.concrete_fields
        if not (field.primary_key and isinstance(field, models.AutoField))
        and not getattr(field, "generated", False)
    )
    columns = ", ".join(quote(field.column) for field in fields)
    table = quote(model._meta.db_table)
    kinds = tuple(_as_is(field) for field in fields)
    arrays, documents = None, ()
    if connection.vendor == "postgresql" and all(_in_array(f, connection) for f in fields):
        types = [cast_type(field, connection) for field in fields]
        documents = tuple(i for i, field in enumerate(fields) if type(field) is models.JSONField)
        casts = ", ".join(
            _DOCUMENT if i in documents else f"(%s)::{kind}[]"  # types of our own fields
            for i, kind in enumerate(types)
        )
        arrays = f"SELECT * FROM UNNEST({casts})"  # noqa: S608
    head = f"INSERT INTO {table} ({columns}) "  # noqa: S608
    together = connection.vendor == "sqlite" and bool(getattr(model, "search_columns", None))
    return _Statement(head, fields, kinds, arrays, documents, together)


def cast_type(field: models.Field, connection) -> str:
    """The type to cast a value of ``field`` to in SQL: its column's type without its size
    (varchar, not varchar(80)). A cast to varchar(80) would cut a longer text silently, where
    the column refuses it, as it refuses it from VALUES."""
    return field.db_type(connection).split("(")[0]


# The values of a JSONField's column, given as one JSON text rather than an array of jsonb:
# psycopg escapes an array's texts in Python, one match at a time, and a JSON text is full of
# quotes (an audit event's "after" cost 50 µs, 2.5 ms of a 50-visit outbox), where one text is
# escaped once, in C. Each value is the one item of a list of its own (``[value]``, a JSON null
# too), and SQL NULL is a bare JSON null.
_DOCUMENT = (
    "ARRAY(SELECT CASE WHEN jsonb_typeof(value) = 'array' THEN value -> 0 END"
    " FROM jsonb_array_elements((%s)::jsonb) WITH ORDINALITY ORDER BY ordinality)"
)


def _json_array(values: list) -> str:
    """The JSON text of a JSONField column's values as its ``get_db_prep_save`` gives them to
    psycopg: a ``Jsonb`` of the value and the field's ``dumps``, or None for SQL NULL."""
    texts = []
    for value in values:
        if value is None:
            texts.append("null")
        else:
            text = (value.dumps or json.dumps)(value.obj)
            texts.append(f"[{text if isinstance(text, str) else bytes(text).decode()}]")
    return "[" + ",".join(texts) + "]"


def _in_array(field: models.Field, connection) -> bool:
    """Whether a column's values can travel as one array of its type: a field of a built-in
    type (an array or a geometry cannot nest in an array), whose placeholder is the plain one
    for every value (the conditions of Django's own UNNEST inserts)."""
    target = field.target_field if field.is_relation else field
    return not hasattr(field, "get_placeholder") and (
        target.get_internal_type() in connection.data_types
    )


class Batch:
    """Writes sent together when the block ends: on PostgreSQL as one execute of all the
    statements (one round trip instead of one per statement; client-side binding, Django's
    default with psycopg 3, lets one execute hold several statements), on SQLite one after
    another (in-process, a statement costs no round trip).

    Held until then, the statements are built before the database is touched, so a batch can be
    filled before its transaction starts and sent inside it: on SQLite, whose transactions take
    the write lock when they begin, the lock is then held while the statements run, not while
    Python prepares their rows (benchmarks/suite.py, "single POST": the other writers wait on it).

    Use it as a context manager, sent inside the caller's transaction (``atomic``), or call
    :meth:`send` there: the statements run in the order they were added, and an error of any of
    them (a duplicate key) raises there and fails the transaction like the same statements sent
    one by one. When the block raises, nothing of it is sent.
    """

    def __init__(self, model: type[models.Model]):
        self.connection = connections[router.db_for_write(model)]
        # Server-side binding (an option of Django's PostgreSQL backend) prepares each execute
        # as one statement: then the statements go one by one, as on SQLite.
        self.joined = _sends_together(self.connection)
        # (sql, params, how): how is "one", "many" (params: a list of rows for executemany;
        # never when joined) or "lastrowid" (one row whose id the driver tells)
        self.pending: list[tuple[str, list, str]] = []
        self.saved: list[models.Model] = []  # marked as stored once their rows are sent
        # Pending statements whose rows are read: index -> what takes them (the ids of the
        # rows inserted, or what a query selected)
        self.readers: dict[int, Callable[[list[tuple]], None]] = {}
        self.callbacks: list[Callable[[], None]] = []

    def after_send(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once the statements are sent (in the caller's transaction: to
        arrange what must follow its commit, say)."""
        self.callbacks.append(callback)

    def __enter__(self) -> Batch:
        return self

    def __exit__(self, kind, error, trace) -> None:
        if kind is None:
            self.send()

    def execute(self, sql: str, params: list | tuple = ()) -> None:
        self.pending.append((sql, list(params), "one"))

    def query(
        self, sql: str, params: list | tuple = (), *, into: Selected | None = None
    ) -> Selected:
        """A SELECT (or a statement with RETURNING) sent with the batch (no round trip of its
        own on PostgreSQL): its rows are in the returned object's ``rows`` once the batch is
        sent, None until then. ``into``: the object to fill (a subclass that says more)."""
        selected = Selected() if into is None else into
        self.readers[len(self.pending)] = selected.take
        self.execute(sql, params)
        return selected

    def executemany(self, sql: str, rows: Iterable[list | tuple]) -> None:
        if self.joined:
            self.pending.extend((sql, list(row), "one") for row in rows)
        else:
            self.pending.append((sql, [list(row) for row in rows], "many"))

    def insert(
        self,
        model: type[models.Model],
        objects: Iterable[models.Model | dict],
        *,
        returning: bool = False,
    ) -> int:
        """INSERT ``objects`` of ``model`` with the batch; how many rows. A row that breaks a
        constraint (a duplicate primary key) raises IntegrityError as ``bulk_create`` would,
        when the batch is sent.

        An object is a model instance, or a dict of values by attribute name (``dialogue_id``)
        for a model whose fields need nothing from ``pre_save``: a link table, say, where
        building instances would cost more than the insert. A missing key takes the field's
        default. A value may be a :class:`Ref` (a foreign key found by the database): the same
        kind of Ref (model and field) in the same column of every row.

        With ``returning``, instances of a model with an automatic primary key get their ids
        once the batch is sent (they come back with the statements: no round trip of their
        own), so a later statement of the same batch can refer to them only through a
        :class:`Ref`.
        """
        objects = list(objects)
        if not objects:
            return 0
        if returning and not isinstance(model._meta.pk, models.AutoField):
            raise ValueError("returning gives back automatic primary keys only")
        connection = self.connection
        statement = _statement(model, connection)
        fields, kinds = statement.fields, statement.kinds
        sql = statement.head + "VALUES "
        rows = []
        marks = ["%s"] * len(fields)  # a Ref's column takes its subquery instead
        ref_columns: dict[int, str] | None = None  # the subquery of each such column
        for obj in objects:
            if isinstance(obj, dict):
                values = [
                    obj[field.attname] if field.attname in obj else field.get_default()
                    for field in fields
                ]
            else:
                values = [field.pre_save(obj, True) for field in fields]
            row, refs = [], {}
            for i, (field, kind, v) in enumerate(zip(fields, kinds, values, strict=True)):
                if isinstance(v, Ref):
                    refs[i], v = v.sql(connection)
                elif not (v is None or type(v) is kind):
                    v = field.get_db_prep_save(v, connection)
                row.append(v)
            if ref_columns is not None and refs != ref_columns:
                raise ValueError("A Ref must be of the same kind, in the same column of every row.")
            ref_columns = refs
            rows.append(row)
        for i, mark in (ref_columns or {}).items():
            marks[i] = mark
        row_marks = "(" + ", ".join(marks) + ")"
        pk = model._meta.pk
        tail = f" RETURNING {connection.ops.quote_name(pk.column)}" if returning else ""
        if connection.vendor == "sqlite" and not returning and statement.together:
            # As many rows a statement as its parameters allow (bulk_create's batches).
            size = max(1, connection.ops.bulk_batch_size(fields, rows))
            for start in range(0, len(rows), size):
                chunk = rows[start : start + size]
                values = ", ".join([row_marks] * len(chunk))
                self.execute(sql + values, [value for row in chunk for value in row])
        elif connection.vendor == "sqlite" and not returning:
            self.executemany(sql + row_marks, rows)  # one prepared statement, run for each row
        elif returning and not connection.features.can_return_columns_from_insert:
            for obj, row in zip(objects, rows, strict=True):  # SQLite before 3.35
                self.readers[len(self.pending)] = _ids_of([obj], pk)
                self.pending.append((sql + row_marks, row, "lastrowid"))
        elif statement.arrays and len(rows) > 1 and not ref_columns:
            # Over the network, one statement of many rows: a round trip and a plan for all of
            # them (executemany sends each row as a statement of its own, even when pipelined).
            # As one array for each column, it has as many parameters as columns whatever the
            # rows: psycopg finds each placeholder of a long statement in Python at every
            # execute (a VALUES list of 50 audit events has 700), and PostgreSQL plans it
            # faster. The rows come back in the arrays' order (Django's bulk_create does the
            # same and relies on it).
            if returning:
                self.readers[len(self.pending)] = _ids_of(objects, pk)
            columns = [list(column) for column in zip(*rows, strict=True)]
            for i in statement.documents:
                columns[i] = _json_array(columns[i])
            self.execute(statement.head + statement.arrays + tail, columns)
        else:
            # A single row, or a column found by a subquery (a Ref): a multi-row VALUES, as
            # many rows a statement as its parameters allow. Its rows come back in its order.
            limit = min(MAX_PARAMETERS, connection.features.max_query_params or MAX_PARAMETERS)
            per = max(1, limit // len(fields))
            for start in range(0, len(rows), per):
                chunk = rows[start : start + per]
                if returning:
                    self.readers[len(self.pending)] = _ids_of(objects[start : start + per], pk)
                self.execute(
                    sql + ", ".join([row_marks] * len(chunk)) + tail,
                    [value for row in chunk for value in row],
                )
        self.saved.extend(obj for obj in objects if not isinstance(obj, dict))
        return len(rows)

    def send(self) -> None:
        """Send what is pending (on PostgreSQL, one execute of the statements joined); the
        instances inserted are then marked as stored and have the ids they asked for."""
        pending, self.pending = self.pending, []
        readers, self.readers = self.readers, {}
        saved, self.saved = self.saved, []
        callbacks, self.callbacks = self.callbacks, []
        if pending:
            with self.connection.cursor() as cursor:
                if self.joined:
                    self._send_joined(cursor, pending, readers)
                else:
                    for index, (sql, params, how) in enumerate(pending):
                        if how == "many":
                            cursor.executemany(sql, params)
                        else:
                            cursor.execute(sql, params)
                        if how == "lastrowid":
                            readers[index]([(cursor.lastrowid,)])
                        elif index in readers:
                            readers[index](cursor.fetchall())
        # Only when every statement ran (an error leaves the batch empty, its objects unsaved).
        for obj in saved:  # as after save()
            obj._state.adding = False
            obj._state.db = self.connection.alias
        for callback in callbacks:
            callback()

    @staticmethod
    def _send_joined(cursor, pending: list, readers: dict) -> None:
        sql = ";\n".join(statement for statement, _params, _how in pending)
        cursor.execute(sql, [value for _sql, params, _how in pending for value in params])
        # One result per statement, in order: read those that give rows back.
        last = max(readers, default=-1)
        for index in range(last + 1):
            if index in readers:
                readers[index](cursor.fetchall())
            if index < last:
                cursor.nextset()


class Selected:
    """The rows of a :meth:`Batch.query`, once the batch is sent."""

    rows: list[tuple] | None = None

    def take(self, rows: list[tuple]) -> None:
        self.rows = rows


def _ids_of(objects: list[models.Model], pk: models.Field) -> Callable[[list[tuple]], None]:
    def take(rows: list[tuple]) -> None:
        for obj, (value,) in zip(objects, rows, strict=True):
            setattr(obj, pk.attname, value)

    return take


def _sends_together(connection) -> bool:
    """Whether one execute may hold several statements: PostgreSQL with client-side binding."""
    binding = connection.settings_dict.get("OPTIONS", {}).get("server_side_binding")
    return connection.vendor == "postgresql" and not binding


def _plain(queryset: models.QuerySet) -> bool:
    """A queryset of whole records and nothing more, which ``Model.from_db`` can build."""
    query = queryset.query
    return (
        queryset._iterable_class is models.query.ModelIterable
        and not queryset._prefetch_related_lookups
        and not query.select_related
        and not query.annotations
        and not query.extra
        and query.deferred_loading == (frozenset(), True)
    )


def read_together(*querysets: models.QuerySet) -> list[list[models.Model]]:
    """The records of each of ``querysets`` (of one database), in one round trip on PostgreSQL
    (the SELECTs sent in one execute, each result read in turn), for the lookups that a write
    needs before it can start. Anywhere else (SQLite has no round trips), or when a queryset
    asks for more than its model's own fields (``select_related``, annotations…) or needs a
    field converted, each is read as usual."""
    if not querysets:
        return []
    if len({queryset.db for queryset in querysets}) > 1:
        raise ValueError("read_together reads querysets of one database")
    connection = connections[querysets[0].db]
    if not _sends_together(connection) or not all(map(_plain, querysets)):
        return [list(queryset) for queryset in querysets]
    statements, params, shapes = [], [], []
    for queryset in querysets:
        compiler = queryset.query.get_compiler(using=queryset.db)
        try:
            sql, values = compiler.as_sql()
        except EmptyResultSet:  # a condition that selects nothing (an empty IN list)
            shapes.append(None)
            continue
        columns = [expression for expression, _sql, _alias in compiler.select]
        if compiler.get_converters(columns):
            return [list(queryset) for queryset in querysets]
        statements.append(sql)
        params.extend(values)
        shapes.append((queryset.model, [column.target.attname for column in columns]))
    results: list[list[models.Model]] = []
    with connection.cursor() as cursor:
        if statements:
            cursor.execute(";\n".join(statements), params)
        first = True
        for shape in shapes:
            if shape is None:
                results.append([])
                continue
            if not first:
                cursor.nextset()
            first = False
            model, names = shape
            results.append(
                [model.from_db(connection.alias, names, row) for row in cursor.fetchall()]
            )
    return results
