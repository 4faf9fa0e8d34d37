import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.contrib.messages.views import SuccessMessageMixin
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django.views.generic import FormView

from patroli.audit.logins import record_lockout
from patroli.core.ratelimit import LoginGuard, client_ip, over_limit

from . import services, twofactor
from .forms import CodeForm, PasswordResetForm, TokenForm, email_key
from .models import ApiToken, Officer, TwoFactor

# The session key of a login whose password was right and whose code is still to come, and how
# long (seconds) it waits for the code.
PENDING = "patroli_login_pending"
PENDING_SECONDS = 300
# The session key of the secret shown on the enrolment page until a code confirms it.
ENROL_SECRET = "patroli_2fa_secret"  # noqa: S105 - a key name, not a secret


class LoginView(auth_views.LoginView):
    """Django's login, locked for a while after repeated failures (per user name and address).
    An officer with two-factor authentication is logged in only after the code (LoginCodeView)."""

    awaiting_code = False

    def post(self, request, *args, **kwargs):
        guard = LoginGuard(request.POST.get("username", ""), client_ip(request))
        if guard.locked:
            form = self.get_form()
            form.errors.clear()
            form.add_error(None, _("Too many failed attempts. Try again in a few minutes."))
            response = self.render_to_response(self.get_context_data(form=form))
            response.status_code = 429
            return response
        request.session.pop(PENDING, None)
        response = super().post(request, *args, **kwargs)
        if request.user.is_authenticated:
            guard.succeeded()
        elif self.awaiting_code:
            pass  # the count is cleared by the right code, not by the password alone
        else:
            guard.failed()
            if guard.locked:  # this failure locked it
                username = request.POST.get("username", "")
                record_lockout(username=username, request=request, minutes=guard.seconds // 60)
        return response

    def form_valid(self, form):
        user = form.get_user()
        if not twofactor.enrolled(user):
            return super().form_valid(form)
        self.awaiting_code = True
        self.request.session[PENDING] = {
            "user": user.pk,
            "backend": user.backend,
            "next": self.get_success_url(),
            "at": time.time(),
        }
        return HttpResponseRedirect(reverse("login-code"))


class LoginCodeView(FormView):
    """The second step of a login: the code of the authenticator app, or a recovery code.

    Wrong codes count as failed logins of the user name and address (LoginGuard) and are written
    to the audit trail like a wrong password."""

    template_name = "registration/login_code.html"
    form_class = CodeForm

    def dispatch(self, request, *args, **kwargs):
        self.pending = request.session.get(PENDING) or {}
        self.user = None
        if time.time() - self.pending.get("at", 0) <= PENDING_SECONDS:
            self.user = Officer.objects.filter(pk=self.pending.get("user"), is_active=True).first()
        if self.user is None:
            request.session.pop(PENDING, None)
            if self.pending:
                messages.info(request, _("The time for the code has run out: log in again."))
            return redirect("login")
        self.guard = LoginGuard(self.user.get_username(), client_ip(request))
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if self.guard.locked:
            form = self.get_form()
            form.errors.clear()
            form.add_error(None, _("Too many failed attempts. Try again in a few minutes."))
            response = self.render_to_response(self.get_context_data(form=form))
            response.status_code = 429
            return response
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        request = self.request
        used = twofactor.verify(self.user, form.cleaned_data["code"])
        if used is None:
            self.guard.failed()
            username = self.user.get_username()
            user_login_failed.send(
                sender=__name__, credentials={"username": username}, request=request
            )
            if self.guard.locked:
                record_lockout(username=username, request=request, minutes=self.guard.seconds // 60)
            form.add_error("code", _("This code is wrong or has been used already."))
            return self.form_invalid(form)
        request.session.pop(PENDING, None)
        auth_login(request, self.user, backend=self.pending["backend"])
        self.guard.succeeded()
        if used == "recovery":
            messages.warning(
                request,
                _(
                    "You logged in with a recovery code, which cannot be used again "
                    "(%(left)d left). Lost your phone? Set up the app again under Account."
                )
                % {"left": twofactor.recovery_codes_left(self.user)},
            )
        return HttpResponseRedirect(self.pending["next"])


def admin_login(request):
    """The admin's own login page would skip the second factor: everyone logs in on ours."""
    next_url = request.GET.get("next") or reverse("admin:index")
    return redirect(f"{reverse('login')}?{urlencode({'next': next_url})}")


class PasswordResetView(auth_views.PasswordResetView):
    """Django's "forgot password" form, limited per client address and per e-mail address. The
    answer is the same whether or not the address belongs to someone."""

    template_name = "registration/password_reset_form.html"
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    form_class = PasswordResetForm

    def post(self, request, *args, **kwargs):
        rate = settings.PATROLI_PASSWORD_RESET_RATE
        if over_limit("password-reset:ip", client_ip(request), rate):
            form = self.get_form()
            form.add_error(None, _("Too many requests from your address. Try again later."))
            response = self.render_to_response(self.get_context_data(form=form))
            response.status_code = 429
            return response
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        email = form.cleaned_data["email"]
        rate = settings.PATROLI_PASSWORD_RESET_EMAIL_RATE
        if over_limit("password-reset:email", email_key(email), rate):
            return HttpResponseRedirect(self.get_success_url())  # as if sent
        self.extra_email_context = {"base_url": settings.PATROLI_BASE_URL}
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "registration/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "registration/password_reset_confirm.html"


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "registration/password_reset_complete.html"


# -- the account pages ----------------------------------------------------------------------------


@login_required
def account(request):
    user = request.user
    context = {
        "enrolled": twofactor.enrolled(user),
        "required": twofactor.required_for(user),
        "codes_left": twofactor.recovery_codes_left(user),
        "tokens": ApiToken.objects.filter(user=user).active().count(),
    }
    return render(request, "account/home.html", context)


class PasswordChangeView(SuccessMessageMixin, auth_views.PasswordChangeView):
    template_name = "account/password_change.html"
    success_url = reverse_lazy("account:home")
    success_message = gettext_lazy("Your password has been changed.")


@never_cache
@login_required
def two_factor(request):
    """The state of two-factor authentication; when off, the enrolment: a new secret (shown as
    text and as a QR code) that a code from the app confirms. Then the recovery codes, once."""
    user = request.user
    device = TwoFactor.objects.filter(user=user).first()
    if device is not None:
        return render(
            request,
            "account/two_factor.html",
            {
                "device": device,
                "codes_left": twofactor.recovery_codes_left(user),
                "required": twofactor.required_for(user),
                "form": CodeForm(),
            },
        )
    secret = request.session.get(ENROL_SECRET) or twofactor.new_secret()
    request.session[ENROL_SECRET] = secret
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        step = twofactor.totp_step(secret, form.cleaned_data["code"])
        if step is None:
            form.add_error("code", _("This code is wrong. Check the phone's clock and try again."))
        else:
            codes = services.enable_two_factor(user=user, secret=secret, step=step)
            request.session.pop(ENROL_SECRET, None)
            messages.success(request, _("Two-factor authentication is on."))
            return render(request, "account/recovery_codes.html", {"codes": codes})
    uri = twofactor.provisioning_uri(user, secret)
    context = {
        "form": form,
        "secret": twofactor.grouped(secret),
        "uri": uri,
        "qr": twofactor.qr_data_uri(uri),
        "required": twofactor.required_for(user),
    }
    return render(request, "account/two_factor.html", context)


def _code_checked(request) -> bool:
    """The posted code is right (a wrong one counts as a failed login, like at the door)."""
    guard = LoginGuard(request.user.get_username(), client_ip(request))
    if guard.locked:
        messages.error(request, _("Too many failed attempts. Try again in a few minutes."))
        return False
    form = CodeForm(request.POST)
    if form.is_valid() and twofactor.verify(request.user, form.cleaned_data["code"]):
        return True
    guard.failed()
    messages.error(request, _("This code is wrong or has been used already."))
    return False


@never_cache
@login_required
@require_POST
def recovery_codes(request):
    if not twofactor.enrolled(request.user) or not _code_checked(request):
        return redirect("account:two-factor")
    codes = services.new_recovery_codes(user=request.user)
    return render(request, "account/recovery_codes.html", {"codes": codes})


@login_required
@require_POST
def two_factor_off(request):
    user = request.user
    if twofactor.required_for(user):
        messages.error(request, _("Your role requires two-factor authentication."))
    elif twofactor.enrolled(user) and _code_checked(request):
        services.disable_two_factor(user=user, actor=user)
        messages.success(request, _("Two-factor authentication is off."))
    return redirect("account:two-factor")


@never_cache
@login_required
def tokens(request):
    """The user's API tokens, with a form for a new one: its secret is shown this once."""
    form = TokenForm(request.POST or None)
    secret = None
    if request.method == "POST" and form.is_valid():
        _token, secret = services.issue_token(user=request.user, name=form.cleaned_data["name"])
        form = TokenForm()
    context = {
        "form": form,
        "secret": secret,
        "tokens": ApiToken.objects.filter(user=request.user).order_by("-created_at"),
        "now": timezone.now(),
    }
    return render(request, "account/tokens.html", context)


@login_required
@require_POST
def token_revoke(request, token_id):
    token = get_object_or_404(
        ApiToken.objects.select_related("user"), pk=token_id, user=request.user
    )
    services.revoke_tokens(tokens=[token], actor=request.user)
    messages.success(request, _("The token “%(name)s” has been revoked.") % {"name": token.name})
    return redirect("account:tokens")
