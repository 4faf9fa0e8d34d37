from django.core.management.base import BaseCommand
from django.db import transaction

from patroli.patrols.models import refresh_dialogue_copies
from patroli.sites.models import refresh_latest_visits


class Command(BaseCommand):
    help = (
        "Set each site's latest visit, and each visit's copy of its dialogue's response and head "
        "count (what coverage and the dashboards count from), from the visits and dialogues. "
        "Patroli keeps them as visits are written; run this after loading visits around the "
        "application (loaddata of an old dump, SQL)."
    )

    def handle(self, *args, **options):
        with transaction.atomic():
            sites = refresh_latest_visits()
            visits = refresh_dialogue_copies()
        self.stdout.write(f"sites: {sites} refreshed")
        self.stdout.write(f"visits: {visits} refreshed")
