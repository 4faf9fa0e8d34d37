"""API authentication: bearer tokens for devices, the session for the web app."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from .models import ApiToken, hash_token


class BearerAuth(HttpBearer):
    def authenticate(self, request, token: str):
        # The hash is unique: no ORDER BY nor LIMIT to compile (first() adds both), on the
        # query that every request with a token makes.
        found = list(
            ApiToken.objects.active()
            .select_related("user__unit")
            .filter(key_hash=hash_token(token))
            .order_by()
        )
        if not found:
            return None
        record = found[0]
        now = timezone.now()
        # Recording the last use once a minute is enough and keeps reads from writing each time.
        if record.last_used_at is None or now - record.last_used_at > timedelta(minutes=1):
            ApiToken.objects.filter(pk=record.pk).update(last_used_at=now)
        request.user = record.user
        return record.user


class ActiveSessionAuth(SessionAuth):
    """The web app's session (CSRF-checked by django-ninja), for active users only.

    A request without a session cookie is not the web app's: it is left unauthenticated (401),
    not refused for a missing CSRF token (django-ninja checks CSRF before it looks for a
    session, which answered a device without a token 403 "CSRF check Failed")."""

    def __call__(self, request):
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return None
        return super().__call__(request)

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        return user if user is not None and user.is_active else None


AUTH = [BearerAuth(), ActiveSessionAuth()]
