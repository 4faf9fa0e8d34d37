from __future__ import annotations

from django.db import IntegrityError, transaction

from .models import Site


def upsert_site(*, village, kind: str, name: str, unit, **fields) -> tuple[Site, bool]:
    """Create a site, or update the one with the same village, kind and name; (site, created).

    An unchanged site is not written again (its update time stays)."""
    values = {"unit": unit, **fields}
    site = Site.objects.filter(village=village, kind=kind, name=name).first()
    if site is None:
        try:
            with transaction.atomic():
                return Site.objects.create(village=village, kind=kind, name=name, **values), True
        except IntegrityError:  # the same site arrived concurrently
            site = Site.objects.get(village=village, kind=kind, name=name)
    changed = [key for key, value in values.items() if getattr(site, key) != value]
    if changed:
        for key in changed:
            setattr(site, key, values[key])
        site.save(update_fields=[*changed, "updated_at"])
    return site, False
