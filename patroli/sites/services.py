from __future__ import annotations

from django.db import IntegrityError, transaction

from patroli.audit import services as audit

from .models import Site


@transaction.atomic
def upsert_site(*, village, kind: str, name: str, unit, actor=None, **fields) -> tuple[Site, bool]:
    """Create a site, or update the one with the same village, kind and name; (site, created).

    An unchanged site is not written again (its update time stays)."""
    values = {"unit": unit, **fields}
    site = Site.objects.filter(village=village, kind=kind, name=name).first()
    if site is None:
        try:
            with transaction.atomic():
                site = Site.objects.create(village=village, kind=kind, name=name, **values)
        except IntegrityError:  # the same site arrived concurrently
            site = Site.objects.get(village=village, kind=kind, name=name)
        else:
            after = audit.snapshot(site, "village", "kind", "name", *values)
            audit.record(actor, "site.create", site, after=after)
            return site, True
    changed = [key for key, value in values.items() if getattr(site, key) != value]
    if changed:
        before = audit.snapshot(site, *changed)
        for key in changed:
            setattr(site, key, values[key])
        site.save(update_fields=[*changed, "updated_at"])
        audit.record(
            actor, "site.update", site, before=before, after=audit.snapshot(site, *changed)
        )
    return site, False
