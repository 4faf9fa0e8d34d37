from django.contrib.auth import views as auth_views
from django.utils.translation import gettext as _

from patroli.core.ratelimit import LoginGuard, client_ip


class LoginView(auth_views.LoginView):
    """Django's login, locked for a while after repeated failures (per user name and address)."""

    def post(self, request, *args, **kwargs):
        guard = LoginGuard(request.POST.get("username", ""), client_ip(request))
        if guard.locked:
            form = self.get_form()
            form.errors.clear()
            form.add_error(None, _("Too many failed attempts. Try again in a few minutes."))
            response = self.render_to_response(self.get_context_data(form=form))
            response.status_code = 429
            return response
        response = super().post(request, *args, **kwargs)
        if request.user.is_authenticated:
            guard.succeeded()
        else:
            guard.failed()
        return response
