from django.core.management.base import BaseCommand

from patroli.core.commands import existing_file, report_import
from patroli.elections.baseline import import_baselines


class Command(BaseCommand):
    help = (
        "Import IKP-style risk baselines from a CSV with columns region, social_political, "
        "administration, contestation, participation (0-100) and optionally source. Any bad row "
        "writes nothing. Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **options):
        report_import(self, import_baselines(existing_file(file)), "risk baselines")
