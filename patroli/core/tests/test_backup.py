"""`patroli backup` and `patroli restore`: a backup restored into an empty database holds the same
rows, table by table; a full database is replaced only when asked; a failed backup leaves no file.

The backup is taken in this process from the test database (committed data: a transactional
test), the restore runs as the administrator runs it, `patroli restore` in a subprocess, into an
empty second database (SQLite: a file; PostgreSQL: a database created here and dropped after).
"""

import hashlib
import io
import os
import re
import sqlite3
import subprocess
import sys
import tarfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from PIL import Image

from patroli.concerns.models import Category, Concern
from patroli.concerns.services import move_concern
from patroli.core import backups
from patroli.core.photos import prepare_photo
from patroli.newsroom.services import (
    create_release,
    post_comment,
    publish_release,
    submit_for_review,
)
from patroli.patrols.models import Appeal, Dialogue, Participant, Visit, VisitPhoto
from patroli.patrols.services import (
    ConcernData,
    DialogueData,
    IncidentData,
    ParticipantData,
    record_visit,
)

ROOT = Path(__file__).resolve().parents[3]
PATROLI = [sys.executable, "-m", "patroli.cli"]


# Shared with test_crash_safety.py: a second database of the engine this run tests.


@dataclass
class ScratchDatabase:
    vendor: str  # "sqlite" or "postgresql"
    name: str  # file path or database name
    url: str  # DATABASE_URL for a subprocess

    @contextmanager
    def connect(self):
        """A plain DB-API connection in autocommit mode (no Django in between), closed after."""
        db = raw_connect(self.vendor, self.name)
        try:
            yield db
        finally:
            db.close()

    def env(self, **extra: str) -> dict[str, str]:
        return {
            "PATH": os.environ["PATH"],
            "HOME": os.environ.get("HOME", "/tmp"),  # noqa: S108
            "SECRET_KEY": "backup-test",
            "DATABASE_URL": self.url,
            "ALLOWED_HOSTS": "127.0.0.1",
            **extra,
        }

    def patroli(self, *args: str, timeout: float = 120, **env: str):
        return subprocess.run(  # noqa: S603
            [*PATROLI, *args],
            cwd=ROOT,
            env=self.env(**env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def vendor() -> str:
    engine = django_settings.DATABASES["default"]["ENGINE"]
    return "sqlite" if engine.endswith("sqlite3") else "postgresql"


def _pg_params(dbname: str) -> dict:
    default = django_settings.DATABASES["default"]
    params = {"dbname": dbname, "host": default["HOST"] or None, "user": default["USER"] or None}
    if default["PORT"]:
        params["port"] = default["PORT"]
    if default["PASSWORD"]:
        params["password"] = default["PASSWORD"]
    return params


def raw_connect(kind: str, name: str):
    if kind == "sqlite":
        # isolation_level None: autocommit, every read sees what is committed at that moment.
        return sqlite3.connect(name, uri=name.startswith("file:"), timeout=20, isolation_level=None)
    import psycopg

    return psycopg.connect(**_pg_params(name), autocommit=True)


@contextmanager
def scratch_database(folder: Path, label: str) -> Iterator[ScratchDatabase]:
    """An empty database: an SQLite file in ``folder``, or a new PostgreSQL database on the
    server of this run, dropped afterwards (with FORCE: a killed server leaves sessions)."""
    if vendor() == "sqlite":
        path = folder / f"{label}.sqlite3"
        yield ScratchDatabase("sqlite", str(path), f"sqlite:///{path}")
        return
    default = django_settings.DATABASES["default"]
    name = f"patroli_{label}_{uuid.uuid4().hex[:8]}"
    with raw_connect("postgresql", "postgres") as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    credentials = quote(default["USER"] or "", safe="")
    if default["PASSWORD"]:
        credentials += ":" + quote(default["PASSWORD"], safe="")
    address = default["HOST"] or "localhost"
    if default["PORT"]:
        address += f":{default['PORT']}"
    try:
        yield ScratchDatabase("postgresql", name, f"postgres://{credentials}@{address}/{name}")
    finally:
        with raw_connect("postgresql", "postgres") as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def table_keys() -> dict[str, list[str]]:
    """Every table behind a model, the auto-created many-to-many tables included, and the
    migration record: its primary-key columns."""
    keys = {"django_migrations": ["id"]}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy or not model._meta.managed:
            continue
        pk = model._meta.pk
        keys[model._meta.db_table] = [f.column for f in getattr(pk, "fields", (pk,))]
    return keys


def fingerprints(db) -> dict[str, tuple[int, str]]:
    """Per table: the number of rows and a SHA-256 over the rows in primary-key order."""
    quote_name = '"{}"'.format
    result = {}
    cursor = db.cursor()
    for table, key in sorted(table_keys().items()):
        order = ", ".join(quote_name(column) for column in key)
        cursor.execute(f"SELECT * FROM {quote_name(table)} ORDER BY {order}")  # noqa: S608
        digest, count = hashlib.sha256(), 0
        for row in cursor.fetchall():
            digest.update(repr(tuple(row)).encode() + b"\n")
            count += 1
        result[table] = (count, digest.hexdigest())
    cursor.close()
    return result


# The data: the world of conftest.py, visits with dialogues, concerns, an incident and a photo,
# a published release with a comment.


def png() -> io.BytesIO:
    file = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(file, "PNG")
    file.name = "foto.png"
    file.seek(0)
    return file


@pytest.fixture
def recorded(libraries, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    appeals = list(Appeal.objects.filter(active=True)[:3])
    category = Category.objects.filter(active=True).first()
    start = timezone.now() - timedelta(days=2)
    visits = []
    for i in range(6):
        visit, _ = record_visit(
            recorded_by=world.officer,
            site=world.pps_bumi if i % 2 else world.tps_bumi,
            started_at=start + timedelta(hours=i),
            ended_at=start + timedelta(hours=i, minutes=40),
            lat=-0.9239 if i % 2 else None,
            lon=116.5830 if i % 2 else None,
            officers=[world.officer, world.kapolsek],
            dialogue=DialogueData(
                participants=[
                    ParticipantData("Suparno", "Ketua PPS", "PPS Bumi Harapan"),
                    ParticipantData(f"Warga {i}"),
                ],
                attendees=12 + i,
                topics=["pemilu damai", "hoaks"],
                appeals=appeals,
                response=Dialogue.Response.POSITIVE,
                notes=f"Catatan kunjungan {i}: tanggapan positif.",
                statement="Mari jaga keamanan bersama.",
            ),
            concerns=[ConcernData(category, f"Isu politik uang di RT {i}")] if i < 3 else [],
            incidents=[IncidentData("other", "green", "Keributan kecil")] if i == 4 else [],
            photos=[prepare_photo(png())] if i == 5 else [],
        )
        visits.append(visit)
    concern = Concern.objects.filter(visit=visits[0]).get()
    move_concern(concern=concern, actor=world.kapolsek, to_status="verified", note="Dicek")
    release = create_release(
        author=world.humas,
        unit=world.polres,
        title="Patroli dialogis di Kantor PPS Desa Bumi Harapan",
        body="Polsek Sepaku menggelar patroli dialogis.",
        dateline="Sepaku",
        visit=visits[1],
    )
    release = submit_for_review(release=release, actor=world.humas)
    release = publish_release(release=release, actor=world.humas)
    post_comment(release=release, name="Warga", email="warga@example.org", body="Mantap, Pak!")
    return visits


def test_a_backup_restored_into_an_empty_database_has_every_row(recorded, tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    out = io.StringIO()
    call_command("backup", str(folder), "--media", stdout=out)
    printed = out.getvalue()
    suffix = "sqlite3" if vendor() == "sqlite" else "dump"
    written = sorted(folder.iterdir())
    assert [p.suffix for p in written] == [".tar", f".{suffix}"]  # nothing half-written beside
    backup, media = written[1], written[0]
    assert re.fullmatch(r"patroli-.+-\d{8}T\d{6}Z\.(sqlite3|dump)", backup.name)
    assert media.name == f"{backup.stem}-media.tar"
    # The command prints the path, the size and the SHA-256 of each file.
    assert f"Database backup: {backup}" in printed
    assert f"({backup.stat().st_size} bytes)" in printed
    assert f"sha256: {hashlib.sha256(backup.read_bytes()).hexdigest()}" in printed
    assert f"sha256: {hashlib.sha256(media.read_bytes()).hexdigest()}" in printed
    photo = VisitPhoto.objects.get()
    with tarfile.open(media) as archive:
        names = set(archive.getnames())
    assert f"./{photo.image.name}" in names
    assert f"./{photo.thumbnail.name}" in names

    source = raw_connect(vendor(), connection.settings_dict["NAME"])
    try:
        expected = fingerprints(source)
    finally:
        source.close()
    # Not a comparison of empty tables: the records of every kind are there.
    for model in (Visit, Dialogue, Participant, Concern, VisitPhoto):
        assert expected[model._meta.db_table][0] > 0, model
    assert expected[Dialogue.appeals.through._meta.db_table][0] == 6 * 3
    assert expected[Visit.officers.through._meta.db_table][0] == 6 * 2
    assert expected["newsroom_release"][0] == expected["newsroom_comment"][0] == 1
    assert expected["audit_auditevent"][0] > 10

    with scratch_database(tmp_path, "restored") as target:
        done = target.patroli("restore", str(backup))
        assert done.returncode == 0, done.stderr
        assert "the schema matches this version" in done.stdout
        with target.connect() as restored:
            assert fingerprints(restored) == expected

        # Not empty any more: refused without --yes, nothing touched.
        with target.connect() as restored:
            restored.execute("DELETE FROM newsroom_comment")
        done = target.patroli("restore", str(backup))
        assert done.returncode == 1
        assert "is not empty" in done.stderr and "--yes" in done.stderr
        with target.connect() as restored:
            assert fingerprints(restored)["newsroom_comment"][0] == 0

        # With --yes the contents are replaced by the backup's.
        done = target.patroli("restore", str(backup), "--yes")
        assert done.returncode == 0, done.stderr
        with target.connect() as restored:
            assert fingerprints(restored) == expected


@pytest.mark.django_db
def test_a_failed_backup_leaves_no_file(tmp_path, monkeypatch):
    target = tmp_path / "backups" / "patroli.bak"

    def fails_half_way(_connection_or_settings, partial: Path) -> None:
        partial.write_bytes(b"half a backup")
        raise backups.BackupError("the disk is full")

    monkeypatch.setattr(backups, "_sqlite_backup", fails_half_way)
    monkeypatch.setattr(backups, "_pg_dump", fails_half_way)
    with pytest.raises(CommandError, match="the disk is full"):
        call_command("backup", str(target))
    assert list(target.parent.iterdir()) == []

    a_file = tmp_path / "a-file"
    a_file.write_text("")
    with pytest.raises(CommandError, match="is not a folder"):
        call_command("backup", str(a_file / "patroli.bak"))


def test_postgresql_tools_get_the_password_by_environment_only(monkeypatch):
    monkeypatch.setenv("PATH", "/nowhere")
    args, env = backups._pg_connection(
        {
            "NAME": "patroli",
            "USER": "patroli",
            "PASSWORD": "rahasia-sekali",
            "HOST": "db.internal",
            "PORT": 5433,
            "OPTIONS": {"sslmode": "require"},
        }
    )
    assert args == [
        "--username=patroli",
        "--host=db.internal",
        "--port=5433",
        "--dbname=patroli",
        "--no-password",
    ]
    assert env["PGPASSWORD"] == "rahasia-sekali"
    assert env["PGSSLMODE"] == "require"
    with pytest.raises(backups.BackupError, match="pg_dump is not installed"):
        backups._pg_dump({"NAME": "patroli", "OPTIONS": {}}, Path("x.dump"))


@pytest.mark.django_db
def test_restore_refuses_a_backup_of_the_other_database_kind(tmp_path):
    other = tmp_path / "other.bak"
    other.write_bytes(b"PGDMP..." if vendor() == "sqlite" else b"SQLite format 3\x00...")
    with pytest.raises(CommandError, match="the configured database is"):
        call_command("restore", str(other))
    junk = tmp_path / "junk.bak"
    junk.write_bytes(b"hello")
    with pytest.raises(CommandError, match="neither an SQLite database nor a pg_dump"):
        call_command("restore", str(junk))
