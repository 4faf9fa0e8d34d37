from functools import lru_cache

from django.core.signals import setting_changed
from django.db import models
from django.dispatch import receiver
from django.utils.hashable import make_hashable
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


@lru_cache(maxsize=512)
def _labels(field, language: str | None) -> dict:
    return {make_hashable(value): str(label) for value, label in field.flatchoices}


@receiver(setting_changed)
def _forget_labels(*, setting, **kwargs):
    """Translations reloaded (a test changing the languages): labels made again."""
    if setting in {"LANGUAGES", "LANGUAGE_CODE", "LOCALE_PATHS", "USE_I18N", "INSTALLED_APPS"}:
        _labels.cache_clear()


class ChoiceLabels(models.Model):
    """``get_<field>_display()`` from a table per field and language, made once.

    Django's own builds a dict of every choice on each call, and hashes each lazy label, which
    translates it: 0.1 ms a row, a fifth of a page of 100 concerns through the API
    (benchmarks/suite.py). The answer is the same: the label in the active language, or the value
    when it is not a choice."""

    class Meta:
        abstract = True

    def _get_FIELD_display(self, field):
        value = getattr(self, field.attname)
        return _labels(field, get_language()).get(make_hashable(value), value)

    @classmethod
    def label_of(cls, name: str, value) -> str:
        """What ``get_<name>_display()`` says of ``value``, without an instance (a row)."""
        return _labels(cls._meta.get_field(name), get_language()).get(make_hashable(value), value)

    @classmethod
    def labels_of(cls, name: str) -> dict:
        """The labels of field ``name``'s choices in the active language, by value (made
        hashable): ``label_of`` for many rows at once. Not to be changed."""
        return _labels(cls._meta.get_field(name), get_language())


class Holiday(models.Model):
    """A public holiday (or collective leave day): not a working day for deadlines."""

    date = models.DateField(_("date"), unique=True)
    name = models.CharField(_("name"), max_length=120)

    class Meta:
        verbose_name = _("public holiday")
        verbose_name_plural = _("public holidays")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}"
