from django.core.management.base import BaseCommand, CommandError

from patroli.core.demo import USERS, DemoError, seed_demo
from patroli.regions.importer import DEFAULT_FILE


class Command(BaseCommand):
    help = "Load the demo (regions, Polsek Sepaku, officers, sites, the Bumi Harapan patrol)."

    def add_arguments(self, parser):
        parser.add_argument("--password", help="give every demo user this password")
        parser.add_argument("--regions-file", default=str(DEFAULT_FILE))

    def handle(self, *args, password, regions_file, **options):
        try:
            logins = seed_demo(password=password, regions_file=regions_file)
        except DemoError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS("Demo ready. Logins:"))
        width = max(len(u) for u in logins)
        for spec in USERS:
            self.stdout.write(
                f"  {spec.username:<{width}}  {logins[spec.username]}   ({spec.position})"
            )
