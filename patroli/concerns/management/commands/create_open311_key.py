from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from patroli.audit import services as audit
from patroli.concerns.models import Open311Key


class Command(BaseCommand):
    help = (
        "Issue an api_key for an Open311 client (POST /open311/v2/requests). The key is printed "
        "once, as the last line; only its hash is stored."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="who the key is for, e.g. 'Aplikasi Lapor Desa'")

    def handle(self, *args, name, **options):
        name = name.strip()
        if not name:
            raise CommandError("Give the key a name: who it is for.")
        max_length = Open311Key._meta.get_field("name").max_length
        if len(name) > max_length:
            raise CommandError(f"The name is longer than {max_length} characters.")
        with transaction.atomic():
            key, raw = Open311Key.issue(name)
            audit.record(None, "open311_key.issue", key, after={"name": key.name})
        self.stdout.write(
            f"Open311 key {key.pk} issued to {key.name!r}. It is shown only now; "
            "deactivate it in the admin (Open311 keys) if it leaks."
        )
        self.stdout.write(raw)
