"""Pages a scheduled job may fetch: a logged-in session, or an API token in the header."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.utils.translation import gettext as _

from patroli.units.auth import BearerAuth

_bearer = BearerAuth()


def session_or_token(view):
    """Let in an active session user, or a valid ``Authorization: Bearer`` token.

    A request that offers a token is judged by the token alone: a wrong one answers 401 (a job
    should fail loudly, not receive a login page). A browser without a session is sent to log in.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        header = request.headers.get("Authorization", "")
        if header:
            scheme, _sep, token = header.partition(" ")
            user = (
                _bearer.authenticate(request, token.strip()) if scheme.lower() == "bearer" else None
            )
            if user is None or not user.is_active:
                response = HttpResponse(_("Invalid or expired token."), status=401)
                response["WWW-Authenticate"] = "Bearer"
                return response
            request.user = user
        elif not (request.user.is_authenticated and request.user.is_active):
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper
