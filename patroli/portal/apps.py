from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "patroli.portal"
    verbose_name = _("Public portal")
