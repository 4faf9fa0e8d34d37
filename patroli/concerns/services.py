"""Concern lifecycle: open, move between statuses, assign, rate. Every write leaves an event."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from patroli.audit import services as audit
from patroli.core.search import stems_column
from patroli.core.workdays import add_working_days
from patroli.units.models import Unit

from . import notify
from .models import Category, Concern, ConcernEvent, new_tracking_code

Status = Concern.Status
# The fields the audit trail keeps of a new concern (never the reporter's contact details), and
# of a status change.
OPENED = (
    "tracking_code",
    "status",
    "source",
    "village",
    "unit",
    "site",
    "visit",
    "anonymous",
    "confidential",
    "due_at",
)
MOVED = ("status", "due_at", "resolved_at", "agency", "duplicate_of")


class ConcernError(Exception):
    """A refused write; ``field`` names the input at fault when there is one."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class TransitionRefused(ConcernError):
    def __init__(self, concern: Concern, to_status: str):
        self.allowed = list(concern.allowed_transitions())
        super().__init__(
            _("A concern that is %(status)s cannot become %(target)s.")
            % {
                "status": concern.get_status_display(),
                "target": Status(to_status).label if to_status in Status.values else to_status,
            },
            field="status",
        )


def _refresh_risk(concern: Concern) -> None:
    """Open and overdue concerns weigh on the risk of their site and village."""
    from patroli.elections import risk

    site_ids = [concern.site_id] if concern.site_id else []
    risk.refresh_on_commit(site_ids=site_ids, village_codes=[concern.village_id])


def _system_note(message, values) -> str:
    """Notes the system writes are stored in the site's language, whoever's request it was."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(message) % values


def due_after(status: str, category: Category, moment: datetime) -> datetime | None:
    """The deadline that starts when a concern enters ``status``."""
    if status == Status.RECEIVED:
        return add_working_days(moment, category.verify_days)
    if status in (Status.VERIFIED, Status.REOPENED):
        return add_working_days(moment, category.respond_days)
    return None


@transaction.atomic
def open_concern(
    *,
    source: str,
    category: Category,
    description: str,
    village,
    unit: Unit | None = None,
    site=None,
    visit=None,
    created_by=None,
    lat: float | None = None,
    lon: float | None = None,
    address: str = "",
    reporter_name: str = "",
    reporter_phone: str = "",
    reporter_email: str = "",
    anonymous: bool = False,
    confidential: bool = False,
    attributes: dict | None = None,
    client_id: uuid.UUID | None = None,
) -> Concern:
    """Create a concern in status ``received`` with its first event; the unit is the one
    responsible for the village unless given."""
    unit = unit or Unit.objects.responsible_for(village)
    if unit is None:
        raise ConcernError(_("No police unit covers this village yet."), field="village")
    now = timezone.now()
    fields = dict(
        source=source,
        category=category,
        description=description,
        village=village,
        unit=unit,
        site=site,
        visit=visit,
        created_by=created_by,
        lat=lat,
        lon=lon,
        address=address,
        reporter_name=reporter_name,
        reporter_phone=reporter_phone,
        reporter_email=reporter_email,
        anonymous=anonymous,
        confidential=confidential,
        attributes=attributes or {},
        client_id=client_id,
        due_at=due_after(Status.RECEIVED, category, now),
        search_stems=stems_column(description, address),
    )
    for _attempt in range(5):
        try:
            with transaction.atomic():
                concern = Concern.objects.create(tracking_code=new_tracking_code(), **fields)
            break
        except IntegrityError:
            if client_id and Concern.objects.filter(client_id=client_id).exists():
                raise
            continue  # a tracking-code collision: draw again
    else:
        raise RuntimeError("could not draw a free tracking code")
    ConcernEvent.objects.create(
        concern=concern, actor=created_by, from_status="", to_status=Status.RECEIVED
    )
    notify.concern_received(concern)
    _refresh_risk(concern)
    after = audit.snapshot(concern, *OPENED)
    after["category"] = category.code
    audit.record(created_by, "concern.open", concern, after=after)
    return concern


def submit_concern(*, client_id: uuid.UUID | None = None, **fields) -> tuple[Concern, bool]:
    """open_concern, but a re-sent ``client_id`` returns the stored concern: (concern, created)."""
    if client_id is not None and (stored := Concern.objects.filter(client_id=client_id).first()):
        return stored, False
    try:
        return open_concern(client_id=client_id, **fields), True
    except IntegrityError:
        if client_id is not None and (
            stored := Concern.objects.filter(client_id=client_id).first()
        ):
            return stored, False
        raise


@transaction.atomic
def move_concern(
    *,
    concern: Concern,
    actor,
    to_status: str,
    note: str = "",
    public: bool = True,
    duplicate_of: Concern | None = None,
    agency: str = "",
) -> Concern:
    """Move a concern to another status, if the transitions map allows it."""
    concern = Concern.objects.select_for_update().select_related("category").get(pk=concern.pk)
    if to_status not in concern.allowed_transitions():
        raise TransitionRefused(concern, to_status)
    if to_status == Status.DUPLICATE:
        if duplicate_of is None:
            raise ConcernError(_("Name the concern this one duplicates."), field="duplicate_of")
        if duplicate_of.pk == concern.pk:
            raise ConcernError(_("A concern cannot duplicate itself."), field="duplicate_of")
        concern.duplicate_of = duplicate_of
    if to_status == Status.REFERRED:
        agency = (agency or concern.category.agency).strip()
        if not agency:
            raise ConcernError(_("Name the agency it is referred to."), field="agency")
        concern.agency = agency
    now = timezone.now()
    before = audit.snapshot(concern, *MOVED)
    from_status = concern.status
    concern.status = to_status
    if to_status == Status.RESOLVED:
        concern.resolved_at = now
    if to_status == Status.REOPENED:
        concern.duplicate_of = None  # no longer the same as the other one
    if to_status != Status.IN_PROGRESS:
        concern.due_at = due_after(to_status, concern.category, now)
    concern.save()
    event = ConcernEvent.objects.create(
        concern=concern,
        actor=actor,
        from_status=from_status,
        to_status=to_status,
        note=note.strip(),
        public=public,
    )
    if public:
        notify.status_changed(concern, event)
    _refresh_risk(concern)
    before, after = audit.changes(before, audit.snapshot(concern, *MOVED))
    audit.record(actor, "concern.move", concern, before=before, after={**after, "public": public})
    return concern


@transaction.atomic
def assign_concern(*, concern: Concern, actor, unit: Unit, officer=None, note: str = "") -> Concern:
    """Give a concern to a unit and, optionally, one of its officers."""
    if officer is not None and (
        officer.unit is None or not officer.unit.path.startswith(unit.path)
    ):
        raise ConcernError(_("The officer does not belong to that unit."), field="officer")
    concern = Concern.objects.select_for_update().get(pk=concern.pk)
    before = audit.snapshot(concern, "unit", "assigned_to")
    concern.unit = unit
    concern.assigned_to = officer
    concern.save(update_fields=["unit", "assigned_to", "updated_at"])
    who = officer.display_name if officer else unit.name
    ConcernEvent.objects.create(
        concern=concern,
        actor=actor,
        kind=ConcernEvent.Kind.ASSIGN,
        from_status=concern.status,
        to_status=concern.status,
        note=(note.strip() or _system_note(gettext_lazy("Assigned to %s"), who)),
        public=False,
    )
    notify.assigned(concern)
    _refresh_risk(concern)
    before, after = audit.changes(before, audit.snapshot(concern, "unit", "assigned_to"))
    # Recorded even when nothing changed: the assignment was confirmed, with a note.
    audit.record(actor, "concern.assign", concern, before=before, after=after)
    return concern


@transaction.atomic
def rate_concern(*, concern: Concern, rating: int, comment: str = "") -> Concern:
    """The reporter's rating of the response, once the concern is resolved."""
    concern = Concern.objects.select_for_update().get(pk=concern.pk)
    if concern.status not in (Status.RESOLVED, Status.CLOSED):
        raise ConcernError(_("Only a resolved concern can be rated."), field="rating")
    if not 1 <= rating <= 5:
        raise ConcernError(_("Give a rating from 1 to 5."), field="rating")
    before = audit.snapshot(concern, "rating")
    concern.rating = rating
    concern.rating_comment = comment.strip()
    concern.save(update_fields=["rating", "rating_comment", "updated_at"])
    ConcernEvent.objects.create(
        concern=concern,
        kind=ConcernEvent.Kind.RATING,
        from_status=concern.status,
        to_status=concern.status,
        note=_system_note(gettext_lazy("Rated %(rating)s of 5."), {"rating": rating}),
        public=True,
    )
    audit.record(None, "concern.rate", concern, before=before, after={"rating": rating})
    return concern


def reopen_by_reporter(*, concern: Concern, note: str) -> Concern:
    """The reporter says it is not solved: allowed within the reopening window."""
    if not concern.reporter_may_reopen():
        raise ConcernError(_("This concern can no longer be reopened."), field="status")
    return move_concern(
        concern=concern, actor=None, to_status=Status.REOPENED, note=note, public=True
    )
