"""Incident writes. A recorded incident updates the risk of its site and village promptly."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from patroli.audit import services as audit
from patroli.core.ids import uuid7
from patroli.units.models import Unit

from .models import Incident


class IncidentError(Exception):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def record_incident(
    *,
    recorded_by,
    kind: str,
    severity: str,
    occurred_at: datetime,
    village,
    site=None,
    description: str = "",
    lat: float | None = None,
    lon: float | None = None,
    visit=None,
    unit: Unit | None = None,
    incident_id: uuid.UUID | None = None,
) -> tuple[Incident, bool]:
    """Store an incident; a re-sent ``incident_id`` returns the stored one: (incident, created)."""
    if incident_id is not None and (stored := Incident.objects.filter(pk=incident_id).first()):
        return stored, False
    unit = unit or (site.unit if site else Unit.objects.responsible_for(village))
    if unit is None:
        raise IncidentError(_("No police unit covers this village yet."), field="village")
    try:
        with transaction.atomic():
            incident = Incident.objects.create(
                id=incident_id or uuid7(),
                kind=kind,
                severity=severity,
                occurred_at=occurred_at,
                village=village,
                site=site,
                description=description.strip(),
                lat=lat,
                lon=lon,
                visit=visit,
                unit=unit,
                recorded_by=recorded_by,
            )
            _refresh_risk(incident)
            after = audit.snapshot(
                incident, "kind", "severity", "occurred_at", "village", "site", "visit", "unit"
            )
            audit.record(recorded_by, "incident.create", incident, after=after)
    except IntegrityError:
        if incident_id is not None and (stored := Incident.objects.filter(pk=incident_id).first()):
            return stored, False
        raise
    return incident, True


def _refresh_risk(incident: Incident) -> None:
    from . import risk

    site_ids = [incident.site_id] if incident.site_id else []
    risk.refresh_on_commit(site_ids=site_ids, village_codes=[incident.village_id])
