"""Keeping ``Site.latest_visit_at`` and a visit's copies of its dialogue (``Visit.response``,
``Visit.attendees``) true when written one by one with the ORM (the admin, a deletion, a test):
the visit services write in bulk and keep them themselves."""

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from patroli.sites.models import note_visits, refresh_latest_visits

from .models import Dialogue, Visit


def _stored(instance, field: str):
    """The value of ``field`` in the database before this save of ``instance``."""
    return type(instance).objects.filter(pk=instance.pk).values_list(field, flat=True).first()


@receiver(pre_save, sender=Visit)
def _remember_site(sender, instance: Visit, raw=False, **kwargs) -> None:
    if not raw and not instance._state.adding:
        instance._site_before = _stored(instance, "site_id")


@receiver(post_save, sender=Visit)
def _visit_saved(sender, instance: Visit, created: bool, raw=False, **kwargs) -> None:
    if raw:
        return  # loaddata: the fixture carries the sites as they were
    if created:
        note_visits([instance])
    else:  # a start moved back, or the visit moved to another site: count again
        sites = {instance.site_id, getattr(instance, "_site_before", None)} - {None}
        refresh_latest_visits(sites)


@receiver(post_delete, sender=Visit)
def _visit_deleted(sender, instance: Visit, **kwargs) -> None:
    refresh_latest_visits([instance.site_id])


@receiver(pre_save, sender=Dialogue)
def _remember_visit(sender, instance: Dialogue, raw=False, **kwargs) -> None:
    if not raw and not instance._state.adding:
        instance._visit_before = _stored(instance, "visit_id")


@receiver(post_save, sender=Dialogue)
def _dialogue_saved(sender, instance: Dialogue, raw=False, **kwargs) -> None:
    # The visit's copies of the response and the head count (Visit.response): the services set
    # them with the visit; a dialogue saved one by one (the admin) sets them here.
    if raw:
        return
    before = getattr(instance, "_visit_before", None)
    if before is not None and before != instance.visit_id:  # moved to another visit
        Visit.objects.filter(pk=before).update(response="", attendees=None)
    Visit.objects.filter(pk=instance.visit_id).update(
        response=instance.response, attendees=instance.attendees
    )


@receiver(post_delete, sender=Dialogue)
def _dialogue_deleted(sender, instance: Dialogue, **kwargs) -> None:
    Visit.objects.filter(pk=instance.visit_id).update(response="", attendees=None)
