"""Deadlines in working days (SP4N-LAPOR!): 3 to verify, then 5 to respond; overdue concerns."""

from datetime import date, datetime
from unittest.mock import patch
from zoneinfo import ZoneInfo

import pytest

from patroli.concerns.models import Category, Concern
from patroli.concerns.services import move_concern, open_concern
from patroli.core.models import Holiday
from patroli.core.workdays import add_working_days
from patroli.regions.models import Region

pytestmark = pytest.mark.django_db

WITA = ZoneInfo("Asia/Makassar")
Status = Concern.Status


def wita(*args):
    return datetime(*args, tzinfo=WITA)


def frozen(moment):
    return patch("django.utils.timezone.now", return_value=moment)


def received_at(moment, world, category="hoaks", **fields):
    with frozen(moment):
        return open_concern(
            source=Concern.Source.WEB,
            category=Category.objects.get(code=category),
            description="Ada pembagian uang menjelang pemungutan suara.",
            village=Region.objects.get(code=fields.pop("village", "64.09.04.2004")),
            **fields,
        )


def move_at(moment, concern, world, to_status, **extra):
    with frozen(moment):
        move_concern(concern=concern, actor=world.kapolsek, to_status=to_status, **extra)
    concern.refresh_from_db()
    return concern


def test_the_seeded_holidays_used_below_exist():
    seeded = set(Holiday.objects.values_list("date", flat=True))
    assert {date(2024, 2, 8), date(2024, 2, 10), date(2024, 2, 14)} <= seeded
    assert not {date(2024, 1, d) for d in range(2, 20)} & seeded


@pytest.mark.parametrize(
    ("received", "due"),
    [
        # Friday: Mon 8 = 1, Tue 9 = 2, Wed 10 = 3.
        (wita(2024, 1, 5, 10, 0), wita(2024, 1, 10, 10, 0)),
        # Saturday and Sunday: Monday is the first working day, so also Wednesday.
        (wita(2024, 1, 6, 10, 0), wita(2024, 1, 10, 10, 0)),
        (wita(2024, 1, 7, 23, 30), wita(2024, 1, 10, 23, 30)),
        # Monday: Tue 9, Wed 10, Thu 11.
        (wita(2024, 1, 8, 7, 15), wita(2024, 1, 11, 7, 15)),
        # Wednesday before Isra Mikraj (Thu 8 Feb): Fri 9, Mon 12, Tue 13.
        (wita(2024, 2, 7, 10, 0), wita(2024, 2, 13, 10, 0)),
        # Friday 9 Feb: Mon 12, Tue 13, (Wed 14 election day), Thu 15.
        (wita(2024, 2, 9, 10, 0), wita(2024, 2, 15, 10, 0)),
        # Received on a holiday (Thu 8 Feb): Fri 9, Mon 12, Tue 13.
        (wita(2024, 2, 8, 16, 45), wita(2024, 2, 13, 16, 45)),
    ],
)
def test_verify_deadline_is_three_working_days_at_the_same_local_time(world, received, due):
    concern = received_at(received, world)
    assert concern.created_at == received
    assert concern.due_at == due
    concern.refresh_from_db()
    assert concern.due_at == due


def test_local_date_counts_not_the_utc_date(world):
    # 20.00 UTC on Friday 5 January is 04.00 WITA on Saturday 6 January.
    received = datetime(2024, 1, 5, 20, 0, tzinfo=ZoneInfo("UTC"))
    concern = received_at(received, world)
    assert concern.due_at == wita(2024, 1, 10, 4, 0)
    assert add_working_days(received, 1) == wita(2024, 1, 8, 4, 0)


def test_a_holiday_added_by_an_administrator_is_honoured(world):
    Holiday.objects.create(date=date(2024, 1, 9), name="Libur daerah")
    # Friday 5: Mon 8 = 1, (Tue 9 holiday), Wed 10 = 2, Thu 11 = 3.
    concern = received_at(wita(2024, 1, 5, 10, 0), world)
    assert concern.due_at == wita(2024, 1, 11, 10, 0)


def test_a_long_holiday_run_is_skipped(world):
    # Lebaran 2024 with collective leave: 8-12 and 15 April off, beside the seeded 10-11.
    for day in (8, 9, 12, 15):
        Holiday.objects.create(date=date(2024, 4, day), name="Cuti bersama Idul Fitri")
    # Friday 5 April: Tue 16 = 1, Wed 17 = 2, Thu 18 = 3.
    concern = received_at(wita(2024, 4, 5, 9, 0), world)
    assert concern.due_at == wita(2024, 4, 18, 9, 0)


def test_the_category_sets_its_own_days(world):
    Category.objects.filter(code="kriminalitas").update(verify_days=1, respond_days=2)
    concern = received_at(wita(2024, 1, 5, 10, 0), world, category="kriminalitas")
    assert concern.due_at == wita(2024, 1, 8, 10, 0)  # Friday + 1 = Monday
    concern = move_at(wita(2024, 1, 8, 9, 0), concern, world, Status.VERIFIED)
    assert concern.due_at == wita(2024, 1, 10, 9, 0)  # Monday + 2 = Wednesday


def test_respond_deadline_starts_when_verified(world):
    concern = received_at(wita(2024, 1, 5, 10, 0), world)
    concern = move_at(wita(2024, 1, 8, 14, 30), concern, world, Status.VERIFIED)
    # Monday 8 + 5: Tue 9, Wed 10, Thu 11, Fri 12, Mon 15.
    assert concern.due_at == wita(2024, 1, 15, 14, 30)


def test_respond_deadline_across_holidays(world):
    concern = received_at(wita(2024, 2, 5, 10, 0), world)
    concern = move_at(wita(2024, 2, 7, 11, 0), concern, world, Status.VERIFIED)
    # Wed 7 + 5: (Thu 8), Fri 9, Mon 12, Tue 13, (Wed 14), Thu 15, Fri 16.
    assert concern.due_at == wita(2024, 2, 16, 11, 0)


def test_in_progress_keeps_the_due_date(world):
    concern = received_at(wita(2024, 1, 5, 10, 0), world)
    concern = move_at(wita(2024, 1, 8, 14, 30), concern, world, Status.VERIFIED)
    concern = move_at(wita(2024, 1, 12, 8, 0), concern, world, Status.IN_PROGRESS)
    assert concern.due_at == wita(2024, 1, 15, 14, 30)


def test_reopening_starts_a_new_respond_deadline(world):
    concern = received_at(wita(2024, 1, 5, 10, 0), world)
    concern = move_at(wita(2024, 1, 8, 10, 0), concern, world, Status.VERIFIED)
    concern = move_at(wita(2024, 1, 9, 10, 0), concern, world, Status.RESOLVED)
    assert concern.due_at is None
    concern = move_at(wita(2024, 1, 12, 16, 0), concern, world, Status.REOPENED)
    # Friday 12 + 5: Mon 15, Tue 16, Wed 17, Thu 18, Fri 19.
    assert concern.due_at == wita(2024, 1, 19, 16, 0)


@pytest.mark.parametrize(
    ("path", "extra"),
    [
        ([Status.VERIFIED, Status.RESOLVED], {}),
        ([Status.VERIFIED, Status.RESOLVED, Status.CLOSED], {}),
        ([Status.REJECTED], {}),
        ([Status.REFERRED], {"agency": "KPU"}),
        ([Status.DUPLICATE], {"duplicate_of": True}),
    ],
)
def test_closed_states_clear_the_deadline(world, path, extra):
    concern = received_at(wita(2024, 1, 5, 10, 0), world)
    if extra.get("duplicate_of"):
        extra = {"duplicate_of": received_at(wita(2024, 1, 4, 10, 0), world)}
    for i, status in enumerate(path):
        concern = move_at(
            wita(2024, 1, 8 + i, 10, 0),
            concern,
            world,
            status,
            **(extra if i == len(path) - 1 else {}),
        )
        assert (concern.due_at is None) == (status not in Concern.OPEN)
    assert concern.status == path[-1]
    assert concern.due_at is None
    with frozen(wita(2024, 3, 1, 10, 0)):
        assert concern.overdue is False
        assert not Concern.objects.overdue().filter(pk=concern.pk).exists()


# Overdue ------------------------------------------------------------------------------------


def test_overdue_only_after_the_deadline(world):
    concern = received_at(wita(2024, 1, 5, 10, 0), world)  # due Wed 10 Jan 10.00
    for now, expected in [
        (wita(2024, 1, 9, 10, 0), False),
        (wita(2024, 1, 10, 9, 59), False),
        (wita(2024, 1, 10, 10, 0), False),
        (wita(2024, 1, 10, 10, 1), True),
        (wita(2024, 2, 1, 0, 0), True),
    ]:
        with frozen(now):
            assert concern.overdue is expected, now
            assert list(Concern.objects.overdue()) == ([concern] if expected else []), now
        assert list(Concern.objects.overdue(now=now)) == ([concern] if expected else [])


@pytest.mark.parametrize("status", sorted(Concern.OPEN))
def test_every_open_status_can_be_overdue(world, status):
    concern = received_at(wita(2024, 1, 5, 10, 0), world)
    Concern.objects.filter(pk=concern.pk).update(status=status)
    concern.refresh_from_db()
    with frozen(wita(2024, 1, 11, 10, 0)):
        assert concern.overdue is True
        assert list(Concern.objects.overdue()) == [concern]


@pytest.mark.parametrize("status", sorted(set(Status.values) - Concern.OPEN))
def test_a_closed_concern_is_never_overdue_even_with_an_old_deadline(world, status):
    concern = received_at(wita(2024, 1, 5, 10, 0), world)
    Concern.objects.filter(pk=concern.pk).update(status=status)  # due_at left in the past
    concern.refresh_from_db()
    with frozen(wita(2024, 1, 11, 10, 0)):
        assert concern.overdue is False
        assert not Concern.objects.overdue().exists()


def test_resolving_an_overdue_concern_ends_it(world):
    concern = received_at(wita(2024, 1, 5, 10, 0), world)
    concern = move_at(wita(2024, 1, 8, 10, 0), concern, world, Status.VERIFIED)
    with frozen(wita(2024, 1, 16, 10, 0)):
        assert concern.overdue is True
        assert list(Concern.objects.overdue()) == [concern]
    concern = move_at(wita(2024, 1, 16, 11, 0), concern, world, Status.RESOLVED)
    with frozen(wita(2024, 1, 16, 12, 0)):
        assert concern.overdue is False
        assert not Concern.objects.overdue().exists()


def test_only_the_overdue_ones_are_listed(world):
    late = received_at(wita(2024, 1, 5, 10, 0), world)  # due 10 Jan
    fresh = received_at(wita(2024, 1, 9, 10, 0), world)  # due 12 Jan
    resolved = received_at(wita(2024, 1, 5, 11, 0), world)
    move_at(wita(2024, 1, 8, 9, 0), resolved, world, Status.VERIFIED)
    move_at(wita(2024, 1, 8, 9, 30), resolved, world, Status.RESOLVED)
    with frozen(wita(2024, 1, 11, 8, 0)):
        assert set(Concern.objects.overdue()) == {late}
        assert [c.overdue for c in (late, fresh, resolved)] == [True, False, False]
