"""Password rules of our own, beside Django's four (AUTH_PASSWORD_VALIDATORS in settings.py)."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_NOT_ALNUM = re.compile(r"[\W_]+")


def _letters_and_digits(text: str) -> str:
    return _NOT_ALNUM.sub("", text).casefold()


class NoNameOrUnitValidator:
    """Refuses a password that contains the user name or the code of the user's unit, whatever
    the case and punctuation ("Polsek_Sepaku2024" holds "polsek-sepaku"): the first things a
    colleague would try."""

    min_length = 3  # shorter names are part of too many good passwords

    def validate(self, password: str, user=None) -> None:
        if user is None:
            return
        plain = _letters_and_digits(password)
        unit = user.unit if getattr(user, "unit_id", None) else None
        if self._contains(plain, user.get_username()):
            raise ValidationError(
                _("The password must not contain your user name."), code="password_has_username"
            )
        if unit is not None and self._contains(plain, unit.code):
            raise ValidationError(
                _("The password must not contain the code of your unit."),
                code="password_has_unit_code",
            )

    def _contains(self, plain: str, value: str) -> bool:
        value = _letters_and_digits(value or "")
        return len(value) >= self.min_length and value in plain

    def get_help_text(self) -> str:
        return _("Your password must not contain your user name or the code of your unit.")
