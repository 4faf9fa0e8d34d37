"""Two app servers writing at once keep one unbroken chain: the head row is locked."""

import threading
import time

import pytest
from django.db import connection, transaction

from patroli.audit import services as audit
from patroli.audit.models import AuditEvent
from patroli.core.bulk import Batch
from patroli.sites.models import Site


def record_alone(name: str, n: int) -> None:
    """As a staff write records one event (on PostgreSQL, chained by the statement that locks
    the head)."""
    audit.record(None, "site.import", Site, after={"writer": name, "n": n})


def record_with_batch(name: str, n: int) -> None:
    """As a single visit records: the event chained by the statement that locks the head, sent
    with the visit's own statements (audit.lock_head)."""
    event = audit.prepare(None, "site.import", Site, after={"writer": name, "n": n})
    batch = Batch(AuditEvent)
    head = audit.lock_head(batch, [event])
    batch.send()
    audit.append([event], head)


def record_in_python(name: str, n: int) -> None:
    """As a sync records its events: the head locked and read, then the events (two here, the
    second one unnamed) chained in Python and inserted."""
    audit.record_many(
        None,
        "site.import",
        [(Site, {"writer": name, "n": n}), (Site, {"writer": "", "n": n})],
    )


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite runs one write transaction at a time: there is no race to test",
)
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "writes",
    [(record_alone, record_alone), (record_with_batch, record_in_python)],
    ids=["alone", "in a batch and in Python"],
)
def test_two_writers_at_once_form_one_chain(writes):
    start = threading.Barrier(2)
    errors = []

    def server(name: str, write) -> None:
        try:
            start.wait()
            for n in range(10):
                with transaction.atomic():
                    write(name, n)
                    time.sleep(0.002)  # the rest of the staff write, with the head locked
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=server, args=(name, write))
        for name, write in zip(("app1", "app2"), writes, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors
    count = AuditEvent.objects.count()
    result = audit.verify_chain()
    assert result.ok and result.count == count
    assert list(AuditEvent.objects.order_by("id").values_list("id", flat=True)) == list(
        range(1, count + 1)
    )
    writers = AuditEvent.objects.exclude(after__writer="").values_list("after__writer", flat=True)
    assert sorted(writers) == ["app1"] * 10 + ["app2"] * 10
