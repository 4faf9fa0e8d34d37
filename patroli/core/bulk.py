"""Inserting many rows at once, for the hot write paths (a synced outbox).

``QuerySet.bulk_create`` compiles SQL with a placeholder and an adapted value per field per row
and spends most of a synced batch's time doing it (benchmarks/suite.py, "sync ingest"). Here the
statement is built once per model: SQLite runs it for each row (``executemany``, in-process),
PostgreSQL gets one multi-row INSERT (one round trip for the batch); the values still go
through each field's ``pre_save`` and ``get_db_prep_save``, so they are stored exactly as the
ORM would store them (auto_now_add times, UUIDs on SQLite, JSON). The rows need no ids back:
for models with an automatic primary key the caller reads them when it needs them.
"""

from __future__ import annotations

from collections.abc import Iterable

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


_STATEMENTS: dict = {}
MAX_PARAMETERS = 60_000  # PostgreSQL takes at most 65,535 parameters in one statement


def _statement(model: type[models.Model], connection) -> tuple[str, tuple, tuple]:
    key = (model, connection.vendor)
    if key not in _STATEMENTS:
        _STATEMENTS[key] = _build_statement(model, connection.ops.quote_name)
    return _STATEMENTS[key]


def _build_statement(model: type[models.Model], quote) -> tuple[str, tuple, tuple]:
    fields = tuple(
        field
        for field in model._meta.concrete_fields
        if not (field.primary_key and isinstance(field, models.AutoField))
        and not getattr(field, "generated", False)
    )
    columns = ", ".join(quote(field.column) for field in fields)
    table = quote(model._meta.db_table)
    kinds = tuple(_as_is(field) for field in fields)
    return f"INSERT INTO {table} ({columns}) VALUES ", fields, kinds  # noqa: S608


def insert_rows(model: type[models.Model], objects: Iterable[models.Model | dict]) -> int:
    """INSERT ``objects`` of ``model`` in the current transaction; how many. A row that breaks a
    constraint (a duplicate primary key) raises IntegrityError as ``bulk_create`` would.

    An object is a model instance, or a dict of values by attribute name (``dialogue_id``) for
    a model whose fields need nothing from ``pre_save``: a link table, say, where building
    instances would cost more than the insert. A missing key takes the field's default.
    """
    objects = list(objects)
    if not objects:
        return 0
    connection = connections[router.db_for_write(model)]
    sql, fields, kinds = _statement(model, connection)
    rows = []
    for obj in objects:
        if isinstance(obj, dict):
            values = [
                obj[field.attname] if field.attname in obj else field.get_default()
                for field in fields
            ]
        else:
            values = [field.pre_save(obj, True) for field in fields]
        rows.append(
            [
                v if v is None or type(v) is kind else field.get_db_prep_save(v, connection)
                for field, kind, v in zip(fields, kinds, values, strict=True)
            ]
        )
    row_marks = "(" + ", ".join(["%s"] * len(fields)) + ")"
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":  # in-process: one prepared statement, no round trips
            cursor.executemany(sql + row_marks, rows)
        else:
            # Over the network, one statement of many rows: a round trip and a plan for all of
            # them (executemany sends each row as a statement of its own, even when pipelined).
            per = max(1, MAX_PARAMETERS // len(fields))
            for start in range(0, len(rows), per):
                chunk = rows[start : start + per]
                cursor.execute(
                    sql + ", ".join([row_marks] * len(chunk)),
                    [value for row in chunk for value in row],
                )
    for obj in objects:
        if not isinstance(obj, dict):  # stored now, as after save()
            obj._state.adding = False
            obj._state.db = connection.alias
    return len(rows)
