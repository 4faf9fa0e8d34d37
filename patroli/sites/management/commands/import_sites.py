from django.core.management.base import BaseCommand

from patroli.core.commands import existing_file, report_import
from patroli.sites.importer import import_sites


class Command(BaseCommand):
    help = (
        "Import sites from a CSV with columns name, kind, village (required) and unit, lat, lng, "
        "address, tps_number, voters. Any bad row writes nothing, unless --skip-invalid."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="write the good rows and report the bad ones",
        )

    def handle(self, *args, file, skip_invalid, **options):
        report_import(self, import_sites(existing_file(file), skip_invalid=skip_invalid), "sites")
