import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from patroli.audit.services import event_hash, verify_chain


class Command(BaseCommand):
    help = (
        "Recompute the audit trail's hash chain from its start (or the checkpoint left by "
        "pruning). Prints 'OK, N events', or the first broken link and exits with status 1."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--print-head",
            action="store_true",
            help="also print the head (last event number and hash) to keep somewhere else",
        )
        parser.add_argument(
            "--expect-head",
            metavar="N:HASH",
            help="a head printed earlier: check that event N still has that hash",
        )

    def handle(self, *args, print_head, expect_head, **options):
        expected = None
        if expect_head:
            number, _, digest = expect_head.partition(":")
            if not number.isdigit() or len(digest) != 64:
                raise CommandError("--expect-head takes N:HASH, as printed by --print-head")
            expected = int(number), digest.lower()
        with translation.override("en"):
            result = verify_chain()
            if result.ok:
                self.stdout.write(result.summary())
            else:
                self.stderr.write(result.summary())
        if print_head:
            self.stdout.write(f"head {result.head_seq}:{result.head_hash}")
        broken = not result.ok
        if expected is not None:
            found = event_hash(expected[0])
            if found is None:
                self.stderr.write(f"event {expected[0]} is not in the chain (pruned or unknown)")
                broken = True
            elif found != expected[1]:
                self.stderr.write(
                    f"BROKEN: event {expected[0]} has hash {found}, not the {expected[1]} "
                    "exported before: the chain was rewritten"
                )
                broken = True
        if broken:
            sys.exit(1)
