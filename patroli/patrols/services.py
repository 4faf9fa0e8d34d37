"""Writes that touch several models: recording a visit with its dialogue, concerns and photos."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from patroli.audit import services as audit
from patroli.concerns.models import Category, Concern
from patroli.concerns.services import open_concern
from patroli.core.bulk import Batch, Ref, Selected
from patroli.core.geo import distance_m
from patroli.core.ids import uuid7
from patroli.core.photos import CleanPhoto, delete_photo_files, store_photo
from patroli.core.search import stems_column
from patroli.elections import risk
from patroli.elections.services import record_incident
from patroli.sites.models import Site, note_visits

from .models import Appeal, Dialogue, Participant, Visit, VisitPhoto
from .planning import mark_stops_done


@dataclass(frozen=True)
class ParticipantData:
    name: str
    role: str = ""
    organisation: str = ""


@dataclass(frozen=True)
class DialogueData:
    participants: list[ParticipantData]
    attendees: int = 0
    topics: list[str] | None = None
    appeals: list[Appeal] | None = None
    response: str = ""
    notes: str = ""
    statement: str = ""


@dataclass(frozen=True)
class ConcernData:
    category: Category
    description: str


@dataclass(frozen=True)
class IncidentData:
    kind: str
    severity: str
    description: str = ""
    occurred_at: datetime | None = None  # default: the start of the visit


class VisitPhotoError(Exception):
    """A photo that cannot be added to its visit; ``str(error)`` is a translated message."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message = message
        self.code = code  # "conflict" (the id is another visit's) or "too_many"


def checkin_distance(site: Site, lat: float | None, lon: float | None) -> float | None:
    if lat is None or lon is None or not site.has_location:
        return None
    return round(distance_m(lat, lon, site.lat, site.lng), 1)


def record_visit(
    *,
    recorded_by,
    site: Site,
    started_at: datetime,
    ended_at: datetime | None = None,
    kind: str = Visit.Kind.DIALOGIC,
    lat: float | None = None,
    lon: float | None = None,
    officers: list | None = None,
    dialogue: DialogueData | None = None,
    concerns: list[ConcernData] = (),
    incidents: list[IncidentData] = (),
    photos: list[CleanPhoto] = (),
    visit_id: uuid.UUID | None = None,
    recorded_at: datetime | None = None,
    clock_skew_s: float | None = None,
) -> tuple[Visit, bool]:
    """Store a visit, its dialogue, the concerns raised and its photos; (visit, created).

    Sending the same ``visit_id`` again returns the stored visit and writes nothing, also when
    two copies arrive at once (the primary key decides which one wins). ``photos`` are checked
    and encoded beforehand (``prepare_photo``); when anything fails, their files go too.
    """
    item = NewVisit(
        site=site,
        started_at=started_at,
        ended_at=ended_at,
        kind=kind,
        lat=lat,
        lon=lon,
        officers=list(officers or []),
        dialogue=dialogue,
        concerns=list(concerns),
        incidents=list(incidents),
        visit_id=visit_id or uuid7(),
        recorded_at=recorded_at,
    )
    # Everything built, and the statements held, before the transaction: on SQLite its write
    # lock is then held while they run, not while Python prepares them.
    staged = _stage_visits(recorded_by, [item], clock_skew_s, lock_head=not photos)
    (visit,) = staged.visits
    officers = item.officers or [recorded_by]
    # Its event too, unless it names photos not stored yet: the chain's head, locked by the
    # batch, is then held only while the event is chained (on PostgreSQL, by the statement
    # that locks it: audit.lock_head).
    event = None
    if not photos:
        event = _visit_event(recorded_by, visit, officers, [])
        staged.lock_head([event])
    stored: list[VisitPhoto] = []
    # Optimistic: insert, and let the primary key report a copy that is already stored.
    try:
        with transaction.atomic():
            ((concerns, incidents),) = _write_visits(recorded_by, [item], staged)
            for photo in photos:
                stored.append(store_photo(VisitPhoto(visit=visit), photo))
            audit.append([event or _visit_event(recorded_by, visit, officers, stored)], staged.head)
    except IntegrityError:
        _delete_files(stored)
        if visit_id is not None and (existing := Visit.objects.filter(pk=visit_id).first()):
            return existing, False
        raise
    except BaseException:
        _delete_files(stored)
        raise
    # The answer's: what was just written (JustRecorded).
    dialogue = staged.dialogues.get(visit.pk)
    _note_recorded(visit, dialogue, item, recorded_by, concerns, incidents, stored)
    return visit, True


@dataclass
class NewVisit:
    """One visit to store, its references already resolved and checked (the arguments of
    :func:`record_visit` without the recorder and the photos)."""

    site: Site
    started_at: datetime
    visit_id: uuid.UUID
    ended_at: datetime | None = None
    kind: str = Visit.Kind.DIALOGIC
    lat: float | None = None
    lon: float | None = None
    officers: list = field(default_factory=list)  # empty: the recorder alone
    dialogue: DialogueData | None = None
    concerns: list[ConcernData] = field(default_factory=list)
    incidents: list[IncidentData] = field(default_factory=list)
    recorded_at: datetime | None = None


def record_visits(
    *, recorded_by, items: list[NewVisit], clock_skew_s: float | None = None
) -> list[tuple[Visit, bool]]:
    """Store several new visits (a device's outbox) in one transaction; (visit, created) each.

    The batch costs about a dozen statements however many visits it holds (the visits, their
    officers, dialogues, appeals and participants, one audit event each, the plan stops they
    complete, one risk refresh): a visit's concerns and incidents still go through their own
    services. The ids must be new and distinct; when another copy of one of them is stored
    meanwhile (a replay racing this one), the batch is rolled back and stored visit by visit,
    so each visit is stored once and answered as created or as already there.
    """
    if not items:
        return []
    staged = _stage_visits(recorded_by, items, clock_skew_s, lock_head=True)  # no transaction yet
    visits = staged.visits
    # Their events too: the chain's head, locked by the batch, is held only while they are
    # chained (benchmarks/audit_chain.py).
    events = [
        _visit_event(recorded_by, visit, item.officers or [recorded_by], [])
        for visit, item in zip(visits, items, strict=True)
    ]
    staged.lock_head(events)
    try:
        with transaction.atomic():
            _write_visits(recorded_by, items, staged)
            audit.append(events, staged.head)
    except IntegrityError:
        if not Visit.objects.filter(pk__in=[item.visit_id for item in items]).exists():
            raise  # not a copy stored meanwhile: a real error, nothing of the batch was written
        return [
            record_visit(recorded_by=recorded_by, clock_skew_s=clock_skew_s, **vars(item))
            for item in items
        ]
    return [(visit, True) for visit in visits]


def _visit_event(recorded_by, visit: Visit, officers: list, photos: list[VisitPhoto]):
    """The audit event of a new visit, not chained yet (``audit.append`` does it): where, when,
    who and how much (the dialogue's words stay in the visit; concerns and incidents have
    events of their own)."""
    summary = audit.snapshot(
        visit, "site", "kind", "started_at", "ended_at", "lat", "lon", "far_from_site"
    )
    summary["officers"] = sorted(officer.pk for officer in officers)
    if visit.clock_skew_s is not None:
        summary["clock_skew_s"] = visit.clock_skew_s
    summary["photos"] = [str(photo.pk) for photo in photos]
    return audit.prepare(recorded_by, "visit.create", visit, after=summary)


def _delete_files(photos: list[VisitPhoto]) -> None:
    for photo in photos:  # their rows rolled back with the transaction; files do not
        delete_photo_files(photo)


def add_visit_photo(
    *, visit: Visit, photo_id: uuid.UUID, photo: CleanPhoto, actor=None
) -> tuple[VisitPhoto, bool]:
    """Store ``photo`` (checked and encoded by ``prepare_photo``) under the device's id; (photo,
    created).

    The same id sent again for the same visit returns the stored photo and writes nothing, also
    when two copies arrive at once; an id of another visit's photo, or a photo over
    ``PATROLI_VISIT_PHOTOS_MAX``, raises VisitPhotoError. Files and row are written together or
    not at all, so an interrupted upload can simply be sent again. ``actor`` is the uploader.
    """
    try:
        with transaction.atomic():
            # Lock the visit: two uploads at once must not both take the last free place.
            Visit.objects.select_for_update().get(pk=visit.pk)
            if (existing := VisitPhoto.objects.filter(pk=photo_id).first()) is not None:
                return _resent_photo(existing, visit), False
            check_photo_room(visit)
            stored = store_photo(VisitPhoto(id=photo_id, visit=visit), photo)
            audit.record(
                actor,
                "visit.photo_add",
                stored,
                after={"visit": str(visit.pk), "width": stored.width, "height": stored.height},
                unit=visit.unit_id,
            )
            return stored, True
    except IntegrityError:
        if (existing := VisitPhoto.objects.filter(pk=photo_id).first()) is not None:
            return _resent_photo(existing, visit), False
        raise


def find_resent_photo(*, visit: Visit, photo_id: uuid.UUID) -> VisitPhoto | None:
    """The photo stored before under ``photo_id`` for ``visit``, None when new; VisitPhotoError
    when the id is another visit's."""
    existing = VisitPhoto.objects.filter(pk=photo_id).first()
    return None if existing is None else _resent_photo(existing, visit)


def check_photo_room(visit: Visit) -> None:
    """VisitPhotoError when ``visit`` has all the photos it may have."""
    limit = settings.PATROLI_VISIT_PHOTOS_MAX
    if VisitPhoto.objects.filter(visit=visit).count() >= limit:
        raise VisitPhotoError(
            _("Too many photos: a visit takes at most %(limit)d.") % {"limit": limit}, "too_many"
        )


def _resent_photo(existing: VisitPhoto, visit: Visit) -> VisitPhoto:
    if existing.visit_id != visit.pk:
        raise VisitPhotoError(_("This photo id belongs to another visit's photo."), "conflict")
    return existing


def visit_search_text(site: Site, dialogue: DialogueData | None) -> str:
    """What a visit is found by: the site's name, and the dialogue's topics, notes and
    statement (participants' names and concerns are left out: concerns have their own search)."""
    parts = [site.name]
    if dialogue is not None:
        parts += [*(dialogue.topics or []), dialogue.notes, dialogue.statement]
    return "\n".join(part for part in parts if part)


@dataclass
class _Staged:
    """New visits built, with the statements that store them held in ``batch``."""

    visits: list[Visit]
    dialogues: dict  # the visit's id -> its Dialogue
    said: list[tuple[Visit, DialogueData]]
    batch: Batch
    wants_head: bool  # the audit chain's head is locked and read with the last batch
    head: Selected | None = None

    def lock_head(self, events: list) -> None:
        """Lock the audit chain's head for the visits' ``events`` with their statements, when
        it is wanted and those fit in one batch (one dialogue at most; several have their
        appeals and participants sent in a second batch, which locks it: _write_visits)."""
        if self.wants_head and len(self.dialogues) <= 1:
            self.head = audit.lock_head(self.batch, events)


def _stage_visits(
    recorded_by, items: list[NewVisit], clock_skew_s: float | None, *, lock_head: bool
) -> _Staged:
    """The visits and everything they hold, built and put in a batch that is not sent yet
    (:func:`_write_visits` sends it, in the caller's transaction). No statement runs here.

    With ``lock_head``, the audit chain's head is to be locked with the last statements of
    the visits, for their events (``_Staged.lock_head``, once they are built): only when
    nothing else is written between them and those events (photos, whose files take time, or
    concerns and incidents, which have events of their own)."""
    visits = []
    for item in items:
        site = item.site
        distance = checkin_distance(site, item.lat, item.lon)
        search_text = visit_search_text(site, item.dialogue)
        visits.append(
            Visit(
                id=item.visit_id,
                site=site,
                unit_id=site.unit_id,
                recorded_by=recorded_by,
                kind=item.kind,
                started_at=_utc(item.started_at),
                ended_at=_utc(item.ended_at),
                lat=item.lat,
                lon=item.lon,
                distance_m=distance,
                far_from_site=distance is not None and distance > settings.PATROLI_CHECKIN_RADIUS_M,
                recorded_at=_utc(item.recorded_at),
                clock_skew_s=clock_skew_s,
                search_text=search_text,
                search_stems=stems_column(search_text),
                response=item.dialogue.response if item.dialogue else "",
                attendees=item.dialogue.attendees if item.dialogue else None,
            )
        )
    said = [(visit, item.dialogue) for visit, item in zip(visits, items, strict=True)]
    said = [(visit, dialogue) for visit, dialogue in said if dialogue is not None]
    records = [
        Dialogue(
            visit=visit,
            attendees=dialogue.attendees,
            topics=list(dialogue.topics or []),
            response=dialogue.response,
            notes=dialogue.notes,
            statement=dialogue.statement,
        )
        for visit, dialogue in said
    ]
    # Row locks in one order in every writer: the sites (by id), the plan stops, then the
    # chain head (the audit events, including those of the concerns and incidents raised).
    batch = Batch(Visit)  # one round trip on PostgreSQL
    batch.insert(Visit, visits)
    note_visits(visits, batch)
    mark_stops_done(visits, batch)  # a check-in at a site of the day's approved plan
    batch.insert(
        Visit.officers.through,
        [
            {"visit_id": visit.pk, "officer_id": officer.pk}
            for visit, item in zip(visits, items, strict=True)
            for officer in dict.fromkeys(item.officers or [recorded_by])
        ],
    )
    batch.insert(Dialogue, records, returning=True)  # their ids come back with the batch
    # One dialogue (a single POST): its appeals and participants find it by its visit as they
    # are inserted, in the same round trip. Several (a synced outbox): they follow with the
    # ids read back, one more round trip for the whole batch, since PostgreSQL plans a
    # statement of a hundred such lookups slower than that round trip takes.
    if len(records) == 1:
        ((visit, dialogue),) = said
        _insert_said(batch, [(Ref(Dialogue, "visit", visit.pk), dialogue)])
    risk.refresh_on_commit(
        site_ids=dict.fromkeys(visit.site_id for visit in visits),
        village_codes=dict.fromkeys(item.site.village_id for item in items),
        batch=batch,
    )
    # The head last (_Staged.lock_head, once the events are built), after the sites and plan
    # stops (and, for several dialogues, after their appeals, in the second batch): their
    # events then cost no round trip to read it.
    alone = lock_head and not any(item.concerns or item.incidents for item in items)
    return _Staged(visits, {record.visit_id: record for record in records}, said, batch, alone)


def _write_visits(recorded_by, items: list[NewVisit], staged: _Staged) -> list[tuple]:
    """Send ``staged``'s statements in the caller's transaction, then store what the visits
    heard; (concerns, incidents) of each visit. A duplicate id raises IntegrityError (never an
    update of the stored copy)."""
    staged.batch.send()
    if len(staged.dialogues) > 1:
        with Batch(Dialogue) as batch:
            pairs = [(staged.dialogues[visit.pk].pk, said) for visit, said in staged.said]
            _insert_said(batch, pairs)
            if staged.wants_head:
                staged.head = audit.lock_head(batch)
    return [
        _record_heard(recorded_by, visit, item)
        for visit, item in zip(staged.visits, items, strict=True)
    ]


def _insert_said(batch: Batch, dialogues: list[tuple]) -> None:
    """The appeals and participants of ``dialogues``: (the dialogue's id or a Ref to it, what
    was said)."""
    batch.insert(
        Dialogue.appeals.through,
        [
            {"dialogue_id": dialogue, "appeal_id": appeal.pk}
            for dialogue, said in dialogues
            for appeal in dict.fromkeys(said.appeals or [])
        ],
    )
    batch.insert(
        Participant,
        [
            {
                "dialogue_id": dialogue,
                "name": p.name,
                "role": p.role,
                "organisation": p.organisation,
                "order": i,
            }
            for dialogue, said in dialogues
            for i, p in enumerate(said.participants)
        ],
    )


def _record_heard(recorded_by, visit: Visit, item: NewVisit) -> tuple[list, list]:
    """The concerns raised and the incidents met during the visit, through their services."""
    site = item.site
    concerns, incidents = [], []
    for concern in item.concerns:
        concerns.append(
            open_concern(
                source=Concern.Source.PATROL,
                category=concern.category,
                description=concern.description,
                village=site.village,
                unit=site.unit,
                site=site,
                visit=visit,
                created_by=recorded_by,
            )
        )
    for incident in item.incidents:
        incident, _created = record_incident(
            recorded_by=recorded_by,
            kind=incident.kind,
            severity=incident.severity,
            occurred_at=incident.occurred_at or visit.started_at,
            description=incident.description,
            village=site.village,
            site=site,
            visit=visit,
        )
        incidents.append(incident)
    return concerns, incidents


@dataclass
class JustRecorded:
    """What :func:`record_visit` wrote with a new visit, in the orders that the API answers
    with (``api.visit_out``), so that the 201 reads nothing back: the visit's
    ``just_recorded``. Plain lists rather than the relations' prefetch caches, whose managers
    and filtered querysets cost more to build than the rest of the answer."""

    officers: list  # by id
    concerns: list[Concern]  # newest first
    incidents: list  # latest first, then by id
    photos: list[VisitPhoto]
    appeals: list[Appeal]  # in their order
    participants: list[ParticipantData]


def _note_recorded(
    visit, dialogue, item: NewVisit, recorded_by, concerns, incidents, photos
) -> None:
    """Give the new visit its dialogue (cached as a read would cache it) and ``just_recorded``,
    from what was just written."""
    Visit.dialogue.related.set_cached_value(visit, dialogue)
    for incident in incidents:
        incident.occurred_at = _utc(incident.occurred_at)
    by_id = sorted(incidents, key=_pk)
    said = item.dialogue
    visit.just_recorded = JustRecorded(
        officers=sorted(dict.fromkeys(item.officers or [recorded_by]), key=_pk),
        concerns=concerns[::-1],
        incidents=sorted(by_id, key=lambda i: i.occurred_at, reverse=True),
        photos=list(photos),
        appeals=sorted(dict.fromkeys(said.appeals or []), key=_order) if said else [],
        participants=list(said.participants) if said else [],
    )


def _utc(moment: datetime | None) -> datetime | None:
    """An aware time in UTC, as the database gives it back (answers read the same either way)."""
    if moment is None or isinstance(moment, str) or timezone.is_naive(moment):
        return moment
    return moment.astimezone(dt.UTC)


def _pk(record) -> int:
    return record.pk


def _order(appeal: Appeal) -> tuple:
    return appeal.order, appeal.code
