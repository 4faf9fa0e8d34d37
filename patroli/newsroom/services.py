"""Newsroom writes: the editorial workflow with its revision history, and comments."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from patroli.audit import services as audit
from patroli.core.search import stems_column

from .models import BlockedTerm, Comment, Release, Revision

EDITABLE = ("title", "dateline", "body", "published_at", "cover")
LINK = re.compile(r"https?://|www\.", re.IGNORECASE)
FLOOD_SECONDS = 15


class NewsroomError(Exception):
    """A refused write; ``status`` is the HTTP status it answers with, ``field`` the input."""

    def __init__(self, message: str, *, status: int = 400, field: str | None = None):
        super().__init__(message)
        self.status = status
        self.field = field


def can_write(user) -> bool:
    return user.is_superuser or user.role in {"humas", "commander", "admin"}


def can_approve(user) -> bool:
    if user.is_superuser or user.role == "admin":
        return True
    return user.role == settings.PATROLI_RELEASE_APPROVER


def _require(allowed: bool) -> None:
    if not allowed:
        raise NewsroomError(_("You may not do this."), status=403)


def _unique_slug(title: str, release_id: int | None = None) -> str:
    base = slugify(title)[:200] or "berita"
    slug, n = base, 1
    while Release.objects.filter(slug=slug).exclude(pk=release_id).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _revise(release: Release, editor, action: str, changed: list[str]) -> None:
    Revision.objects.create(
        release=release,
        editor=editor,
        action=action,
        changed=changed,
        title=release.title,
        dateline=release.dateline,
        body=release.body,
        status=release.status,
    )


def _prepare(release: Release) -> None:
    release.render()
    release.search_stems = stems_column(release.title, release.body)


@transaction.atomic
def create_release(
    *, author, unit, title: str, body: str, dateline: str = "", visit=None
) -> Release:
    _require(can_write(author))
    release = Release(
        unit=unit,
        visit=visit,
        title=title.strip(),
        dateline=dateline.strip(),
        body=body,
        created_by=author,
    )
    _prepare(release)
    for _attempt in range(3):
        release.slug = _unique_slug(release.title)
        try:
            with transaction.atomic():
                release.save()
            break
        except IntegrityError:  # the same slug was taken a moment ago
            continue
    _revise(release, author, "created", ["title", "dateline", "body"])
    after = audit.snapshot(release, "title", "slug", "dateline", "body", "status", "visit")
    audit.record(author, "release.create", release, after=after)
    return release


@transaction.atomic
def update_release(*, release: Release, editor, **fields) -> Release:
    """Change the editable fields; a published release stays published (corrections)."""
    _require(can_write(editor))
    release = Release.objects.select_for_update().get(pk=release.pk)
    before = audit.snapshot(release, *EDITABLE, "slug")
    changed = []
    for name, value in fields.items():
        if name not in EDITABLE:
            raise NewsroomError(_("%s cannot be changed here.") % name, field=name)
        if isinstance(value, str):
            # Browsers send CRLF line ends: the same text must not count as a change.
            value = value.replace("\r\n", "\n")
            value = value if name == "body" else value.strip()
        if getattr(release, name) != value:
            setattr(release, name, value)
            changed.append(name)
    if not release.title:
        raise NewsroomError(_("The title is empty."), field="title")
    if not release.body.strip():
        raise NewsroomError(_("The text is empty."), field="body")
    if changed:
        if "title" in changed and release.status != Release.Status.PUBLISHED:
            release.slug = _unique_slug(release.title, release.pk)
        _prepare(release)
        release.save()
        _revise(release, editor, "edited", changed)
        before, after = audit.changes(before, audit.snapshot(release, *EDITABLE, "slug"))
        audit.record(editor, "release.edit", release, before=before, after=after)
    return release


@transaction.atomic
def submit_for_review(*, release: Release, actor) -> Release:
    _require(can_write(actor))
    release = Release.objects.select_for_update().get(pk=release.pk)
    if release.status != Release.Status.DRAFT:
        raise NewsroomError(_("Only a draft can be sent for review."), status=409)
    release.status = Release.Status.REVIEW
    release.save(update_fields=["status", "updated_at"])
    _revise(release, actor, "submitted", ["status"])
    _record_status(actor, "release.submit", release, Release.Status.DRAFT)
    return release


@transaction.atomic
def publish_release(*, release: Release, actor, at: datetime | None = None) -> Release:
    """Publish now, or at ``at`` (scheduled). Needs the approver's role (a setting)."""
    _require(can_approve(actor))
    release = Release.objects.select_for_update().get(pk=release.pk)
    if release.status == Release.Status.PUBLISHED and release.is_live:
        raise NewsroomError(_("This release is already published."), status=409)
    before = audit.snapshot(release, "status", "published_at")
    release.status = Release.Status.PUBLISHED
    release.published_at = at or timezone.now()
    release.save(update_fields=["status", "published_at", "updated_at"])
    scheduled = bool(at and at > timezone.now())
    _revise(release, actor, "scheduled" if scheduled else "published", ["status"])
    before, after = audit.changes(before, audit.snapshot(release, "status", "published_at"))
    action = "release.schedule" if scheduled else "release.publish"
    audit.record(actor, action, release, before=before, after=after)
    return release


@transaction.atomic
def unpublish_release(*, release: Release, actor) -> Release:
    _require(can_approve(actor))
    release = Release.objects.select_for_update().get(pk=release.pk)
    if release.status != Release.Status.PUBLISHED:
        raise NewsroomError(_("This release is not published."), status=409)
    release.status = Release.Status.DRAFT
    release.save(update_fields=["status", "updated_at"])
    _revise(release, actor, "unpublished", ["status"])
    _record_status(actor, "release.unpublish", release, Release.Status.PUBLISHED)
    return release


def _record_status(actor, action: str, release: Release, was: str) -> None:
    audit.record(actor, action, release, before={"status": was}, after={"status": release.status})


def hold_reason(*, email: str, body: str, website: str) -> str:
    """Why a new comment waits for a moderator ('' when it may appear at once)."""
    if len(LINK.findall(body)) + (1 if website else 0) >= 2:
        return _("two or more links")
    lowered = f"{body} {website}".casefold()
    for term in BlockedTerm.objects.values_list("term", flat=True):
        if term.casefold() in lowered:
            return _("a blocked word")
    if not Comment.objects.filter(email__iexact=email, status=Comment.Status.APPROVED).exists():
        return _("first comment from this address")
    return ""


@transaction.atomic
def post_comment(
    *,
    release: Release,
    name: str,
    email: str,
    body: str,
    website: str = "",
    parent: Comment | None = None,
    ip: str | None = None,
    now: datetime | None = None,
) -> Comment:
    """A reader's comment, with the rules of news sites; refusals raise NewsroomError."""
    now = now or timezone.now()
    name, email, body = name.strip(), email.strip().lower(), body.strip()
    if not release.is_live:
        raise NewsroomError(_("Comments are closed."), status=404)
    if not name:
        raise NewsroomError(_("Your name is required."), field="name")
    if not email:
        raise NewsroomError(_("Your e-mail address is required."), field="email")
    if not body:
        raise NewsroomError(_("The comment is empty."), field="body")
    depth = 1
    if parent is not None:
        if parent.release_id != release.pk or parent.status != Comment.Status.APPROVED:
            raise NewsroomError(_("You can only reply to a published comment."), field="parent")
        depth = min(parent.depth + 1, Comment.MAX_DEPTH)
        if parent.depth >= Comment.MAX_DEPTH:
            parent = parent.parent  # the thread is deep enough: reply beside it
    same_sender = Comment.objects.filter(email=email)
    if ip:
        same_sender = Comment.objects.filter(email=email) | Comment.objects.filter(ip=ip)
    if same_sender.filter(release=release, body=body).exists():
        raise NewsroomError(_("Duplicate comment: it looks as though you already said that."))
    if same_sender.filter(created_at__gt=now - timedelta(seconds=FLOOD_SECONDS)).exists():
        raise NewsroomError(_("You are posting comments too quickly. Slow down."), status=429)
    reason = hold_reason(email=email, body=body, website=website)
    return Comment.objects.create(
        release=release,
        parent=parent,
        depth=depth,
        name=name,
        email=email,
        website=website,
        body=body,
        ip=ip or None,
        status=Comment.Status.PENDING if reason else Comment.Status.APPROVED,
        held_because=reason,
    )


MODERATION_ACTIONS = {
    Comment.Status.APPROVED: "comment.approve",
    Comment.Status.REMOVED: "comment.hide",
    Comment.Status.SPAM: "comment.spam",
    Comment.Status.PENDING: "comment.hold",
}


def _require_moderator(actor, status: str) -> None:
    if status not in Comment.Status.values:
        raise NewsroomError(_("Unknown status."), field="status")
    _require(actor.is_superuser or actor.role in {"humas", "commander", "admin"})


@transaction.atomic
def moderate_comment(*, comment: Comment, actor, status: str) -> Comment:
    _require_moderator(actor, status)
    was = comment.status
    Comment.objects.filter(pk=comment.pk).update(
        status=status, moderated_by=actor, moderated_at=timezone.now()
    )
    comment.refresh_from_db()
    audit.record(
        actor,
        MODERATION_ACTIONS[status],
        comment,
        before={"status": was},
        after={"status": status},
    )
    return comment


@transaction.atomic
def moderate_comments(*, comments, actor, status: str) -> int:
    """Moderate several comments at once (the admin's actions): one audit event for the batch."""
    _require_moderator(actor, status)
    ids = sorted(comments.values_list("pk", flat=True))
    count = Comment.objects.filter(pk__in=ids).update(
        status=status, moderated_by=actor, moderated_at=timezone.now()
    )
    if ids:
        audit.record(
            actor, MODERATION_ACTIONS[status], Comment, after={"status": status, "comments": ids}
        )
    return count
