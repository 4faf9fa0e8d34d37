"""E-mail about concerns, queued after the transaction commits (django-tasks)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django_tasks import task


@task()
def send_email(to: list[str], subject: str, body: str) -> int:
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to)


def _queue(to: list[str], template: str, context: dict) -> None:
    to = sorted({address for address in to if address})
    if not to:
        return
    with translation.override(settings.LANGUAGE_CODE):
        text = render_to_string(template, {"base_url": settings.PATROLI_BASE_URL, **context})
    subject, _, body = text.strip().partition("\n")
    transaction.on_commit(lambda: send_email.enqueue(to, subject.strip(), body.strip() + "\n"))


def tracking_url(concern) -> str:
    return settings.PATROLI_BASE_URL + reverse("portal:track", args=[concern.tracking_code])


def staff_url(concern) -> str:
    return settings.PATROLI_BASE_URL + reverse("concerns:detail", args=[concern.pk])


def concern_received(concern) -> None:
    context = {"concern": concern, "staff_url": staff_url(concern), "track": tracking_url(concern)}
    _queue([concern.unit.email], "concerns/email/new_for_unit.txt", context)
    if concern.source != concern.Source.PATROL:
        _queue([concern.reporter_email], "concerns/email/received.txt", context)


def status_changed(concern, event) -> None:
    context = {"concern": concern, "event": event, "track": tracking_url(concern)}
    _queue([concern.reporter_email], "concerns/email/status_changed.txt", context)


def assigned(concern) -> None:
    to = [concern.assigned_to.email] if concern.assigned_to else [concern.unit.email]
    _queue(to, "concerns/email/assigned.txt", {"concern": concern, "staff_url": staff_url(concern)})


def overdue_list(unit, concerns) -> None:
    context = {
        "unit": unit,
        "items": [(c, staff_url(c)) for c in concerns],
    }
    commanders = unit.officers.filter(role="commander", is_active=True).values_list(
        "email", flat=True
    )
    _queue([unit.email, *commanders], "concerns/email/overdue.txt", context)
