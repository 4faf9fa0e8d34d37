"""E-mail about concerns: sent after the commit, in Indonesian, only to whom it concerns."""

from datetime import datetime
from io import StringIO
from unittest.mock import patch
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import translation

from patroli.concerns.models import Category, Concern
from patroli.concerns.services import TransitionRefused, move_concern, open_concern
from patroli.regions.models import Region

pytestmark = pytest.mark.django_db

WITA = ZoneInfo("Asia/Makassar")
BASE = "http://127.0.0.1:8000"
Status = Concern.Status
REPORTER = "warga@example.id"
UNIT_MAIL = "polsek.sepaku@polri.example"


@pytest.fixture
def mail(world, mailoutbox, settings):
    settings.PATROLI_BASE_URL = BASE
    world.sepaku.email = UNIT_MAIL
    world.sepaku.save()
    return mailoutbox


def report(source=Concern.Source.WEB, village="64.09.04.2004", **fields):
    return open_concern(
        source=source,
        category=Category.objects.get(code=fields.pop("category", "politik-uang")),
        description=fields.pop("description", "Ada pembagian amplop di RT 05 semalam."),
        village=Region.objects.get(code=village),
        **fields,
    )


def to(mailbox, address):
    return [m for m in mailbox if address in m.to]


def test_web_report_mails_the_reporter_and_the_unit(mail, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        concern = report(reporter_email=REPORTER, reporter_name="Siti")

    assert len(mail) == 2
    [receipt] = to(mail, REPORTER)
    assert receipt.to == [REPORTER]
    code = concern.display_code
    assert code[4] == "-" and len(code) == 9
    assert code in receipt.subject
    assert code in receipt.body
    assert f"{BASE}/lapor/{concern.tracking_code}/" in receipt.body
    assert concern.description not in receipt.body

    [for_unit] = to(mail, UNIT_MAIL)
    assert for_unit.to == [UNIT_MAIL]
    assert code in for_unit.subject and "Politik uang" in for_unit.subject
    assert concern.description in for_unit.body
    assert BASE + reverse("concerns:detail", args=[concern.pk]) in for_unit.body
    assert "Desa/Kelurahan: Bumi Harapan" in for_unit.body
    assert "formulir web" in for_unit.body
    assert REPORTER not in for_unit.to


def test_nothing_is_sent_before_the_commit(mail, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        report(reporter_email=REPORTER)
    assert mail == []
    assert len(callbacks) == 3  # two e-mails and the risk refresh
    for callback in callbacks:
        callback()
    assert len(mail) == 2


def test_patrol_concern_mails_only_the_unit(mail, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report(source=Concern.Source.PATROL, reporter_email=REPORTER)
    assert [m.to for m in mail] == [[UNIT_MAIL]]
    assert "patroli" in mail[0].body


def test_a_unit_without_address_gets_nothing(mail, world, django_capture_on_commit_callbacks):
    world.sepaku.email = ""
    world.sepaku.save()
    with django_capture_on_commit_callbacks(execute=True):
        report(source=Concern.Source.PATROL, reporter_email=REPORTER)
    assert mail == []


def test_the_unit_responsible_is_mailed(mail, world, django_capture_on_commit_callbacks):
    world.penajam.email = "polsek.penajam@polri.example"
    world.penajam.save()
    with django_capture_on_commit_callbacks(execute=True):
        report(source=Concern.Source.PATROL, village="64.09.01.1003")
    assert [m.to for m in mail] == [["polsek.penajam@polri.example"]]


def test_public_transition_mails_the_reporter_the_note(
    mail, world, django_capture_on_commit_callbacks
):
    concern = report(reporter_email=REPORTER)  # its own mails stay uncommitted
    with django_capture_on_commit_callbacks(execute=True):
        move_concern(
            concern=concern,
            actor=world.kapolsek,
            to_status=Status.VERIFIED,
            note="Petugas akan mendatangi lokasi besok pagi.",
        )
    assert len(mail) == 1
    [message] = mail
    assert message.to == [REPORTER]
    assert concern.display_code in message.subject
    assert "terverifikasi" in message.subject  # the status in Indonesian
    assert "Petugas akan mendatangi lokasi besok pagi." in message.body
    assert f"{BASE}/lapor/{concern.tracking_code}/" in message.body


def test_internal_transition_mails_nobody(mail, world, django_capture_on_commit_callbacks):
    concern = report(reporter_email=REPORTER)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        move_concern(
            concern=concern,
            actor=world.kapolsek,
            to_status=Status.VERIFIED,
            note="Pelapor tetangga terlapor; hati-hati.",
            public=False,
        )
    # Only the risk refresh runs after the commit: no e-mail is queued.
    assert [c.__qualname__ for c in callbacks] == ["refresh_on_commit.<locals>.run"]
    assert mail == []


def test_public_transition_without_reporter_address(
    mail, world, django_capture_on_commit_callbacks
):
    concern = report()
    with django_capture_on_commit_callbacks(execute=True):
        move_concern(concern=concern, actor=world.kapolsek, to_status=Status.REJECTED)
    assert mail == []


def test_rolled_back_work_sends_nothing(mail, world, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        concern = report(reporter_email=REPORTER)
        move_concern(concern=concern, actor=world.kapolsek, to_status=Status.VERIFIED, note="Cek")
        raise RuntimeError("something failed after the writes")
    assert callbacks == []
    assert mail == []
    assert not Concern.objects.exists()

    # The same work, committed, does send: the silence above came from the rollback.
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        concern = report(reporter_email=REPORTER)
        move_concern(concern=concern, actor=world.kapolsek, to_status=Status.VERIFIED, note="Cek")
    assert len(mail) == 3


def test_a_refused_move_sends_nothing(mail, world, django_capture_on_commit_callbacks):
    concern = report(reporter_email=REPORTER)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(TransitionRefused):
        move_concern(concern=concern, actor=world.kapolsek, to_status=Status.CLOSED)
    assert mail == []


def test_mails_are_in_indonesian_whatever_the_active_language(
    mail, world, django_capture_on_commit_callbacks
):
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        concern = report(reporter_email=REPORTER)
        move_concern(concern=concern, actor=world.kapolsek, to_status=Status.VERIFIED)
        move_concern(concern=concern, actor=world.kapolsek, to_status=Status.RESOLVED)
    [for_unit] = to(mail, UNIT_MAIL)
    assert "Desa/Kelurahan:" in for_unit.body and "formulir web" in for_unit.body
    [_received, verified, resolved] = to(mail, REPORTER)
    assert "terverifikasi" in verified.subject
    assert "selesai ditangani" in resolved.subject


# Overdue alerts -----------------------------------------------------------------------------


def at(moment):
    return patch("django.utils.timezone.now", return_value=moment)


@pytest.fixture
def overdue_world(mail, world):
    """Sepaku: two overdue, one resolved, one not yet due. Penajam: one overdue."""
    world.penajam.email = "polsek.penajam@polri.example"
    world.penajam.save()
    world.kapolsek.email = "kasiyono@polri.example"
    world.kapolsek.save()
    world.officer.email = "rahmat@polri.example"  # an officer, not a commander
    world.officer.save()
    world.commander.email = "kapolres@polri.example"  # commands the Polres above, not Sepaku
    world.commander.save()
    friday = datetime(2024, 1, 5, 10, 0, tzinfo=WITA)
    with at(friday):  # due Wednesday 10 January, 10.00
        late = report(source=Concern.Source.PATROL, description="Spanduk provokatif.")
        later = report(source=Concern.Source.PATROL, category="hoaks")
        done = report(source=Concern.Source.PATROL, category="intimidasi")
        other = report(source=Concern.Source.PATROL, village="64.09.01.1003")
    with at(datetime(2024, 1, 8, 9, 0, tzinfo=WITA)):
        move_concern(concern=later, actor=world.kapolsek, to_status=Status.VERIFIED)
        move_concern(concern=done, actor=world.kapolsek, to_status=Status.VERIFIED)
        move_concern(concern=done, actor=world.kapolsek, to_status=Status.RESOLVED)
    # `later` is due Monday 15 January.
    with at(datetime(2024, 1, 10, 12, 0, tzinfo=WITA)):
        fresh = report(source=Concern.Source.PATROL, category="kriminalitas")
    mail.clear()
    return dict(late=late, later=later, done=done, other=other, fresh=fresh)


def run_alerts(moment, django_capture_on_commit_callbacks):
    out = StringIO()
    with at(moment), django_capture_on_commit_callbacks(execute=True):
        call_command("send_overdue_alerts", stdout=out)
    return out.getvalue()


def test_overdue_alerts_go_to_each_unit_and_its_commanders(
    overdue_world, mail, django_capture_on_commit_callbacks
):
    c = overdue_world
    output = run_alerts(
        datetime(2024, 1, 11, 7, 0, tzinfo=WITA), django_capture_on_commit_callbacks
    )

    assert "2 overdue concerns in 2 units" in output
    assert len(mail) == 2
    [sepaku] = to(mail, UNIT_MAIL)
    assert sorted(sepaku.to) == ["kasiyono@polri.example", UNIT_MAIL]
    assert "Polsek Sepaku" in sepaku.subject
    assert c["late"].display_code in sepaku.body
    for absent in ("later", "done", "fresh", "other"):
        assert c[absent].display_code not in sepaku.body, absent
    assert "batas waktu" in sepaku.body  # "due" in Indonesian

    [penajam] = to(mail, "polsek.penajam@polri.example")
    assert penajam.to == ["polsek.penajam@polri.example"]
    assert c["other"].display_code in penajam.body
    assert c["late"].display_code not in penajam.body


def test_overdue_alerts_list_every_overdue_concern_of_the_unit(
    overdue_world, mail, django_capture_on_commit_callbacks
):
    c = overdue_world
    # Tuesday 16 January: `later` (due Mon 15) and `fresh` (due Mon 15) are late too.
    output = run_alerts(
        datetime(2024, 1, 16, 7, 0, tzinfo=WITA), django_capture_on_commit_callbacks
    )
    assert "4 overdue concerns in 2 units" in output
    [sepaku] = to(mail, UNIT_MAIL)
    for name in ("late", "later", "fresh"):
        assert c[name].display_code in sepaku.body, name
    assert c["done"].display_code not in sepaku.body
    assert "3" in sepaku.subject


def test_inactive_commanders_are_not_mailed(
    overdue_world, world, mail, django_capture_on_commit_callbacks
):
    world.kapolsek.is_active = False
    world.kapolsek.save()
    run_alerts(datetime(2024, 1, 11, 7, 0, tzinfo=WITA), django_capture_on_commit_callbacks)
    [sepaku] = to(mail, UNIT_MAIL)
    assert sepaku.to == [UNIT_MAIL]


def test_no_alert_when_nothing_is_overdue(overdue_world, mail, django_capture_on_commit_callbacks):
    output = run_alerts(
        datetime(2024, 1, 10, 9, 0, tzinfo=WITA), django_capture_on_commit_callbacks
    )
    assert "0 overdue concerns in 0 units" in output
    assert mail == []
