"""How far a PostgreSQL streaming replica trails the primary while officers sync.

    .venv/bin/python benchmarks/replica_lag.py [--visits N] [--clients C] [--posts P]
                                               [--out PATH] [--keep]

The dashboards and the public pages read from the replicas (``DATABASE_REPLICA_URLS``,
patroli/core/db_router.py); what a commander sees there is as old as the replica's replay. This
script measures that age on real parts: it creates a throwaway primary cluster and a streaming
replica of it (``initdb``, ``pg_basebackup -R``, each its own ``postgres`` on a free loopback
port, in a temporary folder: the machine's own server and its settings are left alone), fills
the primary with a small generated Polres (``patroli generate-national --regions-prefix 64.09``
with small counts), runs ``patroli serve`` on it with the replica configured, and then:

- **idle**: one insert at a time, nothing else written;
- **sync**: C clients posting batches of 50 visits with dialogues (``POST /api/v1/sync``) as
  fast as the server answers;
- **single POST**: 8 connections posting one visit a request (``POST /api/v1/visits``).

The delay of a write is the time from the app's answer until the replica has replayed the WAL
up to where the primary stood right after that answer (``pg_current_wal_lsn()``, read by the
client; ``pg_last_wal_replay_lsn()`` on the replica, watched by one thread every millisecond):
the "read your own write" gap, slightly overstated (the position read may include later
writes). The clients never wait for the replica, so the load is what the server sustains. For
each: the median, p95 and maximum of that delay, the throughput, and the largest
``replay_lag`` that ``pg_stat_replication`` reported.
Rows go to ``benchmarks/results/replica-lag.json``. Both clusters run on this machine, so they
share its cores with the app and the clients: the figures are an upper bound for a replica on a
machine of its own.

Needs PostgreSQL's server programs (``pg_config --bindir``, or /usr/lib/postgresql/*/bin). Run as
root, it runs the clusters as the ``postgres`` user. The clusters take a random password
(scram-sha-256) and keep their socket in a folder only their user can enter.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import pwd
import queue
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from live_server import LiveServer, free_port  # noqa: E402

BATCH = 50
WAIT_S = 120  # a write not on the replica after this long: the replica is broken


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--visits", type=int, default=3000, help="visits synced (default 3000)")
    parser.add_argument("--clients", type=int, default=4, help="sync clients (default 4)")
    parser.add_argument(
        "--posts", type=int, default=60, help="single POSTs per connection (default 60)"
    )
    parser.add_argument("--out", default=str(ROOT / "benchmarks/results/replica-lag.json"))
    parser.add_argument("--keep", action="store_true", help="leave the clusters' folder")
    return parser.parse_args()


# -- two clusters ------------------------------------------------------------------------------


def bindir() -> Path:
    found = shutil.which("pg_config")
    if found:
        out = subprocess.run([found, "--bindir"], capture_output=True, text=True, check=False)  # noqa: S603
        path = Path(out.stdout.strip())
        if (path / "initdb").exists():
            return path
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists():
            return candidate
    raise SystemExit("PostgreSQL's server programs (initdb, pg_ctl, pg_basebackup) not found")


class Clusters:
    """A primary and its streaming replica in ``folder``, on free loopback ports, with a random
    password."""

    def __init__(self, folder: Path):
        self.folder, self.bin = folder, bindir()
        self.primary_port = free_port()
        self.replica_port = free_port()
        while self.replica_port == self.primary_port:
            self.replica_port = free_port()
        self.password = secrets.token_urlsafe(24)
        self.as_user: list[str] = []
        self.uid = None
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            try:
                entry = pwd.getpwnam("postgres")
            except KeyError:
                raise SystemExit(
                    "as root, this needs a postgres user to run the clusters"
                ) from None
            self.as_user = ["runuser", "-u", "postgres", "--"]
            self.uid = (entry.pw_uid, entry.pw_gid)
        self.env = {**os.environ, "PGPASSWORD": self.password}

    def run(self, *argv: str) -> None:
        done = subprocess.run(  # noqa: S603 (PostgreSQL's own programs)
            [*self.as_user, *argv], capture_output=True, text=True, check=False, env=self.env
        )
        if done.returncode:
            raise SystemExit(f"{' '.join(argv)} failed:\n{done.stdout}\n{done.stderr}")

    def start(self) -> None:
        self.folder.mkdir(mode=0o700)
        if self.uid:
            os.chown(self.folder, *self.uid)
        primary, replica = self.folder / "primary", self.folder / "replica"
        secret = self.folder / "password"
        secret.write_text(self.password + "\n")
        if self.uid:
            os.chown(secret, *self.uid)
        self.run(
            str(self.bin / "initdb"),
            *("-D", str(primary), "-U", "postgres", "-A", "scram-sha-256"),
            *("--pwfile", str(secret)),
        )
        secret.unlink()
        settings = (
            f"port = {self.primary_port}\nlisten_addresses = '127.0.0.1'\n"
            f"unix_socket_directories = '{self.folder}'\nwal_level = replica\n"
            "max_wal_senders = 4\nshared_buffers = 256MB\nwork_mem = 64MB\n"
        )
        with (primary / "postgresql.conf").open("a") as conf:
            conf.write(settings)
        with (primary / "pg_hba.conf").open("a") as hba:
            hba.write("host replication postgres 127.0.0.1/32 scram-sha-256\n")
        self.pg_ctl(primary, "start")
        self.run(
            str(self.bin / "pg_basebackup"),
            *("-D", str(replica), "-R", "-X", "stream", "-h", "127.0.0.1"),
            *("-p", str(self.primary_port), "-U", "postgres"),
        )
        with (replica / "postgresql.conf").open("a") as conf:
            conf.write(f"port = {self.replica_port}\nhot_standby = on\n")
        self.pg_ctl(replica, "start")
        self.run(
            str(self.bin / "psql"),
            *("-h", "127.0.0.1", "-p", str(self.primary_port), "-U", "postgres"),
            *("-c", "CREATE DATABASE patroli"),
        )

    def pg_ctl(self, data: Path, action: str) -> None:
        log = self.folder / f"{data.name}.log"
        self.run(str(self.bin / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", action)

    def stop(self) -> None:
        for name in ("replica", "primary"):  # each on its own: one failing stops the other too
            data = self.folder / name
            if (data / "postmaster.pid").exists():
                try:
                    self.pg_ctl(data, "stop")
                except SystemExit as failure:
                    print(failure, file=sys.stderr)

    def url(self, port: int) -> str:
        return f"postgres://postgres:{self.password}@127.0.0.1:{port}/patroli"


# -- measuring ---------------------------------------------------------------------------------

POSITION = "SELECT pg_current_wal_lsn() - '0/0'::pg_lsn"  # bytes of WAL written so far
REPLAYED = "SELECT pg_last_wal_replay_lsn() - '0/0'::pg_lsn"


class Watch:
    """Each acknowledged write's WAL position, and one thread watching the replica's replay
    reach it; the primary's largest ``replay_lag`` meanwhile."""

    def __init__(self, primary_url: str, replica_url: str):
        self.primary_url, self.replica_url = primary_url, replica_url
        self.pending: queue.Queue = queue.Queue()
        self.delays: list[float] = []
        self.max_replay_lag = 0.0
        self.running = threading.Event()
        self.failure = ""

    def connect(self, url: str):
        import psycopg

        return psycopg.connect(url, autocommit=True)

    def __enter__(self) -> Watch:
        self.running.set()
        self.threads = [
            threading.Thread(target=self._watch, daemon=True),
            threading.Thread(target=self._sample, daemon=True),
        ]
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.running.clear()
        for thread in self.threads:
            thread.join(timeout=WAIT_S)
        if self.failure and exc[0] is None:
            raise SystemExit(self.failure)

    def written(self, position, acknowledged: float) -> None:
        self.pending.put((position, acknowledged))

    def _watch(self) -> None:
        replica = self.connect(self.replica_url)
        waiting: list[tuple] = []
        while self.running.is_set() or waiting or not self.pending.empty():
            while not self.pending.empty():
                waiting.append(self.pending.get())
            if waiting:
                replayed = replica.execute(REPLAYED).fetchone()[0]
                now = time.perf_counter()
                still = []
                for position, acknowledged in waiting:
                    if position <= replayed:
                        self.delays.append(now - acknowledged)
                    elif now - acknowledged > WAIT_S:
                        self.failure = f"the replica did not replay a write in {WAIT_S} s"
                        self.running.clear()
                        return
                    else:
                        still.append((position, acknowledged))
                waiting = still
            time.sleep(0.001)
        replica.close()

    def _sample(self) -> None:
        primary = self.connect(self.primary_url)
        query = "SELECT COALESCE(MAX(EXTRACT(EPOCH FROM replay_lag)), 0) FROM pg_stat_replication"
        while self.running.is_set():
            lag = float(primary.execute(query).fetchone()[0])
            self.max_replay_lag = max(self.max_replay_lag, lag)
            time.sleep(0.05)
        primary.close()


def summary(name: str, watch: Watch, count: int, seconds: float, unit: str) -> dict:
    delays = sorted(d * 1000 for d in watch.delays)
    if not delays:
        raise SystemExit(f"{name}: no write was seen on the replica")
    p95 = delays[min(len(delays) - 1, round(0.95 * (len(delays) - 1)))]
    return {
        "name": name,
        "median_ms": round(statistics.median(delays), 2),
        "p95_ms": round(p95, 2),
        "max_ms": round(delays[-1], 2),
        "max_replay_lag_ms": round(watch.max_replay_lag * 1000, 2),
        "samples": len(delays),
        "throughput": round(count / seconds, 1) if seconds else None,
        "throughput_unit": unit,
    }


def measure_idle(primary_url: str, replica_url: str) -> dict:
    with Watch(primary_url, replica_url) as watch:
        primary = watch.connect(primary_url)
        # A table of its own: only to see the replica replay one write when nothing else runs.
        primary.execute("CREATE TABLE IF NOT EXISTS bench_probe (n integer)")
        for n in range(50):
            primary.execute("INSERT INTO bench_probe VALUES (%s)", [n])
            acknowledged = time.perf_counter()
            watch.written(primary.execute(POSITION).fetchone()[0], acknowledged)
            time.sleep(0.02)
        primary.close()
    return summary("idle (one insert at a time)", watch, 50, 0, "")


def load(watch: Watch, server: LiveServer, per_client: list[list], send) -> float:
    """Each client sends its items with ``send(conn, item)`` and notes the WAL position after
    each answer, without waiting for the replica; the seconds until the last answer."""
    ready = threading.Barrier(len(per_client) + 1, timeout=WAIT_S)
    failures: list[str] = []

    def client(items: list) -> None:
        try:
            primary = watch.connect(watch.primary_url)  # before the start: not timed
            conn = server.connection()
            ready.wait()
            for item in items:
                problem = send(conn, item)
                acknowledged = time.perf_counter()
                if problem:
                    failures.append(problem)
                    return
                watch.written(primary.execute(POSITION).fetchone()[0], acknowledged)
            conn.close()
            primary.close()
        except Exception as error:  # noqa: BLE001 (reported below, with the run stopped)
            failures.append(repr(error))
            ready.abort()

    threads = [threading.Thread(target=client, args=(items,)) for items in per_client]
    for thread in threads:
        thread.start()
    with contextlib.suppress(threading.BrokenBarrierError):  # a client failed: see below
        ready.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit(f"a client failed: {failures[0]}")
    return time.perf_counter() - began


def measure_sync(watch: Watch, server: LiveServer, world, bodies: list[dict], clients: int):
    def send(conn, batch: list[dict]) -> str:
        payload = {"sent_at": dt.datetime.now(dt.UTC).isoformat(), "visits": batch}
        status, answer = conn.post("/api/v1/sync", json.dumps(payload).encode(), world.token)
        return "" if status == 200 else f"/api/v1/sync {status}: {answer[:300]!r}"

    batches = [bodies[i : i + BATCH] for i in range(0, len(bodies), BATCH)]
    return load(watch, server, [batches[i::clients] for i in range(clients)], send)


def measure_single(watch: Watch, server: LiveServer, world, bodies: list[dict], connections: int):
    def send(conn, body: dict) -> str:
        status, answer = conn.post("/api/v1/visits", json.dumps(body).encode(), world.token)
        return "" if status == 201 else f"/api/v1/visits {status}: {answer[:300]!r}"

    return load(watch, server, [bodies[i::connections] for i in range(connections)], send)


def main() -> None:
    args = parse_args()
    # SIGTERM runs the cleanup below, as Ctrl-C does: no cluster is left running.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    folder = Path(tempfile.mkdtemp(prefix="patroli-replica-"))
    folder.chmod(0o711)  # the clusters' user may pass through to its own folder inside
    clusters = None
    try:
        clusters = Clusters(folder / "pg")
        print(
            f"clusters in {clusters.folder}: primary :{clusters.primary_port}, "
            f"replica :{clusters.replica_port}"
        )
        clusters.start()
        primary_url = clusters.url(clusters.primary_port)
        replica_url = clusters.url(clusters.replica_port)
        os.environ["DATABASE_REPLICA_URLS"] = replica_url
        import suite

        env = suite.setup_django(primary_url, folder)
        size = suite.SIZES["tiny"]
        print("generating a Polres …", flush=True)
        suite.generate(size)
        picked = suite.pick_world(size)
        from types import SimpleNamespace

        from patroli.patrols.models import Appeal

        world = SimpleNamespace(token=picked.officer_token)
        codes = list(
            Appeal.objects.filter(active=True).order_by("code").values_list("code", flat=True)[:2]
        )
        rows = [measure_idle(primary_url, replica_url)]
        with LiveServer(env, folder / "serve.log") as server:
            with Watch(primary_url, replica_url) as warm:  # the server's first requests
                measure_sync(warm, server, world, suite.visit_bodies(picked, codes, BATCH, 900), 1)
            bodies = suite.visit_bodies(picked, codes, args.visits, salt=901)
            with Watch(primary_url, replica_url) as watch:
                took = measure_sync(watch, server, world, bodies, args.clients)
            name = f"sync, {args.clients} clients x {BATCH} visits"
            rows.append(summary(name, watch, len(bodies), took, "visits/s"))
            bodies = suite.visit_bodies(picked, codes, 8 * args.posts, salt=902)
            with Watch(primary_url, replica_url) as watch:
                took = measure_single(watch, server, world, bodies, 8)
            rows.append(
                summary("single POST, 8 connections", watch, len(bodies), took, "requests/s")
            )
        print()
        print(f"{'':36} {'median':>9} {'p95':>9} {'max':>9} {'replay_lag':>11}  throughput")
        for row in rows:
            rate = f"{row['throughput']:,} {row['throughput_unit']}" if row["throughput"] else ""
            print(
                f"{row['name']:36} {row['median_ms']:>6} ms {row['p95_ms']:>6} ms "
                f"{row['max_ms']:>6} ms {row['max_replay_lag_ms']:>8} ms  {rate}"
            )
        print(
            "\ndelay: from the app's answer until the replica has replayed the WAL written by then"
        )
        result = {
            "parameters": {"visits": args.visits, "clients": args.clients, "posts": args.posts},
            "rows": rows,
        }
        Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
        print(f"rows written to {args.out}")
    finally:
        try:
            if clusters is not None:
                clusters.stop()
        finally:
            if args.keep:
                print(f"kept: {folder}")
            else:
                shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
