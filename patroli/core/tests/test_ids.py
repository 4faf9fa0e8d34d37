"""Time-ordered ids (core/ids.py): what a phone and the server name a new record with."""

import uuid
from datetime import UTC, datetime, timedelta

from patroli.core.ids import uuid7


def moment_of(value: uuid.UUID) -> datetime:
    return datetime.fromtimestamp(int(value.hex[:12], 16) / 1000, tz=UTC)


def test_an_id_is_a_version_7_uuid_of_its_moment():
    moment = datetime(2024, 1, 23, 2, 15, 30, 123000, tzinfo=UTC)
    made = uuid7(moment)
    assert made.version == 7
    assert made.variant == uuid.RFC_4122
    assert moment_of(made) == moment


def test_without_a_moment_it_is_now():
    before = datetime.now(UTC) - timedelta(milliseconds=1)
    made = uuid7()
    assert before <= moment_of(made) <= datetime.now(UTC)


def test_ids_sort_in_the_order_they_were_made():
    start = datetime(2024, 1, 23, tzinfo=UTC)
    made = [uuid7(start + timedelta(milliseconds=n)) for n in range(0, 5000, 7)]
    assert sorted(made) == made
    assert sorted(str(m) for m in made) == [str(m) for m in made]  # as text too (SQLite)


def test_the_random_bits_are_kept_whole_and_nothing_else_changes():
    moment = datetime(2024, 1, 23, tzinfo=UTC)
    low, high = uuid7(moment, bits=0), uuid7(moment, bits=(1 << 74) - 1)
    assert str(low).endswith("-7000-8000-000000000000")
    assert str(high).endswith("-7fff-bfff-ffffffffffff")
    assert uuid7(moment, bits=12345) == uuid7(moment, bits=12345)
    assert len({uuid7(moment) for _ in range(1000)}) == 1000
