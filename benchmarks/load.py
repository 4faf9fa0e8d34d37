"""Load test: `patroli serve` (gunicorn) under N concurrent clients, against a /healthz loop.

    .venv/bin/python benchmarks/load.py [--duration 60] [--clients 20] [--database-url URL]
                                        [--workers W] [--threads T] [--out PATH]

Without --database-url it uses a fresh SQLite file (WAL, like production). With a PostgreSQL URL,
point it at a scratch database (`createdb bench_load`): it is migrated and seeded with the demo.

The server runs on loopback with production settings (DEBUG off, static files collected), the
report rate limit lifted for the run (PATROLI_REPORT_RATE=1000000/h: every client comes from
127.0.0.1) and its access log in a file. First N clients loop on /healthz (the floor: the
server's own cost per request); then, for --duration seconds, each client repeats a mix:

- public pages: the home page, the news list, the demo release;
- the report form: GET /lapor/, then POST a real report with a unique client id (a 302 to its
  tracking page), and later the tracking page of a report it created;
- the officers' sync: POST /api/v1/sync with a bearer token and 5 visits with fresh ids (all
  answered "created"), and the replay of an earlier batch (all "exists").

An error is any answer other than the expected one (a 5xx, a report form sent back, a rejected
visit). A keep-alive connection the server closed (a worker recycled by --max-requests) is
opened again and the request sent once more: the writes are idempotent by client id, which is
what the replay checks. At the end every report and visit that got a created/exists answer
must be in the database exactly once ("zero lost records"); the script exits 1 otherwise.

The clients are threads with http.client (standard library): 20 clients wait on sockets far
more than they compute, so a thread each is enough, and it needs no load-testing framework
(locust would bring gevent, Flask and ZeroMQ for a one-minute loop). Clients and server share
the machine: on 2 cores the figures are the whole machine's, not the server's alone.
Rows go to benchmarks/results/load-<vendor>.json (or --out).
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PASSWORD = "load-test-Patroli-1"  # noqa: S105 (the demo users of a throw-away database)
# The mix: how often each action is picked (a report is a GET and a POST).
MIX = {"home": 4, "news": 3, "release": 3, "report": 3, "track": 2, "sync": 3, "replay": 2}
KINDS = {
    "home": "GET /",
    "news": "GET /berita/",
    "release": "GET release page",
    "report_form": "GET /lapor/",
    "report_post": "POST /lapor/ (report)",
    "track": "GET tracking page",
    "sync": "POST /api/v1/sync, 5 new",
    "replay": "POST /api/v1/sync, replay",
}
BATCH = 5
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=60, help="seconds of mixed load")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--workers", type=int, default=None, help="default: patroli serve's")
    parser.add_argument("--threads", type=int, default=4, help="per worker")
    parser.add_argument(
        "--baseline", type=float, default=None, help="seconds of /healthz (default: duration/6)"
    )
    parser.add_argument("--out", default="", help="JSON file for the rows")
    return parser.parse_args()


# The world ------------------------------------------------------------------------------------


def setup_django(database_url: str, static_root: str) -> None:
    os.environ.setdefault("SECRET_KEY", "benchmark")
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "patroli.settings"
    os.environ["STATIC_ROOT"] = static_root
    import django

    django.setup()


def prepare(clients: int) -> dict:
    """Migrate, seed the demo, collect static files; what the clients need to know."""
    from django.core.management import call_command
    from django.db import connection

    from patroli.concerns.models import Category
    from patroli.newsroom.models import Release
    from patroli.sites.models import Site
    from patroli.units.models import ApiToken, Officer

    call_command("migrate", verbosity=0)
    call_command("seed_demo", password=PASSWORD, stdout=io.StringIO())  # its list of users
    call_command("collectstatic", interactive=False, verbosity=0)
    officer = Officer.objects.get(username="bhabin.bumiharapan")
    world = {
        "tokens": [ApiToken.issue(officer, name=f"load {i}")[1] for i in range(clients)],
        "sites": list(Site.objects.filter(unit=officer.unit).values_list("pk", flat=True)),
        "release": Release.objects.filter(status=Release.Status.PUBLISHED)
        .order_by("pk")
        .first()
        .get_absolute_url(),
        "category": Category.objects.get(code="jalan-rusak").pk,
        "village": "64.09.04.2004",
    }
    connection.close()  # nothing of ours holds the database while the server runs
    return world


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(args, port: int, workdir: Path) -> tuple[subprocess.Popen, Path]:
    env = {
        **os.environ,
        "ALLOWED_HOSTS": "127.0.0.1",
        "PATROLI_REPORT_RATE": "1000000/h",  # every client is 127.0.0.1: lift the limit
    }
    env.pop("DEBUG", None)
    argv = [sys.executable, "-m", "patroli.cli", "serve", "--bind", f"127.0.0.1:{port}"]
    if args.workers:
        argv += ["--workers", str(args.workers)]
    argv += ["--threads", str(args.threads)]
    log = workdir / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(  # noqa: S603 (our own command line)
            argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return server, log
        except OSError:
            time.sleep(0.2)
        if server.poll() is not None:
            break
    stop_server(server)
    raise SystemExit(f"the server did not start; see {log}:\n{log.read_text()[-2000:]}")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=40)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def server_command(log: Path) -> str:
    first = log.read_text(errors="replace").splitlines()[:1]
    return first[0] if first else ""


# Clients --------------------------------------------------------------------------------------


class Browser:
    """One client: a keep-alive connection and its cookies."""

    def __init__(self, port: int):
        self.port = port
        self.conn: http.client.HTTPConnection | None = None
        self.cookies: dict[str, str] = {}
        self.reconnects = 0

    def request(self, method: str, path: str, body=None, headers=None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
            except (ConnectionError, http.client.BadStatusLine):
                # The server closed this keep-alive connection (a recycled worker): again, once.
                self.close()
                if attempt == 2:
                    raise
                self.reconnects += 1
                continue
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    key, _, rest = value.partition("=")
                    self.cookies[key.strip()] = rest.split(";", 1)[0]
            if (response.getheader("Connection") or "").lower() == "close":
                self.close()
            return response, data
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


@dataclass
class Tally:
    """What one client saw."""

    latencies: defaultdict = field(default_factory=lambda: defaultdict(list))
    errors: Counter = field(default_factory=Counter)
    samples: list = field(default_factory=list)
    reports: set = field(default_factory=set)  # client ids answered with a tracking page
    sent_reports: set = field(default_factory=set)
    visits: set = field(default_factory=set)  # visit ids answered created or exists
    sent_visits: set = field(default_factory=set)
    reconnects: int = 0

    def error(self, kind: str, what: str) -> None:
        self.errors[kind] += 1
        if len(self.samples) < 5:
            self.samples.append(f"{KINDS[kind]}: {what}")


def timed(tally: Tally, kind: str, browser: Browser, method: str, path: str, **kwargs):
    began = time.perf_counter()
    try:
        response, data = browser.request(method, path, **kwargs)
    except OSError as exc:  # timeouts, refused connections: an error of this kind
        tally.latencies[kind].append(time.perf_counter() - began)
        tally.error(kind, repr(exc))
        return None, b""
    tally.latencies[kind].append(time.perf_counter() - began)
    return response, data


def visit_body(rng: random.Random, site: int) -> dict:
    start = datetime.now(UTC) - timedelta(minutes=rng.randint(60, 6000))
    return {
        "id": str(uuid.uuid4()),  # not from rng: the database may hold an earlier run's
        "site": site,
        "started_at": start.isoformat(),
        "ended_at": (start + timedelta(minutes=45)).isoformat(),
        "lat": -0.9241,
        "lon": 116.5832,
        "kind": "dialogic",
        "dialogue": {
            "participants": [{"name": "Suparno", "role": "Ketua PPS", "organisation": "PPS"}],
            "attendees": rng.randint(2, 30),
            "topics": ["Persiapan pemungutan suara"],
            "appeals": ["kamtibmas-pemilu", "partisipasi-warga"],
            "response": "positive",
            "notes": "Disambut baik.",
        },
    }


def client(index: int, deadline: float, tally: Tally, *, port: int, world: dict) -> None:
    rng = random.Random(index)
    browser = Browser(port)
    auth = {"Authorization": f"Bearer {world['tokens'][index]}"}
    batches: list[str] = []
    codes: list[str] = []
    actions, weights = zip(*MIX.items(), strict=True)
    while time.monotonic() < deadline:
        action = rng.choices(actions, weights)[0]
        if action == "track" and not codes:
            action = "report"
        if action == "replay" and not batches:
            action = "sync"
        if action in ("home", "news", "release"):
            path = {"home": "/", "news": "/berita/", "release": world["release"]}[action]
            response, _ = timed(tally, action, browser, "GET", path)
            if response and response.status != 200:
                tally.error(action, f"status {response.status}")
        elif action == "track":
            code = rng.choice(codes)
            response, _ = timed(tally, "track", browser, "GET", f"/lapor/{code}/")
            if response and response.status != 200:
                tally.error("track", f"status {response.status}")
        elif action == "report":
            response, page = timed(tally, "report_form", browser, "GET", "/lapor/")
            token = CSRF_FIELD.search(page.decode(errors="replace")) if response else None
            if response is None or response.status != 200 or token is None:
                if response is not None:
                    tally.error("report_form", f"status {response.status}, no form")
                continue
            client_id = str(uuid.uuid4())
            form = {
                "csrfmiddlewaretoken": token.group(1),
                "client_id": client_id,
                "category": world["category"],
                "description": f"Jembatan kayu di RT {rng.randint(1, 20)} patah, sulit dilewati.",
                "village": world["village"],
                "reporter_name": "Warga Uji Beban",
            }
            tally.sent_reports.add(client_id)
            response, data = timed(
                tally,
                "report_post",
                browser,
                "POST",
                "/lapor/",
                body=urlencode(form),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
            location = response.getheader("Location", "") if response else ""
            if response and response.status == 302 and "/lapor/" in location:
                tally.reports.add(client_id)
                codes.append(urlsplit(location).path.rstrip("/").rsplit("/", 1)[-1])
            elif response:
                tally.error("report_post", f"status {response.status} {data[:120]!r}")
        else:
            if action == "replay":
                body = rng.choice(batches)
            else:
                visits = [visit_body(rng, rng.choice(world["sites"])) for _ in range(BATCH)]
                body = json.dumps({"visits": visits})
                batches.append(body)
            sent = [v["id"] for v in json.loads(body)["visits"]]
            tally.sent_visits.update(sent)
            response, data = timed(
                tally,
                action,
                browser,
                "POST",
                "/api/v1/sync",
                body=body,
                headers={**auth, "Content-Type": "application/json"},
            )
            if response is None:
                continue
            if response.status != 200:
                tally.error(action, f"status {response.status} {data[:120]!r}")
                continue
            expected = "exists" if action == "replay" else "created"
            results = json.loads(data)["results"]
            for result in results:
                if result["status"] in ("created", "exists"):
                    tally.visits.add(result["id"])
            statuses = Counter(r["status"] for r in results)
            if statuses != {expected: len(sent)} or [r["id"] for r in results] != sent:
                tally.error(action, f"answers {dict(statuses)}, expected {len(sent)} {expected}")
    tally.reconnects = browser.reconnects
    browser.close()


def healthz_client(index: int, deadline: float, tally: Tally, *, port: int) -> None:
    browser = Browser(port)
    while time.monotonic() < deadline:
        response, _ = timed(tally, "healthz", browser, "GET", "/healthz")
        if response and response.status != 200:
            tally.errors["healthz"] += 1
    browser.close()


def run(n: int, seconds: float, work) -> tuple[list[Tally], float]:
    """``work(index, deadline, tally)`` in n threads at once, for ``seconds``."""
    tallies = [Tally() for _ in range(n)]
    began = time.monotonic()
    threads = [
        threading.Thread(target=work, args=(i, began + seconds, tallies[i])) for i in range(n)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tallies, time.monotonic() - began


# Results --------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def lost_records(tallies: list[Tally]) -> dict:
    """Every acknowledged report and visit is stored exactly once (counted by client id)."""
    from django.db import connection
    from django.db.models import Count

    from patroli.concerns.models import Concern
    from patroli.patrols.models import Visit

    def stored(model, key: str, ids: set) -> Counter:
        found = Counter()
        ids = list(ids)
        for start in range(0, len(ids), 500):
            rows = (
                model.objects.filter(**{f"{key}__in": ids[start : start + 500]})
                .values(key)
                .annotate(n=Count("pk"))
            )
            found.update({str(row[key]): row["n"] for row in rows})
        return found

    reports = set().union(*(t.reports for t in tallies))
    visits = set().union(*(t.visits for t in tallies))
    sent_reports = set().union(*(t.sent_reports for t in tallies))
    sent_visits = set().union(*(t.sent_visits for t in tallies))
    report_rows = stored(Concern, "client_id", sent_reports)
    visit_rows = stored(Visit, "id", sent_visits)
    connection.close()
    return {
        "reports": len(reports),
        "visits": len(visits),
        "lost": sum(1 for i in reports if report_rows[i] != 1)
        + sum(1 for i in visits if visit_rows[i] != 1),
        "duplicated": sum(1 for n in [*report_rows.values(), *visit_rows.values()] if n > 1),
        # Sent without an answer (an error) but stored all the same: not lost, not counted.
        "unanswered_stored": sum(1 for i in sent_reports - reports if report_rows[i])
        + sum(1 for i in sent_visits - visits if visit_rows[i]),
    }


def main() -> None:
    args = parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="patroli-load-"))
    url = args.database_url or f"sqlite:///{workdir}/load.sqlite3"
    setup_django(url, str(workdir / "static"))
    from django.db import connection

    vendor = connection.vendor
    print(f"Preparing {vendor} (migrate, seed-demo, collectstatic)...", flush=True)
    world = prepare(args.clients)
    port = free_port()
    server, log = start_server(args, port, workdir)
    try:
        baseline_s = args.baseline or max(2.0, args.duration / 6)
        health, health_s = run(args.clients, baseline_s, partial(healthz_client, port=port))
        tallies, elapsed = run(args.clients, args.duration, partial(client, port=port, world=world))
    finally:
        stop_server(server)
    records = lost_records(tallies)

    health_latencies = [x for t in health for x in t.latencies["healthz"]]
    health_rate = len(health_latencies) / health_s
    health_p50 = percentile(health_latencies, 0.5)
    health_p99 = percentile(health_latencies, 0.99)
    rows = []
    print(
        f"\nLoad: {args.clients} clients for {elapsed:.0f} s against `patroli serve` on "
        f"{vendor}\n  {server_command(log)}\n"
    )
    head = f"{'requests':>9} {'errors':>7} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>8}"
    print(f"{'kind':<32} {head}")
    total, errors = 0, 0
    for kind, label in KINDS.items():
        latencies = [x for t in tallies for x in t.latencies[kind]]
        failed = sum(t.errors[kind] for t in tallies)
        if not latencies:
            continue
        total += len(latencies)
        errors += failed
        p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
        rate = len(latencies) / elapsed
        print(f"{label:<32} {len(latencies):>9} {failed:>7} {p50:>8.1f} {p99:>8.1f} {rate:>8.1f}")
        rows.append(
            {
                "name": label,
                "value": round(p50, 2),
                "unit": "ms",
                "p99": round(p99, 2),
                "baseline": round(health_p50, 2),
                "ratio": round(p50 / health_p50, 1),
                "requests": len(latencies),
                "errors": failed,
            }
        )
    every = [x for t in tallies for kind in KINDS for x in t.latencies[kind]]
    rate = total / elapsed
    p50, p99 = percentile(every, 0.5), percentile(every, 0.99)
    print(f"{'all':<32} {total:>9} {errors:>7} {p50:>8.1f} {p99:>8.1f} {rate:>8.1f}")
    print(
        f"{'GET /healthz (baseline)':<32} {len(health_latencies):>9} "
        f"{sum(t.errors['healthz'] for t in health):>7} {health_p50:>8.1f} {health_p99:>8.1f} "
        f"{health_rate:>8.1f}"
    )
    print(f"\nthroughput: {rate:.1f} req/s = {rate / health_rate:.2f} × the /healthz loop")
    reconnects = sum(t.reconnects for t in tallies)
    print(f"keep-alive connections opened again (recycled workers): {reconnects}")
    for tally in tallies:
        for sample in tally.samples[:2]:
            print(f"  error: {sample}")
    verdict = "zero lost records" if records["lost"] == 0 else f"{records['lost']} LOST RECORDS"
    print(
        f"{verdict}: {records['reports']} reports and {records['visits']} visits acknowledged, "
        f"each stored exactly once ({records['duplicated']} duplicated; "
        f"{records['unanswered_stored']} stored without an answer)\n"
    )
    rows[:0] = [
        {
            "name": "mixed load, requests per second",
            "value": round(rate, 1),
            "unit": "req/s",
            "baseline": round(health_rate, 1),
            "ratio": round(rate / health_rate, 3),
            "clients": args.clients,
            "seconds": round(elapsed, 1),
            "requests": total,
            "errors": errors,
            "p99": round(p99, 2),
        }
    ]
    rows.append(
        {
            "name": "lost records",
            "value": records["lost"],
            "unit": "records",
            "baseline": 0,
            "ratio": None,
            "reports": records["reports"],
            "visits": records["visits"],
            "duplicated": records["duplicated"],
        }
    )
    out = Path(args.out) if args.out else ROOT / "benchmarks/results" / f"load-{vendor}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, indent=2) + "\n")
    if records["lost"] or records["duplicated"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
