from django.core.management.base import BaseCommand, CommandError

from patroli.elections.risk import compute_all
from patroli.units.models import Unit


class Command(BaseCommand):
    help = (
        "Recompute and store the risk score of every site and village (of one unit's subtree "
        "with --unit). Run it periodically: ages and days since the last visit grow with time."
    )

    def add_arguments(self, parser):
        parser.add_argument("--unit", metavar="CODE", help="only this unit and the units under it")

    def handle(self, *args, unit=None, **options):
        scope = None
        if unit:
            scope = Unit.objects.filter(code=unit).first()
            if scope is None:
                raise CommandError(f"{unit}: no unit has this code")
        count = compute_all(scope)
        self.stdout.write(f"risk scores: {count} computed")
