"""`patroli prune-audit`: events older than PATROLI_AUDIT_RETENTION_DAYS go, the chain still
verifies from the checkpoint they leave, and a broken link is never pruned away."""

from datetime import datetime
from io import StringIO
from unittest.mock import patch
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from patroli.audit import services as audit
from patroli.audit.models import AuditEvent, ChainHead
from patroli.sites.models import Site

pytestmark = pytest.mark.django_db
WITA = ZoneInfo("Asia/Makassar")
TODAY = datetime(2024, 1, 23, 10, 0, tzinfo=WITA)


def at(moment):
    return patch("django.utils.timezone.now", return_value=moment)


def write_at(moment, count: int) -> None:
    with at(moment):
        for n in range(count):
            audit.record(None, "site.import", Site, after={"n": n})


@pytest.fixture
def history():
    """Three events of 2018, two of mid-2023, two of today: ids 1-3, 4-5, 6-7."""
    write_at(datetime(2018, 12, 1, 9, 0, tzinfo=WITA), 3)
    write_at(datetime(2023, 6, 1, 9, 0, tzinfo=WITA), 2)
    write_at(TODAY, 2)


def prune_command(**options) -> str:
    out = StringIO()
    with at(TODAY):
        call_command("prune_audit", stdout=out, stderr=out, **options)
    return out.getvalue()


def test_prunes_what_is_older_than_the_retention_and_still_verifies(history, settings):
    assert settings.PATROLI_AUDIT_RETENTION_DAYS == 1825  # five years by default
    output = prune_command()
    assert output == "3 audit events older than 1825 days deleted; checkpoint at event 3.\n"
    assert list(AuditEvent.objects.order_by("id").values_list("id", flat=True)) == [4, 5, 6, 7, 8]
    head = ChainHead.objects.get()
    assert head.checkpoint_seq == 3 and head.checkpoint_time.year == 2018
    pruned = AuditEvent.objects.get(pk=8)
    assert pruned.action == "audit.prune"
    assert pruned.after == {"through": 3, "deleted": 3, "retention_days": 1825}
    result = audit.verify_chain()
    assert result.ok and result.count == 5 and result.checkpoint_seq == 3
    # Nothing more is old enough: nothing deleted, nothing recorded.
    assert prune_command() == "No audit events older than 1825 days.\n"
    assert AuditEvent.objects.count() == 5


def test_verification_after_pruning_still_names_a_change(history):
    prune_command(days=100)  # mid-2023 goes too
    assert ChainHead.objects.get().checkpoint_seq == 5
    AuditEvent.objects.filter(pk=6).update(after={"n": 42})
    result = audit.verify_chain()
    assert (result.event_id, result.problem) == (6, "hash")
    AuditEvent.objects.filter(pk=6).delete()
    assert (audit.verify_chain().event_id, audit.verify_chain().problem) == (7, "gap")


def test_zero_keeps_everything(history, settings):
    settings.PATROLI_AUDIT_RETENTION_DAYS = 0
    assert prune_command() == "Retention is 0: audit events are kept forever.\n"
    assert AuditEvent.objects.count() == 7


def test_a_broken_link_is_never_pruned_away(history):
    AuditEvent.objects.filter(pk=2).update(after={"n": 99})
    out = StringIO()
    with at(TODAY), pytest.raises(SystemExit) as stopped:
        call_command("prune_audit", stdout=out, stderr=out)
    assert stopped.value.code == 1
    assert "event 2 does not verify" in out.getvalue()
    assert AuditEvent.objects.count() == 7  # the whole batch stayed
    assert ChainHead.objects.get().checkpoint_seq == 0
    assert audit.verify_chain().event_id == 2


def test_prunes_in_batches_each_with_its_checkpoint(history):
    with at(TODAY):
        result = audit.prune(days=100, batch=2)
    assert (result.deleted, result.through) == (5, 5)
    # Three batches (2 + 2 + 1 events), each recorded as it was committed.
    batches = AuditEvent.objects.filter(action="audit.prune").order_by("id")
    assert list(batches.values_list("after__through", flat=True)) == [2, 4, 5]
    assert audit.verify_chain().ok


def test_the_checkpoint_is_the_hash_of_the_last_pruned_event(history):
    last_pruned = AuditEvent.objects.values_list("hash", flat=True).get(pk=3)
    prune_command()
    head = ChainHead.objects.get()
    assert (head.checkpoint_seq, head.checkpoint_hash) == (3, last_pruned)
    assert AuditEvent.objects.get(pk=4).prev_hash == last_pruned
    # A head exported before the pruning is still checked against the checkpoint.
    out = StringIO()
    call_command("verify_audit", "--expect-head", f"3:{last_pruned}", stdout=out)
    assert out.getvalue() == "OK, 5 events\n"
