"""Settings come from the environment; DEBUG is off unless asked for; dates read as Indonesian."""

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from django.utils import formats, translation

ROOT = Path(__file__).resolve().parents[3]


def load_settings(**env):
    """Import the settings module in a fresh interpreter with only ``env`` set."""
    code = (
        "import patroli.settings as s; "
        "print(s.DEBUG, s.DATABASES['default']['ENGINE'], s.TIME_ZONE, s.LANGUAGE_CODE)"
    )
    clean = {"PATH": os.environ["PATH"], **env}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True
    )


def test_defaults_are_safe():
    result = load_settings(SECRET_KEY="k")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "django.db.backends.sqlite3", "Asia/Makassar", "id"]


def test_refuses_to_start_without_secret_key_in_production():
    result = load_settings()
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_secret_key_from_file_and_postgres_url(tmp_path):
    key = tmp_path / "key"
    key.write_text("from-a-file\n")
    result = load_settings(
        SECRET_KEY_FILE=str(key), DATABASE_URL="postgres://u@db.example:5432/patroli", DEBUG="1"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:2] == ["True", "django.db.backends.postgresql"]


def test_indonesian_dates():
    moment = datetime(2024, 1, 23, 10, 0, tzinfo=ZoneInfo("Asia/Makassar"))
    with translation.override("id"):
        assert formats.date_format(moment, "DATE_FORMAT") == "23 Januari 2024"
    with translation.override("en"):
        assert formats.date_format(moment, "DATE_FORMAT") == "23 January 2024"


def test_default_sqlite_file_runs_in_wal_mode(tmp_path):
    """The embedded default: a SQLite file in WAL mode with a busy timeout."""
    code = (
        "import django; django.setup(); from django.db import connection; "
        "c = connection.cursor(); c.execute('PRAGMA journal_mode'); print(c.fetchone()[0]); "
        "c.execute('PRAGMA busy_timeout'); print(c.fetchone()[0])"
    )
    env = {
        "PATH": os.environ["PATH"],
        "SECRET_KEY": "k",
        "DJANGO_SETTINGS_MODULE": "patroli.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'wal.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["wal", "20000"]
