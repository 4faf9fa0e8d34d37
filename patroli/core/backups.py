"""Backups of the database and the media folder, and their restore (`patroli backup`, `restore`).

SQLite is copied with its online backup API: a consistent snapshot, taken while the server keeps
writing (WAL). PostgreSQL is dumped by pg_dump in its custom format and restored by pg_restore.
Every file is written under a temporary name in the target folder and renamed once complete and
flushed to disk, so a file with a backup's name is always whole, and a failure leaves nothing.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import DatabaseError, connections
from django.db.backends.postgresql.client import DatabaseClient as PostgresClient
from django.db.migrations.executor import MigrationExecutor

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
SUFFIXES = {"sqlite": "sqlite3", "postgresql": "dump"}
CLIENT_HINT = (
    "install the PostgreSQL client of the server's major version "
    "(Debian: apt install postgresql-client-15)"
)


class BackupError(Exception):
    """Anything that stops a backup or a restore, said for the administrator."""


@dataclass
class BackupFile:
    path: Path
    size: int
    sha256: str


@dataclass
class MigrationState:
    applied: int
    pending: list[str] = field(default_factory=list)  # of this version, not in the database
    unknown: list[str] = field(default_factory=list)  # in the database, not in this version


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def describe(path: Path) -> BackupFile:
    return BackupFile(path=path, size=path.stat().st_size, sha256=file_sha256(path))


def default_path(*, using: str = "default", now: datetime | None = None) -> Path:
    """backups/patroli-<database>-<UTC time>.<sqlite3|dump>, relative to the current folder."""
    connection = connections[using]
    name = str(connection.settings_dict["NAME"] or "database")
    label = Path(name).stem if connection.vendor == "sqlite" else name
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return Path("backups") / f"patroli-{label}-{stamp}.{suffix(using)}"


def suffix(using: str = "default") -> str:
    vendor = connections[using].vendor
    if vendor not in SUFFIXES:
        raise BackupError(f"backups of {vendor} databases are not supported")
    return SUFFIXES[vendor]


def media_path(database_backup: Path) -> Path:
    """The media archive that goes with a database backup: the same name, ending -media.tar."""
    return database_backup.with_name(f"{database_backup.stem}-media.tar")


@contextmanager
def _writing(path: Path) -> Iterator[Path]:
    """A temporary file next to ``path`` (readable by its owner only) to write into; renamed to
    ``path`` when the block succeeds, deleted when anything fails, Ctrl-C included."""
    for folder in path.parents:
        if folder.exists() and not folder.is_dir():
            raise BackupError(f"cannot write {path}: {folder} is not a folder")
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
        os.close(handle)
    except OSError as exc:
        raise BackupError(f"cannot write {path}: {exc.strerror or exc}") from exc
    temporary = Path(name)
    try:
        yield temporary
        with temporary.open("rb+") as f:
            os.fsync(f.fileno())
        os.replace(temporary, path)
        _fsync_folder(path.parent)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise BackupError(f"cannot write {path}: {exc.strerror or exc}") from exc
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (a crash right after it keeps the new name)."""
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def backup_database(path: Path, *, using: str = "default") -> BackupFile:
    """Write a backup of the database ``using`` to ``path``; its size and SHA-256."""
    connection = connections[using]
    suffix(using)  # refuses other databases before anything is written
    name = str(connection.settings_dict["NAME"])
    if connection.vendor == "sqlite" and Path(name).resolve() == path.resolve():
        raise BackupError(f"{path} is the database itself: choose another file")
    with _writing(path) as temporary:
        if connection.vendor == "sqlite":
            _sqlite_backup(connection, temporary)
        else:
            _pg_dump(connection.settings_dict, temporary)
    return describe(path)


def _sqlite_backup(connection, target: Path) -> None:
    connection.ensure_connection()
    destination = sqlite3.connect(target)
    try:
        # One step: the whole database as of one moment. In WAL mode the server's writes go on
        # meanwhile (a backup in several steps would restart whenever another process writes).
        connection.connection.backup(destination)
        # The copy inherits WAL mode; a rollback journal makes it one self-contained file.
        destination.execute("PRAGMA journal_mode=DELETE")
        check = destination.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"the copy fails SQLite's check: {check}")
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite backup failed: {exc}") from exc
    finally:
        destination.close()


def _pg_program(name: str) -> str:
    program = shutil.which(name)
    if program is None:
        raise BackupError(f"{name} is not installed or not on PATH: {CLIENT_HINT}")
    return program


def _pg_connection(settings_dict: dict) -> tuple[list[str], dict[str, str]]:
    """Options naming the database and the environment carrying the password and TLS files:
    a password never appears on a command line (other users of the machine can read those)."""
    _psql, env = PostgresClient.settings_to_cmd_args_env(settings_dict, [])
    args = []
    for option, key in (("--username", "USER"), ("--host", "HOST"), ("--port", "PORT")):
        if settings_dict.get(key):
            args.append(f"{option}={settings_dict[key]}")
    if settings_dict.get("NAME"):
        args.append(f"--dbname={settings_dict['NAME']}")
    return [*args, "--no-password"], {**os.environ, **(env or {})}


def _run(args: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        detail = done.stderr.strip() or f"exit status {done.returncode}"
        hint = f" ({CLIENT_HINT})" if "version mismatch" in detail else ""
        raise BackupError(f"{what} failed: {detail}{hint}")


def _pg_dump(settings_dict: dict, target: Path) -> None:
    connection_args, env = _pg_connection(settings_dict)
    _run(
        [_pg_program("pg_dump"), "--format=custom", f"--file={target}", *connection_args],
        env,
        "pg_dump",
    )


def backup_media(path: Path) -> BackupFile:
    """Archive MEDIA_ROOT (photos, release covers) as an uncompressed tar (JPEGs do not shrink);
    its members are relative, so ``tar -xf FILE -C "$MEDIA_ROOT"`` puts them back."""
    if not isinstance(default_storage, FileSystemStorage):
        raise BackupError(
            "uploads are kept in object storage (AWS_STORAGE_BUCKET_NAME), not in MEDIA_ROOT: "
            "back up the bucket with its own tools (versioning, replication, rclone)"
        )
    root = Path(settings.MEDIA_ROOT)
    with _writing(path) as temporary, tarfile.open(temporary, "w") as archive:
        if root.is_dir():
            archive.add(root, arcname=".")
    return describe(path)


def backup_kind(path: Path) -> str:
    """ "sqlite" or "postgresql", from the first bytes of the file."""
    try:
        with path.open("rb") as f:
            head = f.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    raise BackupError(f"{path} is neither an SQLite database nor a pg_dump custom-format archive")


def table_count(using: str = "default") -> int:
    connection = connections[using]
    try:
        with connection.cursor() as cursor:
            return len(connection.introspection.table_names(cursor))
    except DatabaseError as exc:
        raise BackupError(f"cannot open the database: {exc}") from exc


def restore_database(path: Path, *, using: str = "default", replace: bool = False) -> BackupFile:
    """Put the backup at ``path`` into the database ``using``, which must hold no tables unless
    ``replace``; then everything in it is replaced. The server must be stopped meanwhile."""
    connection = connections[using]
    kind = backup_kind(path)
    if kind != connection.vendor:
        raise BackupError(
            f"{path} is a {kind} backup but the configured database is {connection.vendor}; "
            "to move between the two, see 'Growing past one server' in docs/admin-guide.md"
        )
    described = describe(path)
    tables = table_count(using)
    if tables and not replace:
        raise BackupError(
            f"the database {connection.settings_dict['NAME']} is not empty ({tables} tables). "
            "Stop the server, then run again with --yes to replace everything in it by the backup"
        )
    connection.close()  # our own connection must not hold the database while it is replaced
    if kind == "sqlite":
        _sqlite_restore(path, connection.settings_dict)
    else:
        _pg_restore(path, connection.settings_dict, clean=bool(tables))
    return described


def _sqlite_restore(path: Path, settings_dict: dict) -> None:
    name = str(settings_dict["NAME"])
    if name == ":memory:" or "mode=memory" in name:
        raise BackupError("the configured database is in memory: set DATABASE_URL to a file")
    if Path(name).resolve() == path.resolve():
        raise BackupError(f"{path} is the configured database itself")
    source = sqlite3.connect(path)
    destination = sqlite3.connect(name, timeout=20)
    try:
        check = source.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"{path} is damaged (SQLite's check says: {check}); nothing changed")
        # The backup API in reverse: one transaction on the target, so an interruption leaves it
        # as it was (a file copied over a WAL database could mix with its -wal file instead).
        source.backup(destination)
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite restore failed: {exc}; nothing changed") from exc
    finally:
        source.close()
        destination.close()


def _pg_restore(path: Path, settings_dict: dict, *, clean: bool) -> None:
    connection_args, env = _pg_connection(settings_dict)
    # Dropping what the backup holds before creating it again; all in one transaction, so a
    # failure leaves the database as it was. Owners and grants are those of the target's role.
    options = ["--clean", "--if-exists"] if clean else []
    options += ["--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error"]
    _run([_pg_program("pg_restore"), *options, *connection_args, str(path)], env, "pg_restore")


def migration_state(using: str = "default") -> MigrationState:
    """How the restored database's migrations compare with this version's."""
    executor = MigrationExecutor(connections[using])
    loader = executor.loader
    plan = executor.migration_plan(loader.graph.leaf_nodes())
    applied = loader.applied_migrations
    return MigrationState(
        applied=len(applied),
        pending=[f"{migration.app_label}.{migration.name}" for migration, _ in plan],
        unknown=sorted(
            f"{app}.{name}" for app, name in applied if (app, name) not in loader.graph.nodes
        ),
    )


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB"):
        if value < 1024:
            return f"{size} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"
