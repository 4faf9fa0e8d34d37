"""The command lines of the guides run: each ``.venv/bin/patroli …`` of a shell block in README.md
and docs/ names a command that exists, with options that its parser takes (a cron line copied
from the admin guide must not fail at night)."""

import re
import shlex
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import get_commands, load_command_class
from django.core.management.base import CommandError
from django.test import override_settings

ROOT = Path(__file__).resolve().parents[3]
GUIDES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```(?:sh|bash|console)?\n(.*?)^```", re.MULTILINE | re.DOTALL)
LINE = re.compile(r"\.venv/bin/patroli ([a-z_-]+)(.*)")
# The database queue, as production has it (the tests run tasks at once; the queue's commands
# check that they are given a database queue).
DATABASE_QUEUE = {
    "default": {**settings.TASKS["default"], "BACKEND": "django_tasks_db.DatabaseBackend"}
}


def documented() -> list[tuple[str, str, list[str]]]:
    found = []
    for guide in GUIDES:
        for block in BLOCK.findall(guide.read_text(encoding="utf-8")):
            for line in block.splitlines():
                if line.lstrip().startswith("#") or not (match := LINE.search(line)):
                    continue
                name, rest = match.groups()
                # What the shell does with the rest (a comment, a pipe, redirections) is not the
                # command's business.
                rest = re.split(r"\s#|\||[0-9]?>|&&|;", rest)[0]
                found.append((guide.name, name, shlex.split(rest)))
    return found


LINES = documented()


def test_the_guides_hold_the_command_lines_of_production():
    names = {name for _guide, name, _args in LINES}
    production = {"serve", "db_worker", "compute-risk", "prune-audit", "clearsessions"}
    assert production | {"prune_db_task_results", "send-daily-report"} <= names


@pytest.mark.parametrize(
    ("guide", "name", "args"), LINES, ids=[f"{g}:{n} {' '.join(a)}" for g, n, a in LINES]
)
def test_a_documented_command_line_is_taken_by_its_command(guide, name, args):
    commands = get_commands()
    module = name.replace("-", "_")  # as the `patroli` script reads it (patroli/cli.py)
    assert module in commands, f"{guide} names `patroli {name}`, which does not exist"
    command = load_command_class(commands[module], module)
    with override_settings(TASKS=DATABASE_QUEUE):
        parser = command.create_parser("patroli", name)
        try:
            parser.parse_args(args)
        except CommandError as error:
            pytest.fail(f"{guide}: `patroli {name} {shlex.join(args)}` is refused: {error}")


def test_a_wrong_option_would_be_caught():
    command = load_command_class(get_commands()["prune_audit"], "prune_audit")
    with pytest.raises(CommandError):
        command.create_parser("patroli", "prune-audit").parse_args(["--no-such-option"])
