from __future__ import annotations

from django.db import IntegrityError, transaction

from .models import Site


def upsert_site(*, village, kind: str, name: str, unit, **fields) -> tuple[Site, bool]:
    """Create a site, or update the one with the same village, kind and name; (site, created)."""
    try:
        with transaction.atomic():
            site, created = Site.objects.update_or_create(
                village=village, kind=kind, name=name, defaults={"unit": unit, **fields}
            )
    except IntegrityError:  # the same site arrived concurrently
        site = Site.objects.get(village=village, kind=kind, name=name)
        created = False
    return site, created
