from itertools import groupby

from django.core.management.base import BaseCommand

from patroli.concerns import notify
from patroli.concerns.models import Concern


class Command(BaseCommand):
    help = "E-mail each unit (and its commanders) the list of its overdue concerns. Run from cron."

    def handle(self, *args, **options):
        overdue = (
            Concern.objects.overdue()
            .select_related("unit", "category", "village")
            .order_by("unit_id", "due_at")
        )
        units = 0
        total = 0
        for _unit_id, group in groupby(overdue, key=lambda c: c.unit_id):
            concerns = list(group)
            notify.overdue_list(concerns[0].unit, concerns)
            units += 1
            total += len(concerns)
        self.stdout.write(f"{total} overdue concerns in {units} units")
