from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "patroli.core"
    verbose_name = _("Core")

    def ready(self):
        from . import search

        # SQLite drops a table's triggers when a migration rebuilds the table: put the search
        # triggers back after every migrate (a no-op when they are there).
        post_migrate.connect(
            search.repair_sqlite_indexes, sender=self, dispatch_uid="patroli-search-repair"
        )
