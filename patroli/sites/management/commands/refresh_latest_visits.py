from django.core.management.base import BaseCommand
from django.db import transaction

from patroli.sites.models import refresh_latest_visits


class Command(BaseCommand):
    help = (
        "Set each site's latest visit (what coverage and the dashboards count from) from the "
        "visits table. Patroli keeps it as visits are written; run this after loading visits "
        "around the application (loaddata of an old dump, SQL)."
    )

    def handle(self, *args, **options):
        with transaction.atomic():
            count = refresh_latest_visits()
        self.stdout.write(f"sites: {count} refreshed")
