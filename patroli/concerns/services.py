"""Concern writes. The full lifecycle (transitions, SLA, notifications) builds on open_concern."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from .models import Category, Concern, ConcernEvent, new_tracking_code


@transaction.atomic
def open_concern(
    *,
    source: str,
    category: Category,
    description: str,
    village,
    unit,
    site=None,
    visit=None,
    created_by=None,
    lat: float | None = None,
    lon: float | None = None,
) -> Concern:
    """Create a concern in status ``received`` with its first event."""
    for _attempt in range(5):
        try:
            with transaction.atomic():
                concern = Concern.objects.create(
                    tracking_code=new_tracking_code(),
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
                )
            break
        except IntegrityError:  # a tracking-code collision: draw again
            continue
    else:
        raise RuntimeError("could not draw a free tracking code")
    ConcernEvent.objects.create(
        concern=concern, actor=created_by, from_status="", to_status=Concern.Status.RECEIVED
    )
    return concern
