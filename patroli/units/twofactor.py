"""Two-factor authentication: time-based one-time codes (TOTP, RFC 6238) from an authenticator
app, and one-time recovery codes for a lost phone.

A code is accepted within one 30-second step either side of the server's clock (phones drift) and
only once: the step of the last code accepted is stored. Recovery codes are stored as an HMAC
keyed with SECRET_KEY (SECRET_KEY_FALLBACKS are tried too), so that a copy of the database alone
does not reveal them.
"""

from __future__ import annotations

import hmac
import secrets
import time

import pyotp
import segno
from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac

from .models import RecoveryCode, TwoFactor

ISSUER = "Patroli"
RECOVERY_CODES = 10
# Letters and digits that cannot be mistaken for one another when read from paper.
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY_LENGTH = 10  # about 50 bits


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user, secret: str) -> str:
    """The otpauth:// address an authenticator app reads (from the QR code)."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.get_username(), issuer_name=ISSUER)


def qr_data_uri(uri: str) -> str:
    """The QR code of ``uri`` as an SVG data: URI (allowed by the CSP's img-src)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def grouped(secret: str) -> str:
    """The secret in groups of four, for typing it by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def enrolled(user) -> bool:
    return TwoFactor.objects.filter(user=user).exists()


def required_for(user) -> bool:
    """True when PATROLI_2FA_REQUIRED_ROLES names the user's role (superusers count as admin)."""
    roles = set(settings.PATROLI_2FA_REQUIRED_ROLES)
    if not roles or not getattr(user, "is_authenticated", False):
        return False
    return user.role in roles or (user.is_superuser and "admin" in roles)


def needs_enrolment(user) -> bool:
    return required_for(user) and not enrolled(user)


def _normalise(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def totp_step(secret: str, code: str, *, at: float | None = None) -> int | None:
    """The time step whose code ``code`` is (the current one or a neighbour), or None."""
    code = _normalise(code)
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now = int((at or time.time()) // totp.interval)
    for step in (now, now - 1, now + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _hashes(user, code: str) -> list[str]:
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    value = f"{user.pk}:{_normalise(code)}"
    return [
        salted_hmac("patroli.recovery-code", value, secret=key, algorithm="sha256").hexdigest()
        for key in keys
    ]


def new_recovery_codes(user) -> list[str]:
    """Replace the user's recovery codes with new ones; return them (the only time they show)."""
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    RecoveryCode.objects.filter(user=user).delete()
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, code_hash=_hashes(user, code)[0]) for code in codes
    )
    return codes


def recovery_codes_left(user) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def verify(user, code: str) -> str | None:
    """Check a code of an enrolled user and use it up: "totp", "recovery" or None (refused)."""
    device = TwoFactor.objects.filter(user=user).first()
    if device is None or not code:
        return None
    step = totp_step(device.secret, code)
    if step is not None:
        # One update decides, so that two requests with the same code cannot both pass.
        fresh = Q(last_step__isnull=True) | Q(last_step__lt=step)
        accepted = TwoFactor.objects.filter(fresh, pk=device.pk).update(last_step=step)
        return "totp" if accepted else None
    if len(_normalise(code)) != _RECOVERY_LENGTH:
        return None
    used = RecoveryCode.objects.filter(
        user=user, code_hash__in=_hashes(user, code), used_at__isnull=True
    ).update(used_at=timezone.now())
    return "recovery" if used else None
