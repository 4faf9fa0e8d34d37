"""`patroli backup [PATH] [--media]`: a consistent copy of the database, safe while serving."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from patroli.core import backups


class Command(BaseCommand):
    # A backup or a restore must work even when a setting would fail the system checks (and
    # skipping them saves a second of a cron job).
    requires_system_checks = []
    help = (
        "Back up the database while the server runs: SQLite through its online backup API, "
        "PostgreSQL with pg_dump --format=custom. Default PATH: "
        "backups/patroli-<database>-<UTC time>.<sqlite3|dump>; a folder as PATH keeps that "
        "name inside it. Prints the file, its size and its SHA-256."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="file (or existing folder) to write")
        parser.add_argument(
            "--media",
            action="store_true",
            help="also archive MEDIA_ROOT (photos) next to it, as <name>-media.tar",
        )

    def handle(self, *args, path, media, **options):
        try:
            target = self._target(path)
            self._report("Database", backups.backup_database(target))
            if media:
                # After the database: every photo the backup names was on disk before it began.
                self._report("Media", backups.backup_media(backups.media_path(target)))
        except backups.BackupError as exc:
            raise CommandError(str(exc)) from exc

    def _target(self, path: str | None) -> Path:
        default = backups.default_path()
        if path is None:
            return default
        target = Path(path)
        return target / default.name if target.is_dir() else target

    def _report(self, what: str, backup: backups.BackupFile) -> None:
        self.stdout.write(f"{what} backup: {backup.path}")
        self.stdout.write(f"  size: {backups.human_size(backup.size)} ({backup.size} bytes)")
        self.stdout.write(f"  sha256: {backup.sha256}")
