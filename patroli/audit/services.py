"""Writing the audit trail (``record``), checking its chain (``verify_chain``), pruning it.

Every event is chained to the one before it: its ``prev_hash`` is that event's ``hash``. The
number and hash of the last event live in one row (``ChainHead``) that each writer locks with
SELECT … FOR UPDATE inside its own transaction, so writers on several app servers take turns and
the chain cannot fork; SQLite serialises write transactions by itself. The event is written in
the caller's transaction: a rolled-back change leaves no event, a committed one always has one.
The lock is held until that transaction ends, so services record last, just before they return.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import uuid
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import connection, models, transaction
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from patroli.core.bulk import Batch, Selected, cast_type
from patroli.core.ratelimit import client_ip

from .middleware import current_request
from .models import GENESIS, AuditEvent, ChainHead, chain_text_parts

REDACTED = "[redacted]"
PERSONAL = "[personal data]"
# Never copied into the trail: password hashes, token and key hashes (any field so named).
SECRET_MARKERS = ("password", "key_hash", "secret")
# Personal data of residents: the trail cannot be edited, so it could never be erased from it
# (UU PDP); the trail says that such a field changed, not to what. See docs/audit.md.
PERSONAL_FIELDS = {
    "concerns.concern": {"reporter_name", "reporter_phone", "reporter_email"},
    "newsroom.comment": {"email", "ip", "website"},
}
_UNSET = object()


# Values ---------------------------------------------------------------------------------------


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON: records by their id, times in ISO 8601, sets sorted."""
    # The plain types by their exact type first: every write's event goes through here twice.
    kind = type(value)
    if kind is str:
        return value.replace("\x00", "")  # PostgreSQL's text refuses NUL
    if value is None or kind is int or kind is bool:
        return value
    if kind is dict:
        return {_key(key): jsonable(item) for key, item in value.items()}
    if kind is list:
        return [jsonable(item) for item in value]
    return _jsonable_other(value)


def _key(key) -> str:
    return str(key).replace("\x00", "")  # jsonb refuses NUL in keys too


def _jsonable_other(value: Any) -> Any:
    if isinstance(value, bool | int):
        return value
    if isinstance(value, str | Promise):
        return str(value).replace("\x00", "")  # PostgreSQL's text refuses NUL
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return jsonable(value.pk)
    if isinstance(value, FieldFile):
        return value.name or ""
    if isinstance(value, models.QuerySet | models.Manager):
        value = set(value.values_list("pk", flat=True))
    if isinstance(value, dict):
        return {_key(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, set | frozenset):
        return sorted((jsonable(item) for item in value), key=lambda item: (str(type(item)), item))
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    return str(value)


def snapshot(obj: models.Model, *names: str) -> dict:
    """The named fields of ``obj`` (foreign keys as ids), ready for ``before`` or ``after``."""
    values = {}
    for name in names:
        try:
            field = obj._meta.get_field(name)
        except FieldDoesNotExist:  # a property or a plain attribute
            field = None
        if field is not None and field.concrete and field.is_relation:
            values[name] = jsonable(getattr(obj, field.attname))  # the id, without a query
        else:
            values[name] = jsonable(getattr(obj, name))
    return values


def changes(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the keys whose values differ: (before, after)."""
    before, after = jsonable(before), jsonable(after)
    keys = [key for key in {**before, **after} if before.get(key) != after.get(key)]
    return {k: before[k] for k in keys if k in before}, {k: after[k] for k in keys if k in after}


def _text(value: str, limit: int) -> str:
    return value.replace("\x00", "")[:limit]


@lru_cache(maxsize=1024)
def _secret(key: str) -> bool:
    lowered = key.lower()
    return any(marker in lowered for marker in SECRET_MARKERS)


def _scrub(data, object_type: str) -> dict:
    data = jsonable(data or {})
    if not isinstance(data, dict):
        data = {"value": data}
    personal = PERSONAL_FIELDS.get(object_type, ())
    for key in data:
        if _secret(key):
            data[key] = REDACTED
        elif key in personal:
            data[key] = PERSONAL
    return data


def unit_id_of(obj) -> int | None:
    """The unit owning ``obj`` by the path its model declares for the access gate."""
    path = getattr(type(obj), "access_unit_field", None)
    if obj is None or isinstance(obj, type) or path is None:
        return None
    if path == "self":
        return obj.pk
    *hops, last = path.split("__")
    target = obj
    for hop in hops:
        target = getattr(target, hop, None)
        if target is None:
            return None
    return getattr(target, f"{last}_id", None)


# Writing --------------------------------------------------------------------------------------


def _locked_head() -> ChainHead:
    """The chain head, locked until the end of the transaction (created on first use)."""
    head = ChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        # A new database (or one whose tables a test emptied): continue after the last event.
        last = AuditEvent.objects.order_by("-id").only("id", "hash").first()
        ChainHead.objects.bulk_create(
            [ChainHead(pk=1, seq=last.id if last else 0, hash=last.hash if last else GENESIS)],
            ignore_conflicts=True,  # another server created it a moment ago
        )
        head = ChainHead.objects.select_for_update().get(pk=1)
    return head


def _head_sql(connection) -> str:
    """Lock and read the chain head (its number and hash)."""
    table = connection.ops.quote_name(ChainHead._meta.db_table)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    return f"SELECT seq, hash FROM {table} WHERE id = 1{lock}"  # noqa: S608


def lock_head(batch: Batch, events: list[AuditEvent] = ()) -> Selected:
    """Lock and read the chain head with ``batch``'s statements (no round trip of its own on
    PostgreSQL), for the next :func:`append` of the same transaction to start from (its
    ``head``), with the ``events`` it will be given. Take it last in the batch: the head is
    locked after the rows a writer locks first. Between the batch and that append, no other
    event may be recorded.

    One event on PostgreSQL (a single visit): the same statement also numbers, chains and
    inserts it, and moves the head (:func:`_chain_sql`), so the append finds it written. The
    head is then held from that statement to the commit with nothing sent and no Python run
    between them, and the write costs no round trip of its own."""
    if len(events) == 1 and batch.connection.vendor == "postgresql":
        (event,) = events
        chained = _Chained(event, batch.connection.alias)
        return batch.query(*_chain_sql(batch.connection, event), into=chained)
    return batch.query(_head_sql(batch.connection))


class _Chained(Selected):
    """The head locked by a statement that also wrote ``event``: its row (id, prev_hash, hash),
    or none when there was no head to lock (a new database: :func:`append` then creates
    the head and writes the event itself)."""

    def __init__(self, event: AuditEvent, alias: str):
        self.event, self.alias = event, alias


# The event's values that only the statement chaining it knows, as JSON writes them into the
# text it hashes (AuditEvent.hashed_fields): the number (a JSON number) and the previous hash
# (a JSON string, of hex digits).
_HOLES = {"id": False, "prev_hash": True}
_HOLE_SQL = {"id": "head.id::text", "prev_hash": "head.prev"}


def _chain_sql(connection, event: AuditEvent) -> tuple[str, list]:
    """One PostgreSQL statement that locks the chain head, inserts ``event`` after it (its
    number, the previous hash, and its hash: SHA-256 of the text that
    :meth:`AuditEvent.compute_hash` hashes, the number and previous hash filled in by the
    database), and moves the head; it returns the event's row. The event's time is now, by this
    server's clock, taken here, as the statement is built: a moment before the head is locked
    (:func:`append` takes it once the head is locked)."""
    event.time = timezone.now()
    fields, sql = _chain_statement(connection)
    parts = chain_text_parts(event.hashed_fields(), _HOLES)  # the holes' values unset yet
    values = [f.get_db_prep_save(getattr(event, f.attname), connection) for f in fields]
    return sql, [*parts, *values]


_CHAIN_STATEMENTS: dict[str, tuple[list, str]] = {}


def _chain_statement(connection) -> tuple[list, str]:
    """:func:`_chain_sql`'s statement, the same for every event (built once per database
    vendor), and the fields whose values it takes after the text's parts."""
    if connection.vendor in _CHAIN_STATEMENTS:
        return _CHAIN_STATEMENTS[connection.vendor]
    quote = connection.ops.quote_name
    fields = [f for f in AuditEvent._meta.concrete_fields if f.attname not in {*_HOLES, "hash"}]
    text = " || ".join(f"%s || {_HOLE_SQL[hole]}" for hole in sorted(_HOLES)) + " || %s"
    columns = ", ".join(quote(f.column) for f in fields)
    # Never cut to the column's size: the stored text would not be the hashed one.
    marks = ", ".join(f"%s::{cast_type(f, connection)}" for f in fields)
    head, table = quote(ChainHead._meta.db_table), quote(AuditEvent._meta.db_table)
    made = ", ".join(quote(name) for name in ("id", "prev_hash", "hash"))
    sql = (
        "WITH head AS (SELECT seq + 1 AS id, hash AS prev"  # noqa: S608
        f" FROM {head} WHERE id = 1 FOR UPDATE),"
        f" event AS (INSERT INTO {table} ({made}, {columns})"
        " SELECT head.id, head.prev,"
        f" encode(sha256(convert_to({text}, 'UTF8')), 'hex'), {marks} FROM head"
        f" RETURNING {made})"
        f" UPDATE {head} AS chain SET seq = event.id, hash = event.hash FROM event"
        f" WHERE chain.id = 1 RETURNING event.*"
    )
    _CHAIN_STATEMENTS[connection.vendor] = fields, sql
    return fields, sql


def record(
    actor,
    action: str,
    obj=None,
    *,
    before: dict | None = None,
    after: dict | None = None,
    request=None,
    unit=_UNSET,
    object_id: str | None = None,
    username: str = "",
    head: Selected | None = None,
) -> AuditEvent:
    """Append an event to the audit trail in the caller's transaction.

    ``obj`` is the record acted on (a model instance), or a model class for a batch (say which
    records in ``after``), or None. ``before`` and ``after`` hold only the fields that changed;
    secrets and residents' contact details are masked. ``unit`` defaults to the unit owning
    ``obj``; ``username`` names who tried when there is no actor (a failed login). The request
    defaults to the one being served. Costs three statements: lock the head, insert, update it
    (two when ``head`` was locked and read before, by :func:`lock_head`); on PostgreSQL, one
    that does all three (:func:`append`).
    """
    event = prepare(
        actor,
        action,
        obj,
        before=before,
        after=after,
        request=request,
        unit=unit,
        object_id=object_id,
        username=username,
    )
    append([event], head)
    return event


def record_many(
    actor,
    action: str,
    entries: Iterable[tuple[models.Model, dict]],
    *,
    request=None,
    head: Selected | None = None,
):
    """One event per ``(obj, after)`` of ``entries``, as :func:`record` would write them one by
    one, for the same three statements in all: a batch of records written together (a device's
    outbox) is not charged a locked chain head per record."""
    events = [prepare(actor, action, obj, after=after, request=request) for obj, after in entries]
    append(events, head)
    return events


def prepare(
    actor,
    action,
    obj=None,
    *,
    before=None,
    after=None,
    request=None,
    unit=_UNSET,
    object_id=None,
    username="",
) -> AuditEvent:
    """The event that :func:`record` would write (same arguments), neither chained nor stored:
    :func:`append` does both. A hot write builds its event before its transaction, so that the
    chain's head, locked from its statements to its commit, is held only while the event is
    chained and inserted (``benchmarks/audit_chain.py``)."""
    if isinstance(obj, type) and issubclass(obj, models.Model):
        object_type, default_id = obj._meta.label_lower, ""
    elif isinstance(obj, models.Model):
        object_type, default_id = obj._meta.label_lower, str(obj.pk)
    else:
        object_type, default_id = "", ""
    if not getattr(actor, "is_authenticated", False):
        actor = None
    if unit is _UNSET:
        unit_id = unit_id_of(obj)
    else:
        unit_id = unit.pk if isinstance(unit, models.Model) else unit
    request = request if request is not None else current_request()
    return AuditEvent(
        actor_id=actor.pk if actor else None,
        actor_username=_text(actor.get_username() if actor else username, 150),
        action=action,
        object_type=object_type,
        object_id=_text(default_id if object_id is None else str(object_id), 64),
        unit_id=unit_id,
        before=_scrub(before, object_type),
        after=_scrub(after, object_type),
        ip=_text(client_ip(request), 45) if request is not None else "",
        user_agent=_text(request.META.get("HTTP_USER_AGENT", ""), 200) if request else "",
    )


def append(events: list[AuditEvent], head: Selected | None = None) -> None:
    """Number, chain and insert ``events`` (from :func:`prepare`) in order after the locked
    head (read here, or before by :func:`lock_head`), in the caller's transaction.

    Three statements written by hand (lock and read the head, insert the events, move the head;
    the last two sent together): they run on every write of the application, and the ORM's
    compiling of them cost more than running them (benchmarks/suite.py, "single POST"). On
    PostgreSQL one event is written by one statement, which locks the head too (see
    :func:`lock_head`): the head is then held only from it to the commit.
    """
    if not events:
        return
    if head is None and len(events) == 1 and connection.vendor == "postgresql":
        head = _Chained(events[0], connection.alias)
        with connection.cursor() as cursor:
            cursor.execute(*_chain_sql(connection, events[0]))
            head.rows = cursor.fetchall()
    if isinstance(head, _Chained):
        if len(events) != 1 or events[0] is not head.event:
            raise ValueError("The head was locked to chain another event.")
        if head.rows:  # written by the statement that locked the head
            ((head.event.id, head.event.prev_hash, head.event.hash),) = head.rows
            head.event._state.adding, head.event._state.db = False, head.alias
            return
    # No savepoint: when the audit write fails, the change it records fails with it.
    with transaction.atomic(savepoint=False):
        if head is not None:
            if head.rows is None:
                raise ValueError("The head's batch was not sent.")
            row = head.rows[0] if head.rows else None
        else:
            with connection.cursor() as cursor:
                cursor.execute(_head_sql(connection))
                row = cursor.fetchone()
        if row is None:
            created = _locked_head()  # on first use
            row = created.seq, created.hash
        seq, previous = row
        now = timezone.now()
        for event in events:
            seq += 1
            event.id, event.time, event.prev_hash = seq, now, previous
            event.hash = previous = event.compute_hash()
        table = connection.ops.quote_name(ChainHead._meta.db_table)
        with Batch(AuditEvent) as batch:  # one round trip on PostgreSQL
            batch.insert(AuditEvent, events)
            batch.execute(
                f"UPDATE {table} SET seq = %s, hash = %s WHERE id = 1",  # noqa: S608
                [seq, previous],
            )


# Verifying ------------------------------------------------------------------------------------

PROBLEMS = {
    "gap": _("a gap: %(missing)s"),
    "prev_hash": _(
        "prev_hash mismatch: it does not follow event %(previous)d (that event was changed or "
        "removed, or the chain was cut here)"
    ),
    "hash": _("hash mismatch: its stored fields do not give its hash (it was changed)"),
    "checkpoint": _("it lies before the checkpoint (event %(checkpoint)d) and should be gone"),
    "tail": _("the chain ends at event %(last)d but its head says %(head)d: the newest are gone"),
    "head_hash": _("the hash of the last event differs from the chain head's"),
    "head_missing": _("the chain head is missing"),
}


@dataclass
class Verification:
    count: int = 0
    problem: str = ""  # a key of PROBLEMS; empty when the chain holds
    details: dict | None = None
    event_id: int | None = None
    event_time: dt.datetime | None = None
    head_seq: int = 0
    head_hash: str = GENESIS
    checkpoint_seq: int = 0
    checkpoint_time: dt.datetime | None = None

    @property
    def ok(self) -> bool:
        return not self.problem

    def describe_problem(self) -> str:
        return str(PROBLEMS[self.problem]) % (self.details or {}) if self.problem else ""

    def summary(self) -> str:
        """ "OK, N events", or where the chain breaks (in the active language)."""
        if self.ok:
            return ngettext("OK, %(count)d event", "OK, %(count)d events", self.count) % {
                "count": self.count
            }
        if self.event_id is None:
            return str(_("BROKEN: %(problem)s")) % {"problem": self.describe_problem()}
        return str(_("BROKEN at event %(id)d (%(time)s): %(problem)s")) % {
            "id": self.event_id,
            "time": timezone.localtime(self.event_time).isoformat(timespec="seconds"),
            "problem": self.describe_problem(),
        }


def _missing(first: int, last: int) -> str:
    if first == last:
        return str(_("event %(first)d is missing before it")) % {"first": first}
    return str(_("events %(first)d to %(last)d are missing before it")) % {
        "first": first,
        "last": last,
    }


@contextmanager
def _one_snapshot():
    """On PostgreSQL, read the head and every event in one snapshot, so that a prune or a write
    committing meanwhile cannot look like a break."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


def verify_chain(chunk_size: int = 2000) -> Verification:
    """Recompute the chain from its start (the checkpoint after pruning), streaming the events
    in constant memory; stop at the first broken link."""
    with _one_snapshot():
        head = ChainHead.objects.filter(pk=1).first()
        result = Verification()
        events = AuditEvent.objects.order_by("id")
        if head is None:
            first = events.first()
            if first is not None:
                result.problem = "head_missing"
            return result
        result.head_seq, result.head_hash = head.seq, head.hash
        result.checkpoint_seq, result.checkpoint_time = head.checkpoint_seq, head.checkpoint_time
        expected, prev = head.checkpoint_seq + 1, head.checkpoint_hash
        # Events written after the head was read are checked next time.
        for event in events.filter(id__lte=head.seq).iterator(chunk_size=chunk_size):
            problem, details = "", {}
            if event.id < expected:
                problem, details = "checkpoint", {"checkpoint": head.checkpoint_seq}
            elif event.id > expected:
                problem, details = "gap", {"missing": _missing(expected, event.id - 1)}
            elif event.prev_hash != prev:
                problem, details = "prev_hash", {"previous": event.id - 1}
            elif event.compute_hash() != event.hash:
                problem = "hash"
            if problem:
                result.problem, result.details = problem, details
                result.event_id, result.event_time = event.id, event.time
                return result
            prev, expected = event.hash, expected + 1
            result.count += 1
        if expected - 1 != head.seq:
            result.problem, result.details = "tail", {"last": expected - 1, "head": head.seq}
        elif prev != head.hash:
            result.problem = "head_hash"
        return result


def event_hash(event_id: int) -> str | None:
    """The hash of event ``event_id`` (the checkpoint's when it was the last pruned), None when
    pruned or unknown: to compare with a head exported earlier."""
    head = ChainHead.objects.filter(pk=1).first()
    if head is not None and head.checkpoint_seq == event_id:
        return head.checkpoint_hash
    return AuditEvent.objects.filter(pk=event_id).values_list("hash", flat=True).first()


# Pruning --------------------------------------------------------------------------------------


class ChainBroken(Exception):
    """Pruning stopped at a broken link: deleting it would hide the break."""


@dataclass
class Pruned:
    deleted: int = 0
    through: int | None = None  # the new checkpoint


def prune(
    *, days: int | None = None, now: dt.datetime | None = None, batch: int = 10_000
) -> Pruned:
    """Delete the events older than ``days`` (PATROLI_AUDIT_RETENTION_DAYS; 0 keeps all).

    Each batch is checked before it goes, and its last event becomes the checkpoint from which
    verification starts; the batch's deletion is itself recorded ("audit.prune")."""
    days = settings.PATROLI_AUDIT_RETENTION_DAYS if days is None else days
    result = Pruned()
    if days <= 0:
        return result
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    while True:
        with transaction.atomic():
            head = _locked_head()
            events = list(
                AuditEvent.objects.filter(id__gt=head.checkpoint_seq, id__lte=head.seq).order_by(
                    "id"
                )[:batch]
            )
            last = _prunable(events, head, cutoff)
            if last is None:
                return result
            deleted = AuditEvent.objects.filter(
                id__gt=head.checkpoint_seq, id__lte=last.id
            ).delete()[0]
            ChainHead.objects.filter(pk=1).update(
                checkpoint_seq=last.id, checkpoint_hash=last.hash, checkpoint_time=last.time
            )
            record(
                None,
                "audit.prune",
                AuditEvent,
                after={"through": last.id, "deleted": deleted, "retention_days": days},
            )
        result.deleted += deleted
        result.through = last.id
        if last is not events[-1] or len(events) < batch:
            return result


def _prunable(events: Iterable[AuditEvent], head: ChainHead, cutoff) -> AuditEvent | None:
    """The last of the leading ``events`` older than ``cutoff``; ChainBroken when one of them
    does not verify."""
    last, expected, prev = None, head.checkpoint_seq + 1, head.checkpoint_hash
    for event in events:
        if event.time >= cutoff:
            break
        if event.id != expected or event.prev_hash != prev or event.compute_hash() != event.hash:
            raise ChainBroken(
                f"event {event.id} does not verify; run verify-audit. Nothing older was pruned."
            )
        last, expected, prev = event, expected + 1, event.hash
    return last
