"""Output shared by the import commands."""

from django.core.management.base import BaseCommand, CommandError

from .importing import ImportResult


def report_import(command: BaseCommand, result: ImportResult, what: str) -> None:
    """Print the outcome; raise CommandError (exit status 1) when rows were rejected."""
    for error in result.errors:
        command.stderr.write(str(error))
    if result.written:
        command.stdout.write(
            f"{what}: {result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged"
            + (f", {len(result.errors)} rows skipped" if result.errors else "")
        )
    if result.errors and not result.written:
        raise CommandError(f"{len(result.errors)} bad rows; nothing was written")
