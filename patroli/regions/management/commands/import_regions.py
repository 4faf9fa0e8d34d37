from django.core.management.base import BaseCommand

from patroli.core.commands import existing_file, report_import
from patroli.regions.importer import DEFAULT_FILE, import_regions


class Command(BaseCommand):
    help = "Load Kemendagri regions from a CSV (the shipped 2025 file by default). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", default=str(DEFAULT_FILE))

    def handle(self, *args, file, **options):
        report_import(self, import_regions(existing_file(file)), "regions")
