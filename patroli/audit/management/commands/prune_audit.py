import sys

from django.conf import settings
from django.core.management.base import BaseCommand

from patroli.audit.services import ChainBroken, prune


class Command(BaseCommand):
    help = (
        "Delete audit events older than PATROLI_AUDIT_RETENTION_DAYS (0 keeps them forever). "
        "The last one deleted becomes the checkpoint from which verify-audit starts."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="keep this many days instead of PATROLI_AUDIT_RETENTION_DAYS",
        )

    def handle(self, *args, days, **options):
        days = settings.PATROLI_AUDIT_RETENTION_DAYS if days is None else days
        if days <= 0:
            self.stdout.write("Retention is 0: audit events are kept forever.")
            return
        try:
            result = prune(days=days)
        except ChainBroken as exc:
            self.stderr.write(f"Nothing more pruned: {exc}")
            sys.exit(1)
        if result.deleted:
            self.stdout.write(
                f"{result.deleted} audit events older than {days} days deleted; "
                f"checkpoint at event {result.through}."
            )
        else:
            self.stdout.write(f"No audit events older than {days} days.")
