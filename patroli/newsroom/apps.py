from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NewsroomConfig(AppConfig):
    name = "patroli.newsroom"
    verbose_name = _("Newsroom")
