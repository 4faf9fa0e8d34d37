"""Writes on officers' credentials: API tokens and two-factor authentication, each with an audit
event."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from patroli.audit import services as audit

from . import twofactor
from .models import ApiToken, RecoveryCode, TwoFactor


@transaction.atomic
def issue_token(*, user, name: str = "") -> tuple[ApiToken, str]:
    """A new token of ``user``: (token, the secret, shown once)."""
    token, raw = ApiToken.issue(user, name=name)
    audit.record(
        user,
        "token.issue",
        token,
        after={"user": user.pk, "name": token.name, "expires_at": token.expires_at},
        unit=user.unit_id,
    )
    return token, raw


@transaction.atomic
def revoke_tokens(*, tokens: Iterable[ApiToken], actor) -> int:
    """Delete ``tokens``, one audit event each (a token's id is what one searches for)."""
    count = 0
    for token in tokens:
        audit.record(
            actor,
            "token.revoke",
            token,
            before={"user": token.user_id, "name": token.name, "expires_at": token.expires_at},
            unit=token.user.unit_id,
        )
        token.delete()
        count += 1
    return count


@transaction.atomic
def enable_two_factor(*, user, secret: str, step: int | None = None) -> list[str]:
    """Turn on two-factor authentication with ``secret`` (confirmed by a code of time ``step``,
    which cannot be used again); return the new recovery codes, shown once."""
    TwoFactor.objects.filter(user=user).delete()
    device = TwoFactor.objects.create(user=user, secret=secret, last_step=step)
    codes = twofactor.new_recovery_codes(user)
    audit.record(user, "auth.2fa_enable", device, after={"user": user.pk}, unit=user.unit_id)
    return codes


@transaction.atomic
def new_recovery_codes(*, user) -> list[str]:
    """Replace the user's recovery codes; return the new ones, shown once."""
    codes = twofactor.new_recovery_codes(user)
    audit.record(user, "auth.recovery_codes", user, after={"codes": len(codes)})
    return codes


@transaction.atomic
def disable_two_factor(*, user, actor) -> bool:
    """Turn off two-factor authentication (the user's choice, or an administrator's after a lost
    phone); False when it was not on."""
    device = TwoFactor.objects.filter(user=user).first()
    RecoveryCode.objects.filter(user=user).delete()
    if device is None:
        return False
    audit.record(actor, "auth.2fa_disable", device, before={"user": user.pk}, unit=user.unit_id)
    device.delete()
    return True
