import hashlib

from django import forms
from django.contrib.auth import forms as auth_forms
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from patroli.concerns.notify import send_email


class CodeForm(forms.Form):
    """A code from the authenticator app (or a recovery code)."""

    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "none",
                "autofocus": True,
                "spellcheck": "false",
            }
        ),
    )


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=80,
        help_text=_("Which device or program uses it, e.g. “laptop Polsek Sepaku”."),
    )


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's form, with the mail queued as a background task (the answer takes as long
    whether the address is known or not) and its link built on PATROLI_BASE_URL."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        # In the language of the page the request came from.
        subject = "".join(render_to_string(subject_template_name, context).splitlines())
        body = render_to_string(email_template_name, context)
        send_email.enqueue([to_email], subject, body)


def email_key(email: str) -> str:
    """A rate-limit key for an e-mail address that does not keep the address in the cache."""
    return hashlib.sha256(email.strip().casefold().encode()).hexdigest()[:32]
