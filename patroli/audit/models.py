"""The audit trail: who did what to which record, each event chained to the one before by hash.

See docs/audit.md for what is recorded and what the chain proves.
"""

from __future__ import annotations

import hashlib
import json
import math
from datetime import UTC

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# The prev_hash of the first event of a chain that was never pruned.
GENESIS = "0" * 64

# Every action recorded, with its label (docs/audit.md explains each).
ACTIONS = {
    "visit.create": _("visit recorded"),
    "visit.photo_add": _("visit photo added"),
    "concern.open": _("concern opened"),
    "concern.move": _("concern status changed"),
    "concern.assign": _("concern assigned"),
    "concern.rate": _("concern rated"),
    "incident.create": _("incident recorded"),
    "release.create": _("release created"),
    "release.edit": _("release edited"),
    "release.submit": _("release sent for review"),
    "release.publish": _("release published"),
    "release.schedule": _("release scheduled"),
    "release.unpublish": _("release unpublished"),
    "comment.approve": _("comment approved"),
    "comment.hide": _("comment removed"),
    "comment.spam": _("comment marked as spam"),
    "comment.hold": _("comment held for moderation"),
    "plan.create": _("patrol plan created"),
    "plan.approve": _("patrol plan approved"),
    "plan.stop_move": _("plan stop moved"),
    "plan.stop_remove": _("plan stop removed"),
    "site.create": _("site created"),
    "site.update": _("site updated"),
    "site.import": _("sites imported"),
    "token.issue": _("API token issued"),
    "token.revoke": _("API token revoked"),
    "open311_key.issue": _("Open311 key issued"),
    "auth.login": _("logged in"),
    "auth.login_failed": _("failed login"),
    "auth.lockout": _("login locked"),
    "auth.2fa_enable": _("two-factor authentication turned on"),
    "auth.2fa_disable": _("two-factor authentication turned off"),
    "auth.recovery_codes": _("new recovery codes"),
    "admin.add": _("added in the admin"),
    "admin.change": _("changed in the admin"),
    "admin.delete": _("deleted in the admin"),
    "audit.prune": _("old audit events pruned"),
}


def canonical(value):
    """``value`` as it reads back from any database. PostgreSQL's jsonb stores numbers as
    decimals, so 2.0 may come back as 2 and 1e+20 as an integer: integral floats hash as ints."""
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return int(value) if value.is_integer() else value
    if isinstance(value, dict):
        return {str(key): canonical(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [canonical(item) for item in value]
    return value


def _json(value) -> str:
    """The canonical JSON of ``value``: sorted keys, no spaces, non-ASCII unescaped."""
    return json.dumps(canonical(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(fields: dict) -> str:
    """SHA-256 of the canonical JSON (sorted keys, no spaces, UTF-8) of ``fields``."""
    return hashlib.sha256(_json(fields).encode()).hexdigest()


def chain_text_parts(fields: dict, holes: dict[str, bool]) -> list[str]:
    """The canonical JSON of ``fields`` that :func:`chain_hash` hashes, cut where the values of
    ``holes`` go (a hole's name: whether its value is a JSON string, whose quotes then stay in
    the text around it): the text before the first hole, then the text after each, in the order
    of the keys. The database fills the holes (``audit.lock_head``) with values that JSON writes
    as they are: a number, a hex digest."""
    parts, text = [], "{"
    for index, key in enumerate(sorted(fields)):
        text += ("," if index else "") + _json(key) + ":"
        if key in holes:
            quote = '"' if holes[key] else ""
            parts.append(text + quote)
            text = quote
        else:
            text += _json(fields[key])
    parts.append(text + "}")
    return parts


class AuditEvent(models.Model):
    """One staff write (or login) in the audit trail. Never changed once written.

    The id is the event's position in the chain (1, 2, 3…, no gaps), handed out under the lock
    of the chain head, so a missing event shows as a gap. ``actor`` and ``unit`` keep their ids
    after the officer or unit is deleted (no database constraint, nothing cascades into the
    trail); ``actor_username`` keeps the name.
    """

    access_unit_field = "unit"

    id = models.BigIntegerField(_("number"), primary_key=True, editable=False)
    time = models.DateTimeField(_("time"), db_index=True, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_username = models.CharField(_("user name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=40, db_index=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    unit = models.ForeignKey(
        "units.Unit",
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    before = models.JSONField(_("before"), default=dict, blank=True)
    after = models.JSONField(_("after"), default=dict, blank=True)
    ip = models.CharField(_("IP address"), max_length=45, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=200, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.object_type} {self.object_id}".strip()

    def hashed_fields(self) -> dict:
        return {
            "id": self.id,
            "time": self.time.astimezone(UTC).isoformat(),
            "actor": self.actor_id,
            "actor_username": self.actor_username,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "unit": self.unit_id,
            "before": self.before,
            "after": self.after,
            "ip": self.ip,
            "user_agent": self.user_agent,
            "prev_hash": self.prev_hash,
        }

    def compute_hash(self) -> str:
        return chain_hash(self.hashed_fields())


class ChainHead(models.Model):
    """The single row (id 1) that serialises writers: the last event's number and hash, and the
    checkpoint left by pruning (the last pruned event), from which verification starts."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS)
    checkpoint_seq = models.BigIntegerField(default=0)
    checkpoint_hash = models.CharField(max_length=64, default=GENESIS)
    checkpoint_time = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("audit chain head")
        verbose_name_plural = _("audit chain head")

    def __str__(self) -> str:
        return f"{self.seq} {self.hash}"
