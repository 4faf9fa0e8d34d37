"""The concern lifecycle through the services: the transitions map, events, assignment, rating."""

import uuid
from datetime import UTC, datetime, timedelta
from itertools import product
from unittest.mock import patch

import pytest

from patroli.concerns.models import Category, Concern, ConcernEvent
from patroli.concerns.services import (
    ConcernError,
    TransitionRefused,
    assign_concern,
    move_concern,
    open_concern,
    rate_concern,
    reopen_by_reporter,
    submit_concern,
)
from patroli.regions.models import Region

pytestmark = pytest.mark.django_db

Status = Concern.Status
ALL_PAIRS = list(product(Status.values, Status.values))
ALLOWED = [(a, b) for a, b in ALL_PAIRS if b in Concern.TRANSITIONS[a]]
REFUSED = [(a, b) for a, b in ALL_PAIRS if b not in Concern.TRANSITIONS[a]]
CLOSED = [s for s in Status.values if s not in Concern.OPEN]
NOON = datetime(2024, 3, 4, 4, 0, tzinfo=UTC)  # Monday 4 March 2024, 12.00 WITA


def frozen(moment):
    return patch("django.utils.timezone.now", return_value=moment)


def new_concern(world, category="hoaks", **fields):
    defaults = dict(
        source=Concern.Source.STAFF,
        category=Category.objects.get(code=category),
        description="Selebaran berisi hoaks tentang pemindahan TPS.",
        village=Region.objects.get(code="64.09.04.2004"),
        created_by=world.officer,
    )
    return open_concern(**{**defaults, **fields})


def in_status(concern, status, **fields):
    """The concern put straight into ``status`` (no event), as if it had got there earlier."""
    Concern.objects.filter(pk=concern.pk).update(status=status, **fields)
    concern.refresh_from_db()
    return concern


def snapshot(concern):
    return Concern.objects.filter(pk=concern.pk).values().get()


def history(concern):
    return list(
        ConcernEvent.objects.filter(concern=concern)
        .order_by("created_at", "id")
        .values("id", "kind", "actor_id", "from_status", "to_status", "note", "public")
    )


def test_the_map_names_every_status_and_only_known_ones():
    assert set(Concern.TRANSITIONS) == set(Status.values)
    for targets in Concern.TRANSITIONS.values():
        assert set(targets) <= set(Status.values)
    assert len(ALLOWED) + len(REFUSED) == 81 and ALLOWED and REFUSED


@pytest.mark.parametrize(("from_status", "to_status"), ALLOWED)
def test_allowed_move(world, from_status, to_status):
    concern = in_status(new_concern(world), from_status)
    other = new_concern(world)
    before = history(concern)
    extra = {"duplicate_of": other} if to_status == Status.DUPLICATE else {}
    if to_status == Status.REFERRED:
        extra["agency"] = "Bawaslu"

    moved = move_concern(
        concern=concern,
        actor=world.kapolsek,
        to_status=to_status,
        note="  Dicek di lapangan.  ",
        public=False,
        **extra,
    )

    assert moved.status == to_status
    assert Concern.objects.get(pk=concern.pk).status == to_status
    after = history(concern)
    assert after[: len(before)] == before
    assert len(after) == len(before) + 1
    event = after[-1]
    assert event["kind"] == ConcernEvent.Kind.STATUS
    assert (event["from_status"], event["to_status"]) == (from_status, to_status)
    assert event["actor_id"] == world.kapolsek.pk
    assert event["note"] == "Dicek di lapangan."
    assert event["public"] is False


@pytest.mark.parametrize(("from_status", "to_status"), REFUSED)
def test_refused_move_changes_nothing(world, from_status, to_status):
    concern = in_status(new_concern(world), from_status)
    other = new_concern(world)
    row, events = snapshot(concern), history(concern)

    with pytest.raises(TransitionRefused) as refused:
        move_concern(
            concern=concern,
            actor=world.kapolsek,
            to_status=to_status,
            note="Tidak boleh",
            duplicate_of=other,
            agency="Bawaslu",
        )

    assert refused.value.allowed == list(Concern.TRANSITIONS[from_status])
    assert refused.value.field == "status"
    assert snapshot(concern) == row
    assert history(concern) == events


def test_status_and_event_are_written_in_one_transaction(world):
    concern = new_concern(world)
    row, events = snapshot(concern), history(concern)
    with (
        patch.object(ConcernEvent.objects, "create", side_effect=RuntimeError("disk full")),
        pytest.raises(RuntimeError),
    ):
        move_concern(concern=concern, actor=world.kapolsek, to_status=Status.VERIFIED)
    assert snapshot(concern) == row
    assert history(concern) == events


def test_the_move_works_on_the_stored_status_not_a_stale_object(world):
    concern = new_concern(world)
    stale = Concern.objects.get(pk=concern.pk)
    move_concern(concern=concern, actor=world.kapolsek, to_status=Status.VERIFIED)
    # ``stale`` still says received; received -> verified again must be refused.
    with pytest.raises(TransitionRefused) as refused:
        move_concern(concern=stale, actor=world.kapolsek, to_status=Status.VERIFIED)
    assert refused.value.allowed == list(Concern.TRANSITIONS[Status.VERIFIED])


def test_notes_are_public_by_default(world):
    concern = new_concern(world)
    move_concern(concern=concern, actor=world.kapolsek, to_status=Status.VERIFIED)
    assert history(concern)[-1]["public"] is True


def test_open_concern_writes_the_first_event(world):
    concern = new_concern(world)
    assert concern.status == Status.RECEIVED
    assert concern.unit == world.sepaku
    [event] = history(concern)
    assert (event["from_status"], event["to_status"]) == ("", Status.RECEIVED)
    assert event["actor_id"] == world.officer.pk


# Duplicates and referrals -------------------------------------------------------------------


def test_duplicate_points_to_the_other_concern(world):
    original, concern = new_concern(world), new_concern(world)
    move_concern(
        concern=concern, actor=world.kapolsek, to_status=Status.DUPLICATE, duplicate_of=original
    )
    concern.refresh_from_db()
    assert concern.status == Status.DUPLICATE
    assert concern.duplicate_of == original
    assert list(original.duplicates.all()) == [concern]


@pytest.mark.parametrize("self_reference", [False, True])
def test_duplicate_needs_another_concern(world, self_reference):
    concern = new_concern(world)
    row, events = snapshot(concern), history(concern)
    with pytest.raises(ConcernError) as error:
        move_concern(
            concern=concern,
            actor=world.kapolsek,
            to_status=Status.DUPLICATE,
            duplicate_of=concern if self_reference else None,
        )
    assert not isinstance(error.value, TransitionRefused)
    assert error.value.field == "duplicate_of"
    assert snapshot(concern) == row
    assert history(concern) == events


def test_referral_takes_the_categorys_agency(world):
    concern = new_concern(world, category="listrik", description="Lampu jalan padam sepekan.")
    move_concern(concern=concern, actor=world.kapolsek, to_status=Status.REFERRED)
    concern.refresh_from_db()
    assert (concern.status, concern.agency) == (Status.REFERRED, "PLN")
    assert concern.due_at is None


def test_referral_names_the_given_agency_first(world):
    concern = new_concern(world, category="listrik")
    move_concern(
        concern=concern, actor=world.kapolsek, to_status=Status.REFERRED, agency=" Pemda PPU "
    )
    concern.refresh_from_db()
    assert concern.agency == "Pemda PPU"


@pytest.mark.parametrize("agency", ["", "   "])
def test_referral_without_any_agency_is_refused(world, agency):
    concern = new_concern(world, category="hoaks")
    assert Category.objects.get(code="hoaks").agency == ""
    row, events = snapshot(concern), history(concern)
    with pytest.raises(ConcernError) as error:
        move_concern(
            concern=concern, actor=world.kapolsek, to_status=Status.REFERRED, agency=agency
        )
    assert error.value.field == "agency"
    assert snapshot(concern) == row
    assert history(concern) == events


def test_resolving_records_the_moment(world):
    concern = in_status(new_concern(world), Status.IN_PROGRESS)
    with frozen(NOON):
        move_concern(concern=concern, actor=world.kapolsek, to_status=Status.RESOLVED)
    concern.refresh_from_db()
    assert concern.resolved_at == NOON
    with frozen(NOON + timedelta(days=2)):
        move_concern(concern=concern, actor=world.kapolsek, to_status=Status.CLOSED)
    concern.refresh_from_db()
    assert concern.status == Status.CLOSED
    assert concern.resolved_at == NOON


# The history --------------------------------------------------------------------------------


def test_history_is_append_only(world):
    with frozen(NOON):
        concern = new_concern(world)
    path = [
        Status.VERIFIED,
        Status.IN_PROGRESS,
        Status.RESOLVED,
        Status.REOPENED,
        Status.RESOLVED,
        Status.CLOSED,
    ]
    seen = history(concern)
    for i, status in enumerate(path):
        with frozen(NOON + timedelta(hours=i + 1)):
            move_concern(
                concern=concern, actor=world.kapolsek, to_status=status, note=f"langkah {i}"
            )
        now = history(concern)
        assert now[: len(seen)] == seen, "an earlier event changed"
        assert len(now) == len(seen) + 1
        seen = now
    assert [(e["from_status"], e["to_status"]) for e in seen] == list(
        zip(["", Status.RECEIVED, *path[:-1]], [Status.RECEIVED, *path], strict=True)
    )
    assert [e["note"] for e in seen[1:]] == [f"langkah {i}" for i in range(len(path))]


# Assignment ---------------------------------------------------------------------------------


def test_assign_to_unit_and_officer_is_an_internal_event(world):
    concern = in_status(new_concern(world), Status.VERIFIED)
    events = history(concern)
    assign_concern(concern=concern, actor=world.kapolsek, unit=world.sepaku, officer=world.officer)
    concern.refresh_from_db()
    assert concern.unit == world.sepaku and concern.assigned_to == world.officer
    assert concern.status == Status.VERIFIED
    after = history(concern)
    assert after[: len(events)] == events and len(after) == len(events) + 1
    event = after[-1]
    assert event["kind"] == ConcernEvent.Kind.ASSIGN
    assert event["public"] is False
    assert event["actor_id"] == world.kapolsek.pk
    assert (event["from_status"], event["to_status"]) == (Status.VERIFIED, Status.VERIFIED)
    assert world.officer.display_name in event["note"]


def test_assign_to_another_unit_moves_the_concern(world):
    concern = new_concern(world)
    assign_concern(
        concern=concern,
        actor=world.commander,
        unit=world.penajam,
        officer=world.other_officer,
        note="Lokasi masuk wilayah Penajam",
    )
    concern.refresh_from_db()
    assert concern.unit == world.penajam and concern.assigned_to == world.other_officer
    assert history(concern)[-1]["note"] == "Lokasi masuk wilayah Penajam"


@pytest.mark.parametrize("who", ["other_officer", "no_unit"])
def test_assign_to_an_officer_outside_the_unit_is_refused(world, who):
    concern = new_concern(world)
    row, events = snapshot(concern), history(concern)
    with pytest.raises(ConcernError) as error:
        assign_concern(
            concern=concern, actor=world.kapolsek, unit=world.sepaku, officer=getattr(world, who)
        )
    assert error.value.field == "officer"
    assert snapshot(concern) == row
    assert history(concern) == events


# Rating -------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [Status.RESOLVED, Status.CLOSED])
@pytest.mark.parametrize("rating", [1, 5])
def test_rating_a_resolved_concern(world, status, rating):
    concern = in_status(new_concern(world), status, resolved_at=NOON)
    rate_concern(concern=concern, rating=rating, comment=" Cepat ditangani. ")
    concern.refresh_from_db()
    assert (concern.rating, concern.rating_comment) == (rating, "Cepat ditangani.")
    event = history(concern)[-1]
    assert event["kind"] == ConcernEvent.Kind.RATING and event["public"] is True
    assert event["from_status"] == event["to_status"] == status


@pytest.mark.parametrize("status", [s for s in Status.values if s not in ("resolved", "closed")])
def test_rating_before_resolution_is_refused(world, status):
    concern = in_status(new_concern(world), status)
    events = history(concern)
    with pytest.raises(ConcernError) as error:
        rate_concern(concern=concern, rating=4)
    assert error.value.field == "rating"
    concern.refresh_from_db()
    assert concern.rating is None
    assert history(concern) == events


@pytest.mark.parametrize("rating", [0, 6, -1])
def test_rating_outside_one_to_five_is_refused(world, rating):
    concern = in_status(new_concern(world), Status.RESOLVED, resolved_at=NOON)
    events = history(concern)
    with pytest.raises(ConcernError) as error:
        rate_concern(concern=concern, rating=rating)
    assert error.value.field == "rating"
    concern.refresh_from_db()
    assert concern.rating is None
    assert history(concern) == events


# Reopening by the reporter ------------------------------------------------------------------


def resolved_at_noon(world, final=Status.RESOLVED):
    with frozen(NOON - timedelta(days=3)):
        concern = in_status(new_concern(world), Status.IN_PROGRESS)
    with frozen(NOON):
        move_concern(concern=concern, actor=world.kapolsek, to_status=Status.RESOLVED)
    if final == Status.CLOSED:
        with frozen(NOON + timedelta(days=1)):
            move_concern(concern=concern, actor=world.kapolsek, to_status=Status.CLOSED)
    concern.refresh_from_db()
    return concern


@pytest.mark.parametrize("final", [Status.RESOLVED, Status.CLOSED])
@pytest.mark.parametrize("after", [timedelta(days=1), timedelta(days=14)])
def test_reporter_reopens_within_14_days(world, final, after):
    concern = resolved_at_noon(world, final)
    with frozen(NOON + after):
        reopen_by_reporter(concern=concern, note="Masih terjadi tadi malam.")
    concern.refresh_from_db()
    assert concern.status == Status.REOPENED
    event = history(concern)[-1]
    assert (event["from_status"], event["to_status"]) == (final, Status.REOPENED)
    assert event["actor_id"] is None and event["public"] is True
    assert event["note"] == "Masih terjadi tadi malam."


@pytest.mark.parametrize("after", [timedelta(days=14, hours=1), timedelta(days=15)])
def test_reporter_cannot_reopen_after_the_window(world, after):
    concern = resolved_at_noon(world)
    row, events = snapshot(concern), history(concern)
    with frozen(NOON + after), pytest.raises(ConcernError):
        reopen_by_reporter(concern=concern, note="Belum selesai.")
    assert snapshot(concern) == row
    assert history(concern) == events


@pytest.mark.parametrize("status", [s for s in Status.values if s not in ("resolved", "closed")])
def test_reporter_cannot_reopen_what_is_not_resolved(world, status):
    # Even with a recent resolved_at (a concern reopened earlier keeps it).
    concern = in_status(new_concern(world), status, resolved_at=NOON)
    row, events = snapshot(concern), history(concern)
    with frozen(NOON + timedelta(days=1)), pytest.raises(ConcernError):
        reopen_by_reporter(concern=concern, note="Belum selesai.")
    assert snapshot(concern) == row
    assert history(concern) == events


# Re-sent concerns ---------------------------------------------------------------------------


def test_submit_with_the_same_client_id_twice_keeps_one_concern(world):
    client_id = uuid.uuid4()
    fields = dict(
        source=Concern.Source.OPEN311,
        category=Category.objects.get(code="intimidasi"),
        description="Warga diancam agar memilih calon tertentu.",
        village=Region.objects.get(code="64.09.04.2004"),
    )
    first, created = submit_concern(client_id=client_id, **fields)
    assert created is True
    again, created_again = submit_concern(
        client_id=client_id, **{**fields, "description": "Dikirim ulang."}
    )
    assert created_again is False
    assert again.pk == first.pk
    assert again.tracking_code == first.tracking_code
    assert Concern.objects.count() == 1
    assert Concern.objects.get().description == "Warga diancam agar memilih calon tertentu."
    assert ConcernEvent.objects.count() == 1


def test_submit_without_client_id_always_creates(world):
    fields = dict(
        source=Concern.Source.WEB,
        category=Category.objects.get(code="hoaks"),
        description="Pesan berantai.",
        village=Region.objects.get(code="64.09.04.2004"),
    )
    assert submit_concern(**fields)[1] is True
    assert submit_concern(**fields)[1] is True
    assert Concern.objects.count() == 2
