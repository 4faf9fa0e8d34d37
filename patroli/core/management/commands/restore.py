"""`patroli restore PATH [--yes]`: put a backup of `patroli backup` into the configured database."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from patroli.core import backups


class Command(BaseCommand):
    # A backup or a restore must work even when a setting would fail the system checks (and
    # skipping them saves a second of a cron job).
    requires_system_checks = []
    help = (
        "Restore a backup made by `patroli backup` into the configured database. Stop the "
        "server first. An empty database is filled; one with tables is replaced only with --yes. "
        "SQLite: the backup API copies the file in one transaction; PostgreSQL: pg_restore "
        "--clean --if-exists --no-owner in one transaction. Then reports the migration state."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="a .sqlite3 or .dump file written by `patroli backup`")
        parser.add_argument(
            "--yes",
            action="store_true",
            help="replace everything in a database that is not empty",
        )

    def handle(self, *args, path, yes, **options):
        source = Path(path)
        if not source.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            restored = backups.restore_database(source, replace=yes)
        except backups.BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Restored {restored.path} ({backups.human_size(restored.size)})")
        self.stdout.write(f"  sha256: {restored.sha256}")
        state = backups.migration_state()
        if state.unknown:
            self.stderr.write(
                f"The backup has {_count(state.unknown)} this version does not know "
                f"({_some(state.unknown)}): it was made by a newer Patroli. Install that "
                "version before starting the server."
            )
        if state.pending:
            self.stdout.write(
                f"Migrations: {_count(state.pending)} of this version not applied yet "
                f"({_some(state.pending)}): run `patroli migrate` before starting."
            )
        elif not state.unknown:
            self.stdout.write(
                f"Migrations: all {state.applied} applied; the schema matches this version."
            )


def _some(names: list[str]) -> str:
    return ", ".join(names[:5]) + (", …" if len(names) > 5 else "")


def _count(names: list[str]) -> str:
    return f"{len(names)} migration{'s' if len(names) != 1 else ''}"
