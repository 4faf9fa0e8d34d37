"""Logins in the audit trail: success and failure on every path (the login page, the admin's,
the token endpoint) through Django's authentication signals, which carry the request; the
moment a guard locks a user name or an address, from the views that keep the guard."""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed

from .services import record


def connect() -> None:
    user_logged_in.connect(_logged_in, dispatch_uid="patroli.audit.login")
    user_login_failed.connect(_login_failed, dispatch_uid="patroli.audit.login_failed")


def _named(username: str):
    """The officer behind a user name, or the model (the name matches nobody)."""
    model = get_user_model()
    officer = model._default_manager.filter(username=username).first() if username else None
    return officer or model


def _logged_in(sender, request, user, **kwargs):
    record(user, "auth.login", user, request=request)


def _login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username") or "")
    record(None, "auth.login_failed", _named(username), username=username, request=request)


def record_lockout(*, username: str, request, minutes: int) -> None:
    """A guard has just locked ``username`` (or the request's address) for ``minutes``."""
    record(
        None,
        "auth.lockout",
        _named(username),
        username=username,
        request=request,
        after={"minutes": minutes},
    )
