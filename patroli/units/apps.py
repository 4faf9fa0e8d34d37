from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UnitsConfig(AppConfig):
    name = "patroli.units"
    verbose_name = _("Units and officers")
