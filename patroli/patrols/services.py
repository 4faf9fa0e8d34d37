"""Writes that touch several models: recording a visit with its dialogue, concerns and photos."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from patroli.audit import services as audit
from patroli.concerns.models import Category, Concern
from patroli.concerns.services import open_concern
from patroli.core.geo import distance_m
from patroli.core.photos import CleanPhoto, delete_photo_files, store_photo
from patroli.core.search import stems_column
from patroli.elections import risk
from patroli.elections.services import record_incident
from patroli.sites.models import Site

from .models import Appeal, Dialogue, Participant, Visit, VisitPhoto
from .planning import mark_stop_done


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
    stored: list[VisitPhoto] = []
    # Optimistic: insert, and let the primary key report a copy that is already stored.
    try:
        with transaction.atomic():
            visit = _create_visit(
                recorded_by=recorded_by,
                site=site,
                started_at=started_at,
                ended_at=ended_at,
                kind=kind,
                lat=lat,
                lon=lon,
                officers=officers,
                dialogue=dialogue,
                concerns=concerns,
                incidents=incidents,
                visit_id=visit_id or uuid.uuid4(),
                recorded_at=recorded_at,
                clock_skew_s=clock_skew_s,
            )
            for photo in photos:
                stored.append(store_photo(VisitPhoto(visit=visit), photo))
            summary = _visit_summary(visit, officers or [recorded_by], stored)
            audit.record(recorded_by, "visit.create", visit, after=summary)
    except IntegrityError:
        _delete_files(stored)
        if visit_id is not None and (existing := Visit.objects.filter(pk=visit_id).first()):
            return existing, False
        raise
    except BaseException:
        _delete_files(stored)
        raise
    return visit, True


def _visit_summary(visit: Visit, officers: list, photos: list[VisitPhoto]) -> dict:
    """What the audit trail keeps of a new visit: where, when, who and how much (the dialogue's
    words stay in the visit; concerns and incidents have events of their own)."""
    summary = audit.snapshot(
        visit, "site", "kind", "started_at", "ended_at", "lat", "lon", "far_from_site"
    )
    summary["officers"] = sorted(officer.pk for officer in officers)
    if visit.clock_skew_s is not None:
        summary["clock_skew_s"] = visit.clock_skew_s
    summary["photos"] = [str(photo.pk) for photo in photos]
    return summary


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


def _create_visit(
    *, recorded_by, site, dialogue, concerns, incidents, officers, visit_id, **fields
) -> Visit:
    distance = checkin_distance(site, fields["lat"], fields["lon"])
    search_text = visit_search_text(site, dialogue)
    visit = Visit(
        id=visit_id,
        site=site,
        unit=site.unit,
        recorded_by=recorded_by,
        distance_m=distance,
        far_from_site=distance is not None and distance > settings.PATROLI_CHECKIN_RADIUS_M,
        search_text=search_text,
        search_stems=stems_column(search_text),
        **fields,
    )
    # force_insert: a duplicate id must fail here, not silently update the first copy.
    visit.save(force_insert=True)
    visit.officers.add(*(officers or [recorded_by]))
    if dialogue is not None:
        record = Dialogue.objects.create(
            visit=visit,
            attendees=dialogue.attendees,
            topics=list(dialogue.topics or []),
            response=dialogue.response,
            notes=dialogue.notes,
            statement=dialogue.statement,
        )
        record.appeals.add(*(dialogue.appeals or []))
        Participant.objects.bulk_create(
            Participant(
                dialogue=record, name=p.name, role=p.role, organisation=p.organisation, order=i
            )
            for i, p in enumerate(dialogue.participants)
        )
    for item in concerns:
        open_concern(
            source=Concern.Source.PATROL,
            category=item.category,
            description=item.description,
            village=site.village,
            unit=site.unit,
            site=site,
            visit=visit,
            created_by=recorded_by,
        )
    for item in incidents:
        record_incident(
            recorded_by=recorded_by,
            kind=item.kind,
            severity=item.severity,
            occurred_at=item.occurred_at or visit.started_at,
            description=item.description,
            village=site.village,
            site=site,
            visit=visit,
        )
    mark_stop_done(visit)  # a check-in at a site of today's approved plan completes the stop
    risk.refresh_on_commit(site_ids=[site.pk], village_codes=[site.village_id])
    return visit
