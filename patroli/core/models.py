from django.db import models
from django.utils.translation import gettext_lazy as _


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
