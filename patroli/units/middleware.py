from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from . import twofactor

# Open to a user who must still enrol: logging in and out, the language, static files.
OPEN_PREFIXES = ("/masuk/", "/i18n/", "/static/", "/media/")


class TwoFactorEnrolmentMiddleware:
    """A logged-in user whose role is in PATROLI_2FA_REQUIRED_ROLES and who has not enrolled in
    two-factor authentication is sent to the enrolment page from every other page (the API
    answers 403). Requests with a bearer token are the API's business: the token endpoint itself
    refuses such a user."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            settings.PATROLI_2FA_REQUIRED_ROLES
            and request.user.is_authenticated
            and "HTTP_AUTHORIZATION" not in request.META
            and not self.open(request.path_info)
            and twofactor.needs_enrolment(request.user)
        ):
            # The enrolment page says why.
            if request.path_info.startswith("/api/"):
                message = _("Your role requires two-factor authentication: set it up first.")
                return JsonResponse({"detail": message}, status=403)
            return redirect("account:two-factor")
        return self.get_response(request)

    @staticmethod
    def open(path: str) -> bool:
        allowed = {
            reverse("account:two-factor"),
            reverse("logout"),
            reverse("offline:service-worker"),
            reverse("offline:manifest"),
        }
        return path in allowed or path.startswith(OPEN_PREFIXES)
