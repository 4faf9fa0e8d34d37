from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PatrolsConfig(AppConfig):
    name = "patroli.patrols"
    verbose_name = _("Patrols")

    def ready(self) -> None:
        from . import signals  # noqa: F401
