"""A process killed in the middle of a write (SIGKILL: no clean-up, like a crash or the OOM killer)
leaves whole records only, and sending the same work again completes it without duplicates.

Real processes on a real database: `patroli serve` (gunicorn) and `patroli import-sites` in
subprocesses, on a file or scratch database of the engine this run tests. Select with -m crash.
"""

import http.client
import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from patroli.core.tests.test_backup import PATROLI, ROOT, scratch_database

pytestmark = pytest.mark.crash

VISITS = 200

SETUP = """
import json
from patroli.regions.importer import import_regions
from patroli.sites.models import Site
from patroli.units.models import ApiToken, Officer, Unit

assert import_regions({regions!r}).ok
unit = Unit.objects.create(code="polsek-sepaku", name="Polsek Sepaku", level="polsek")
unit.regions.set(["64.09.04"])
site = Site.objects.create(
    name="Kantor PPS Desa Bumi Harapan", kind="pps_office", village_id="64.09.04.2004",
    unit=unit, lat=-0.923927, lng=116.583091,
)
officer = Officer.objects.create(username="bhabin.bumiharapan", unit=unit, role="officer")
_, raw = ApiToken.issue(officer, name="crash test")
print(json.dumps({{"token": raw, "site": site.pk}}))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def install(tmp_path_factory, ppu_regions_file):
    """A migrated database with a unit, a site and an officer holding an API token."""
    folder = tmp_path_factory.mktemp("crash")
    with scratch_database(folder, "crash") as database:
        done = database.patroli("migrate", "--no-input", "-v0")
        assert done.returncode == 0, done.stderr
        done = database.patroli("shell", "-v0", "-c", SETUP.format(regions=str(ppu_regions_file)))
        assert done.returncode == 0, done.stderr
        created = json.loads(done.stdout.strip().splitlines()[-1])
        yield SimpleNamespace(db=database, folder=folder, **created)


class Server:
    """`patroli serve` in its own process group, so that SIGKILL takes master and worker at once
    (killing the master alone would let the worker finish the request it is serving)."""

    def __init__(self, install, log: Path):
        self.port = free_port()
        self.log = log.open("ab")
        env = install.db.env(
            STATIC_ROOT=str(install.folder), MEDIA_ROOT=str(install.folder / "media")
        )
        self.process = subprocess.Popen(  # noqa: S603
            [*PATROLI, "serve", "--bind", f"127.0.0.1:{self.port}", "--workers", "1"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(self.url("/readyz"), timeout=2):  # noqa: S310
                    return
            except OSError:
                assert self.process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "the server did not answer within 30 s"
                time.sleep(0.1)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def kill(self, sig=signal.SIGKILL) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            self.process.wait(timeout=30)
        self.log.close()


def sync(server: Server, token: str, visits: list[dict]) -> dict:
    request = urllib.request.Request(  # noqa: S310
        server.url("/api/v1/sync"),
        data=json.dumps({"visits": visits}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
        return json.load(response)


def batch(site: int, appeals: list[str]) -> list[dict]:
    start = datetime.now(UTC) - timedelta(days=1)
    return [
        {
            "id": str(uuid.uuid4()),
            "site": site,
            "started_at": (start + timedelta(minutes=i)).isoformat(),
            "kind": "dialogic",
            "dialogue": {
                "participants": [
                    {"name": f"Ketua PPS {i}", "role": "Ketua", "organisation": "PPS"},
                    {"name": f"Warga {i}"},
                ],
                "attendees": 10 + i % 7,
                "topics": ["pemilu damai"],
                "appeals": appeals,
                "response": "positive",
                "notes": f"Dialog ke-{i} tentang keamanan pemilu.",
            },
        }
        for i in range(VISITS)
    ]


def stored_visits(db) -> dict[str, dict]:
    """Each stored visit by id, with the counts of its dialogue's rows."""
    rows = db.execute(
        """
        SELECT v.id, d.id,
            (SELECT count(*) FROM patrols_participant p WHERE p.dialogue_id = d.id),
            (SELECT count(*) FROM patrols_dialogue_appeals a WHERE a.dialogue_id = d.id),
            (SELECT count(*) FROM patrols_visit_officers o WHERE o.visit_id = v.id)
        FROM patrols_visit v LEFT JOIN patrols_dialogue d ON d.visit_id = v.id
        """
    ).fetchall()
    return {
        str(uuid.UUID(str(visit))): {
            "dialogue": dialogue is not None,
            "participants": participants,
            "appeals": appeals,
            "officers": officers,
        }
        for visit, dialogue, participants, appeals, officers in rows
    }


def orphans(db) -> int:
    """Rows of a dialogue whose visit, or of a participant or appeal link whose dialogue, is
    missing (foreign keys forbid them; this checks that nothing slipped through)."""
    return db.execute(
        """
        SELECT
          (SELECT count(*) FROM patrols_dialogue d
             WHERE NOT EXISTS (SELECT 1 FROM patrols_visit v WHERE v.id = d.visit_id))
        + (SELECT count(*) FROM patrols_participant p
             WHERE NOT EXISTS (SELECT 1 FROM patrols_dialogue d WHERE d.id = p.dialogue_id))
        + (SELECT count(*) FROM patrols_dialogue_appeals a
             WHERE NOT EXISTS (SELECT 1 FROM patrols_dialogue d WHERE d.id = a.dialogue_id))
        """
    ).fetchone()[0]


def count(db, sql: str) -> int:
    return db.execute(sql).fetchone()[0]


def assert_whole(db, expected_appeals: int) -> dict[str, dict]:
    visits = stored_visits(db)
    whole = {"dialogue": True, "participants": 2, "appeals": expected_appeals, "officers": 1}
    broken = {ident: rows for ident, rows in visits.items() if rows != whole}
    assert not broken, f"{len(broken)} visits stored in part, e.g. {next(iter(broken.items()))}"
    assert orphans(db) == 0
    # One audit event per stored visit, written in its batch's transaction.
    assert count(db, "SELECT count(*) FROM audit_auditevent WHERE action = 'visit.create'") == len(
        visits
    )
    return visits


BATCH = 10  # visits per request, as the officer app's outbox sends them


def send_outbox(server: Server, token: str, visits: list[dict]) -> list[dict]:
    """The outbox sent batch after batch; every result, in order."""
    results = []
    for start in range(0, len(visits), BATCH):
        results += sync(server, token, visits[start : start + BATCH])["results"]
    return results


def test_a_server_killed_during_a_sync_keeps_whole_visits_and_the_replay_completes(install):
    """A batch is written in one transaction: killed while the outbox is being sent, the
    database holds the batches that were answered and nothing of the one in flight."""
    with install.db.connect() as db:
        appeals = [
            row[0] for row in db.execute("SELECT code FROM patrols_appeal ORDER BY code LIMIT 2")
        ]
    visits = batch(install.site, appeals)
    log = install.folder / "server.log"
    server = Server(install, log)
    answer: dict = {}
    sender = threading.Thread(
        target=lambda: answer.update(result=_try(send_outbox, server, install.token, visits))
    )
    try:
        sender.start()
        with install.db.connect() as db:
            deadline = time.monotonic() + 60
            while count(db, "SELECT count(*) FROM patrols_visit") < VISITS // 4:
                assert sender.is_alive(), f"the outbox was sent before the kill: {answer}"
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.005)
            server.kill()
        sender.join(timeout=30)
        # The client saw the connection drop (or refused, or cut in the answer), not an answer.
        assert isinstance(answer["result"], OSError | http.client.IncompleteRead), answer
        with install.db.connect() as db:
            if install.db.vendor == "sqlite":
                assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            before = assert_whole(db, len(appeals))
        assert 0 < len(before) < VISITS, "the kill did not fall in the middle of the outbox"
        for start in range(0, VISITS, BATCH):  # each batch all there, or not at all
            ids = {v["id"] for v in visits[start : start + BATCH]}
            assert len(ids & set(before)) in (0, BATCH), f"batch {start // BATCH} in part"

        server = Server(install, log)
        replay = send_outbox(server, install.token, visits)
    finally:
        server.kill(signal.SIGTERM)
        sender.join(timeout=30)

    statuses = {result["id"]: result["status"] for result in replay}
    assert [result["id"] for result in replay] == [v["id"] for v in visits]
    assert {ident for ident, status in statuses.items() if status == "exists"} == set(before)
    assert {ident for ident, status in statuses.items() if status == "created"} == (
        {v["id"] for v in visits} - set(before)
    )
    with install.db.connect() as db:
        after = assert_whole(db, len(appeals))
    assert set(after) == {v["id"] for v in visits}  # each visit once, none missing
    done = install.db.patroli("verify-audit")
    assert done.returncode == 0, done.stderr  # the hash chain has no gap or broken link
    print(f"stored before the kill: {len(before)}; after the replay: {len(after)}")  # noqa: T201


def _try(function, *args):
    try:
        return function(*args)
    # IncompleteRead: killed between the answer's headers and its body, the batch committed.
    except (OSError, urllib.error.URLError, http.client.IncompleteRead) as exc:
        return exc


SITES = 4000


def write_sites_csv(path: Path) -> None:
    villages = [f"64.09.04.{code}" for code in (2001, 2002, 2003, 2004, 2009, 2010)]
    with path.open("w", encoding="utf-8") as f:
        f.write("name,kind,village,unit,lat,lng,tps_number,voters\n")
        for i in range(SITES):
            village = villages[i % len(villages)]
            number = i // len(villages) + 1
            f.write(
                f"TPS {number:04d},tps,{village},polsek-sepaku,"
                f"{-0.9 - i / 1e5:.6f},{116.5 + i / 1e5:.6f},{number},{200 + i % 300}\n"
            )


def import_transaction_open(db, install) -> bool:
    """Whether the import has begun its transaction (and, on PostgreSQL, written in it)."""
    if install.db.vendor == "postgresql":
        sql = "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND backend_xid IS NOT NULL"
        return db.execute(sql, (install.db.name,)).fetchone()[0] > 0
    # The importer's transaction holds SQLite's write lock (IMMEDIATE) until it ends.
    db.execute("PRAGMA busy_timeout = 0")
    try:
        db.execute("BEGIN IMMEDIATE")
    except Exception as exc:  # noqa: BLE001 (sqlite3.OperationalError: database is locked)
        assert "locked" in str(exc)
        return True
    db.execute("ROLLBACK")
    return False


def test_an_import_killed_midway_writes_nothing_and_the_rerun_completes(install):
    """import_sites writes the whole file in one transaction (all or nothing): a kill at any
    point leaves none of its rows. Re-running imports every row, once."""
    csv = install.folder / "sites.csv"
    write_sites_csv(csv)
    with install.db.connect() as db:
        sites_before = count(db, "SELECT count(*) FROM sites_site")
    importer = subprocess.Popen(  # noqa: S603
        [*PATROLI, "import-sites", str(csv)],
        cwd=ROOT,
        env=install.db.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        with install.db.connect() as db:
            deadline = time.monotonic() + 60
            while not import_transaction_open(db, install):
                assert importer.poll() is None, importer.stdout.read().decode()
                assert time.monotonic() < deadline
                time.sleep(0.01)
        time.sleep(1.0)  # well into the rows
        assert importer.poll() is None, "the import ended before the kill: use a larger file"
        importer.send_signal(signal.SIGKILL)
        assert importer.wait(timeout=30) == -signal.SIGKILL
    finally:
        if importer.poll() is None:
            importer.kill()
            importer.wait()
        importer.stdout.close()

    with install.db.connect() as db:
        if install.db.vendor == "sqlite":
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert count(db, "SELECT count(*) FROM sites_site") == sites_before
        assert count(db, "SELECT count(*) FROM audit_auditevent WHERE action = 'site.import'") == 0

    started = time.monotonic()
    done = install.db.patroli("import-sites", str(csv))
    took = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert f"sites: {SITES} created, 0 updated, 0 unchanged" in done.stdout
    with install.db.connect() as db:
        assert count(db, "SELECT count(*) FROM sites_site") == sites_before + SITES
        distinct = count(
            db, "SELECT count(*) FROM (SELECT DISTINCT village_id, kind, name FROM sites_site) s"
        )
        assert distinct == sites_before + SITES
    print(f"the whole import took {took:.1f} s; killed about 1 s into its transaction")  # noqa: T201
