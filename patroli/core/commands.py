"""Output shared by the import commands."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from .importing import ImportResult


def existing_file(path: str) -> str:
    if not Path(path).is_file():
        raise CommandError(f"{path}: no such file")
    return path


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
        count = len(result.errors)
        raise CommandError(f"{count} bad row{'s' if count != 1 else ''}; nothing was written")
