"""Two app servers writing at once keep one unbroken chain: the head row is locked."""

import threading
import time

import pytest
from django.db import connection, transaction

from patroli.audit import services as audit
from patroli.audit.models import AuditEvent
from patroli.sites.models import Site


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite runs one write transaction at a time: there is no race to test",
)
@pytest.mark.django_db(transaction=True)
def test_two_writers_at_once_form_one_chain():
    start = threading.Barrier(2)
    errors = []

    def server(name: str) -> None:
        try:
            start.wait()
            for n in range(10):
                with transaction.atomic():
                    audit.record(None, "site.import", Site, after={"writer": name, "n": n})
                    time.sleep(0.002)  # the rest of the staff write, with the head locked
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=server, args=(name,)) for name in ("app1", "app2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors
    result = audit.verify_chain()
    assert result.ok and result.count == 20
    writers = list(AuditEvent.objects.order_by("id").values_list("after__writer", flat=True))
    assert sorted(writers) == ["app1"] * 10 + ["app2"] * 10
    assert list(AuditEvent.objects.order_by("id").values_list("id", flat=True)) == list(
        range(1, 21)
    )
