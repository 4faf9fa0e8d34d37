"""The benchmark suite of issue 8: every figure next to its floor, measured in the same run.

    .venv/bin/python benchmarks/suite.py [--size small|medium|national] [--database-url URL]
                                         [--out PATH] [--repeat N]

It fills an empty database with ``patroli generate-national``'s generator (patroli/core/generate.py,
seed 1, the demo's period: 120 days up to 2024-01-23), the same as these commands would:

    size      generator options       villages  sites     visits      concerns   incidents
    small     --regions-prefix 64     1,038     11,202    123,923     24,785     2,478
    medium    --regions-prefix 33     8,563     92,408    1,022,301   204,460    20,446
    national  (its defaults)          83,762    903,923   10,000,000  2,000,000  200,000

Every size has the national density (the national figures scaled to the villages chosen):
small is Kalimantan Timur, medium Jawa Tengah (the largest Polda), national the country. Small
takes a few minutes on SQLite or PostgreSQL, medium about twenty on PostgreSQL, national hours.
The Polda measured is the one generated (Jawa Tengah for national too: a Polda's figures should
not grow with the rest of the country); the Polsek is the one with the median number of sites.

Then it measures, each against the floor that any implementation must pay (see each function):

    row                         value                             baseline (the floor)
    sync ingest                 POST /api/v1/sync, 50 visits      raw DB-API executemany of the
                                with dialogues a batch, one       same rows, same tables, one
                                connection, live server           transaction per batch of 50
    single POST                 POST /api/v1/visits, 8 threads,   /bench/visit: one INSERT behind
                                one visit a request               the same server, auth, middleware
    coverage Polsek / Polda     coverage_summary()'s counts; GET  the indexed SQL count of the same
                                /api/v1/coverage of the Polda     sites: visited, ever visited
    coverage page (of both)     the page's read: the counts and   the same count, and the first
                                the first 100 sites left alone    100 sites left alone in SQL
    search concerns / visits    GET /api/v1/...?q= (test client)  the same full-text query in SQL
                                as the Kapolda, then as the
                                commander of the Polsek's Polres
    risk compute_all            risk.compute_all() of all sites   a bare SQL read of its inputs
    risk after one incident     risk.refresh_for() (the task      the same read for one site and
                                record_incident queues)           its village
    dashboard Polda / country   /app/ for 7 days (test client)    the indexed count of the visits

``patroli serve`` (gunicorn, its defaults: 2 x CPU + 1 workers of 4 threads) runs as a subprocess
on loopback for the HTTP rows, on the same database. The table and benchmarks/results/
<size>-<sqlite|postgresql>.json hold name, value, unit, baseline, ratio, goal and met, and the
size of the data (``db_visits``) and of the scope (``n``); benchmarks/growth.py compares sizes.

Without --database-url: a fresh SQLite file in a temporary folder. With a PostgreSQL URL, give an
empty scratch database (it is migrated and filled, and gets a VACUUM ANALYZE after the load, as
autovacuum would do).
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from live_server import LiveServer, hammer, server_env  # noqa: E402

from patroli.core.ids import uuid7  # noqa: E402

END = dt.date(2024, 1, 23)  # the generator's default last day
WIB = dt.timezone(dt.timedelta(hours=7))
# The generator's "now": the end of the last day everywhere (midnight in the west, the latest).
DATA_NOW = dt.datetime.combine(END + dt.timedelta(days=1), dt.time.min, tzinfo=WIB)
SEED = 1
RUN_SALT = ""  # with --reuse, new per run: the visits sent must be new to the database
BATCH = 50  # visits per sync request and per raw transaction
THREADS = 8  # client connections of the single-POST row
WORK_MEM = "64MB"  # PostgreSQL's work_mem, as docs/deploy.md advises
CONCERN_QUERIES = ["warga", "sepeda motor", "kotak suara", "pembagian sembako"]
VISIT_QUERIES = ["kantor pps", "politik uang", "hoaks media sosial", "keamanan lingkungan"]
TOPICS = ["Persiapan pemungutan suara", "Pencegahan politik uang", "Hoaks di media sosial"]
NOTES = {
    "positive": ["Warga menyambut baik kehadiran petugas dan siap menjaga keamanan lingkungan."],
    "neutral": ["Warga mendengarkan himbauan petugas; belum ada masukan khusus."],
    "negative": ["Warga mengeluhkan lambatnya penanganan laporan sebelumnya."],
}


@dataclass(frozen=True)
class Size:
    prefix: str  # the generator's --regions-prefix
    polda: str  # the province code of the Polda measured
    counts: dict = field(default_factory=dict)  # explicit generator sizes; none: national density
    ingest: int = 2000  # visits sent through the sync endpoint (and written raw)
    posts: int = 40  # single POSTs per client thread: twice as many in all, over 6 rounds
    repeat: int = 5  # timed runs of each read, after a warm-up


SIZES = {
    # Penajam Paser Utara, a few hundred visits: for the smoke test only (not listed in --help).
    "tiny": Size(
        "64.09",
        "64",
        {"tps": 54, "visits": 400, "concerns": 60, "incidents": 12},
        ingest=100,
        posts=3,
        repeat=2,
    ),
    "small": Size("64", "64"),
    "medium": Size("33", "33", repeat=3),
    "national": Size("", "33", repeat=3),
}
STEPS = ("risk", "coverage", "search", "dashboards", "ingest", "single")
GOALS = {  # name prefix: (comparison, ratio)
    "sync ingest": (">=", 0.3),
    "single POST": (">=", 0.5),
    "coverage": ("<=", 2.0),
    "search": ("<=", 2.0),
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--size",
        choices=SIZES,
        default="small",
        metavar="{small,medium,national}",
        help="default: small",
    )
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file")
    parser.add_argument(
        "--out",
        default="",
        help="default: benchmarks/results/<size>-<sqlite|postgresql>.json (with --only: in the "
        "temporary folder, never in place of a whole run)",
    )
    parser.add_argument(
        "--repeat", type=int, default=0, help="timed runs of each read (default: by size)"
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure the data already in --database-url (generated before with the size's "
        "options, e.g. by patroli generate-national for the national size) instead of "
        "generating it",
    )
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated steps to measure, of: " + ", ".join(STEPS) + " (default: all)",
    )
    args = parser.parse_args()
    args.only = set(filter(None, args.only.split(","))) or set(STEPS)
    if unknown := args.only - set(STEPS):
        parser.error(f"unknown step(s) in --only: {', '.join(sorted(unknown))}")
    return args


def setup_django(database_url: str, workdir: Path) -> dict[str, str]:
    """Configure Django for this process; the environment the live server gets too."""
    hosts = {
        "testserver",
        "127.0.0.1",
        *filter(None, os.environ.get("ALLOWED_HOSTS", "").split(",")),
    }
    env = {
        **os.environ,
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "benchmark",
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "patroli.settings",
        "ALLOWED_HOSTS": ",".join(sorted(hosts)),
        "STATIC_ROOT": str(workdir / "static"),
        "MEDIA_ROOT": str(workdir / "media"),
    }
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.db import connection

    if connection.vendor == "postgresql":
        # docs/deploy.md's setting, for every connection of the run (the server's, the raw
        # driver's): with the default 4 MB, a search matching a million visits spills its
        # bitmap to lossy pages and rechecks every row (87 s instead of 2 s, national size).
        name = connection.ops.quote_name(connection.settings_dict["NAME"])
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER DATABASE {name} SET work_mem = '{WORK_MEM}'")
            cursor.execute(f"SET work_mem = '{WORK_MEM}'")
    # The pages use the manifest storage of production: it needs the collected files.
    call_command("collectstatic", interactive=False, verbosity=0)
    return env


# -- timing ------------------------------------------------------------------------------------


def clock(call) -> float:
    began = time.perf_counter()
    call()
    return time.perf_counter() - began


def interleaved(call, base, repeat: int, budget: float = 90.0) -> tuple[list[float], list[float]]:
    """Samples of ``call`` and ``base`` taken in turn (the machine's load hits both alike), after
    one warm-up of each; fewer than ``repeat`` when a row takes longer than ``budget`` seconds."""
    call()
    base()
    values, bases = [], []
    began = time.perf_counter()
    for i in range(repeat):
        values.append(clock(call))
        bases.append(clock(base))
        if i >= 1 and time.perf_counter() - began > budget:
            break
    return values, bases


def ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def significant(value: float, digits: int = 5) -> float:
    return float(f"{value:.{digits}g}")


def make_row(name: str, value: float, unit: str, baseline: float, **extra) -> dict:
    """A row; the ratio is value / baseline (for rates: the API's share of the floor's rate)."""
    row = {
        "name": name,
        "value": significant(value),
        "unit": unit,
        "baseline": significant(baseline),
        "ratio": significant(value / baseline) if baseline else None,
    }
    goal = next((g for prefix, g in GOALS.items() if name.startswith(prefix)), None)
    if goal is not None and row["ratio"] is not None:
        op, target = goal
        row["goal"] = f"{op} {target:g}"
        row["met"] = row["ratio"] >= target if op == ">=" else row["ratio"] <= target
    else:
        row["goal"], row["met"] = "", None
    row.update(extra)
    return row


# -- the raw driver ----------------------------------------------------------------------------


class Raw:
    """Plain SQL on the DB-API connection under Django's (no ORM, no Django cursor wrapper)."""

    def __init__(self):
        from django.db import connection

        self.connection = connection
        self.vendor = connection.vendor

    def sql(self, text: str) -> str:
        return text.replace("%s", "?") if self.vendor == "sqlite" else text

    def time(self, value: dt.datetime):
        return self.connection.ops.adapt_datetimefield_value(value)

    def fetch(self, text: str, params=()) -> list[tuple]:
        self.connection.ensure_connection()
        cursor = self.connection.connection.cursor()
        try:
            cursor.execute(self.sql(text), params)
            return cursor.fetchall()
        finally:
            cursor.close()


# -- the data ----------------------------------------------------------------------------------


def generate(size: Size) -> dict:
    from patroli.core.generate import Options, Progress, generate_country

    options = Options(regions_prefix=size.prefix, seed=SEED, end_date=END, days=120, **size.counts)
    summary = generate_country(options=options, progress=Progress(line=print))
    return {
        "seconds": round(summary.seconds, 1),
        "tps": summary.sizes.tps,
        "visits": summary.sizes.visits,
        "concerns": summary.sizes.concerns,
        "incidents": summary.sizes.incidents,
    }


def reused() -> dict:
    from patroli.concerns.models import Concern
    from patroli.elections.models import Incident
    from patroli.sites.models import Site

    if not Site.objects.exists():
        raise SystemExit("--reuse: the database holds no generated country")
    return {
        "seconds": 0.0,
        "tps": Site.objects.filter(kind=Site.Kind.TPS).count(),
        "visits": 0,
        "concerns": Concern.objects.count(),
        "incidents": Incident.objects.count(),
    }


@dataclass
class World:
    polda: object
    polsek: object
    officer: object  # a field officer of the Polsek
    commander: object  # the Kapolda
    admin: object  # a superuser without a unit: the whole country
    officer_token: str
    commander_token: str
    polres_token: str  # the commander of the Polsek's Polres
    polsek_sites: list[int]
    db_visits: int
    db_sites: int


def pick_world(size: Size) -> World:
    from django.db.models import Count

    from patroli.patrols.models import Visit
    from patroli.sites.models import Site
    from patroli.units.models import ApiToken, Officer, Unit

    polda = Unit.objects.get(code=f"polda-{size.polda}")
    per_polsek = list(
        Site.objects.filter(unit__path__startswith=polda.path, unit__level="polsek")
        .values("unit_id", "unit__code")
        .annotate(n=Count("pk"))
        .order_by("n", "unit__code")
    )
    polsek = Unit.objects.get(pk=per_polsek[len(per_polsek) // 2]["unit_id"])
    officer = Officer.objects.filter(unit=polsek, role="officer").order_by("pk").first()
    commander = Officer.objects.get(unit=polda, role="commander")
    polres_commander = Officer.objects.filter(unit=polsek.parent, role="commander").first()
    admin, _new = Officer.objects.get_or_create(
        username="bench.admin",
        defaults={"role": "admin", "is_superuser": True, "is_staff": True, "password": "!"},
    )
    return World(
        polda=polda,
        polsek=polsek,
        officer=officer,
        commander=commander,
        admin=admin,
        officer_token=ApiToken.issue(officer, name="bench")[1],
        commander_token=ApiToken.issue(commander, name="bench")[1],
        polres_token=ApiToken.issue(polres_commander, name="bench")[1],
        polsek_sites=list(
            Site.objects.filter(unit=polsek).order_by("pk").values_list("pk", flat=True)
        ),
        db_visits=Visit.objects.count(),
        db_sites=Site.objects.count(),
    )


# -- risk --------------------------------------------------------------------------------------


def risk_inputs(raw: Raw, site=None):
    """A call reading what the risk scores are made of, with bare SQL: open concerns by severity
    and overdue, recent incidents, the last visit and the voters, per site and per (village,
    unit); of every site, or of one site and its village."""
    from patroli.concerns.models import Concern

    statuses = sorted(Concern.OPEN)
    marks = ", ".join(["%s"] * len(statuses))
    since = DATA_NOW - dt.timedelta(days=180)
    now, begin = raw.time(DATA_NOW), raw.time(since)
    one_site = "= %s" if site else "IS NOT NULL"
    site_arg = [site.pk] if site else []
    in_village = "AND c.village_id = %s" if site else ""
    village_arg = [site.village_id] if site else []
    queries = [
        (
            "SELECT c.site_id, k.severity, COUNT(*), SUM(CASE WHEN c.due_at < %s THEN 1 ELSE 0 END)"
            " FROM concerns_concern c JOIN concerns_category k ON k.id = c.category_id"
            f" WHERE c.status IN ({marks}) AND c.site_id {one_site} GROUP BY c.site_id, k.severity",
            [now, *statuses, *site_arg],
        ),
        (
            "SELECT site_id, severity, occurred_at FROM elections_incident"
            f" WHERE occurred_at > %s AND occurred_at <= %s AND site_id {one_site}",
            [begin, now, *site_arg],
        ),
        (
            "SELECT site_id, MAX(started_at) FROM patrols_visit WHERE started_at <= %s"
            + (" AND site_id = %s" if site else "")
            + " GROUP BY site_id",
            [now, *site_arg],
        ),
        (
            "SELECT c.village_id, c.unit_id, k.severity, COUNT(*),"
            " SUM(CASE WHEN c.due_at < %s THEN 1 ELSE 0 END)"
            " FROM concerns_concern c JOIN concerns_category k ON k.id = c.category_id"
            f" WHERE c.status IN ({marks}) {in_village}"
            " GROUP BY c.village_id, c.unit_id, k.severity",
            [now, *statuses, *village_arg],
        ),
        (
            "SELECT c.village_id, c.unit_id, c.severity, c.occurred_at FROM elections_incident c"
            f" WHERE c.occurred_at > %s AND c.occurred_at <= %s {in_village}",
            [begin, now, *village_arg],
        ),
        (
            "SELECT s.village_id, v.unit_id, MAX(v.started_at) FROM patrols_visit v"
            " JOIN sites_site s ON s.id = v.site_id WHERE v.started_at <= %s"
            + (" AND s.village_id = %s" if site else "")
            + " GROUP BY s.village_id, v.unit_id",
            [now, *village_arg],
        ),
        (
            "SELECT c.id, c.village_id, c.unit_id, c.voters FROM sites_site c"
            + (" WHERE c.village_id = %s" if site else ""),
            village_arg,
        ),
    ]

    def call() -> int:
        return sum(len(raw.fetch(sql, params)) for sql, params in queries)

    return call


def measure_risk(world: World, raw: Raw, repeat: int) -> list[dict]:
    from patroli.elections import risk
    from patroli.elections.services import record_incident
    from patroli.sites.models import Site

    sites = world.db_sites
    seconds = clock(lambda: risk.compute_all(now=DATA_NOW))
    base = [clock(risk_inputs(raw)) for _ in range(3)]
    rows = [
        make_row(
            "risk compute_all",
            seconds,
            "s",
            statistics.median(base),
            n=sites,
            sites_per_s=round(sites / seconds, 1),
        )
    ]
    refresh, record, floor = [], [], []
    chosen = Site.objects.select_related("village").filter(pk__in=world.polsek_sites[: repeat + 1])
    for n, site in enumerate(chosen):
        began = time.perf_counter()
        record_incident(
            recorded_by=world.officer,
            kind="clash",
            severity="yellow",
            occurred_at=DATA_NOW - dt.timedelta(hours=2),
            village=site.village,
            site=site,
            description="Adu mulut antarpendukung (benchmark).",
        )
        took = time.perf_counter() - began
        # What the task queued on commit runs in the worker: the production refresh.
        update = clock(
            lambda site=site: risk.refresh_for(
                site_ids=[site.pk], village_codes=[site.village_id], now=DATA_NOW
            )
        )
        base = clock(risk_inputs(raw, site))
        if n:  # the first one warms up
            record.append(took)
            refresh.append(update)
            floor.append(base)
    rows.append(
        make_row(
            "risk after one incident",
            ms(refresh),
            "ms",
            ms(floor),
            n=1,
            record_incident_ms=round(ms(record), 2),
        )
    )
    return rows


# -- coverage ----------------------------------------------------------------------------------


def under(raw: Raw, path: str, *, indexed: bool = True) -> tuple[str, list]:
    """The units of a subtree, written as the application writes it: on SQLite the range of
    the paths that start with this one (SQLite's LIKE ignores case, so it can use no index, and
    prepares its statement again at each run), elsewhere a LIKE. ``indexed``: by the index on
    the path, as coverage reads a scope's units first; without, on ``+u.path``, as the access
    gate writes it for every other read (units.models.PathStartsWith)."""
    from patroli.units.models import PathStartsWith

    if raw.vendor == "sqlite":
        column = "u.path" if indexed else "+u.path"
        return f"{column} >= %s AND {column} < %s", [path, PathStartsWith.beyond(path)]
    return "u.path LIKE %s", [path + "%"]


def coverage_count(raw: Raw, path: str):
    """The bare count of the same sites: all, visited within 7 days, ever visited (by index)."""
    recent = raw.time(DATA_NOW - dt.timedelta(days=7))
    now = raw.time(DATA_NOW)
    sql = (
        "SELECT COUNT(*),"
        " SUM(CASE WHEN EXISTS (SELECT 1 FROM patrols_visit v WHERE v.site_id = s.id"
        "  AND v.started_at >= %s AND v.started_at <= %s) THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN EXISTS (SELECT 1 FROM patrols_visit v WHERE v.site_id = s.id"
        "  AND v.started_at <= %s) THEN 1 ELSE 0 END)"
        " FROM sites_site s JOIN units_unit u ON u.id = s.unit_id WHERE "
    )
    condition, params = under(raw, path)

    def call():
        return raw.fetch(sql + condition, [recent, now, now, *params])[0]

    return call


def left_alone_sql(raw: Raw, path: str):
    """The bare SQL of the head of the "left alone" list: the first 100 sites not visited
    within 7 days, never visited first, then the longest since, the riskiest first on ties
    (a site without a score counts 50), with what the page shows of each. By the generator's
    "now" no visit lies ahead, so a site's latest visit is its last one."""
    from patroli.patrols.planning import FALLBACK_RISK

    recent = raw.time(DATA_NOW - dt.timedelta(days=7))
    sql = (
        "SELECT s.id, s.name, s.kind, s.village_id, r.name, s.unit_id, u.name, s.lat, s.lng,"
        f" s.latest_visit_at, COALESCE(k.score, {float(FALLBACK_RISK)}) AS risk"
        " FROM sites_site s JOIN units_unit u ON u.id = s.unit_id"
        " JOIN regions_region r ON r.code = s.village_id"
        " LEFT JOIN elections_riskscore k ON k.site_id = s.id"
        " WHERE {units} AND (s.latest_visit_at IS NULL OR s.latest_visit_at < %s)"
        " ORDER BY s.latest_visit_at ASC NULLS FIRST, risk DESC, s.name, s.id LIMIT 100"
    )
    condition, params = under(raw, path)
    sql = sql.replace("{units}", condition)

    def call() -> list[int]:
        return [row[0] for row in raw.fetch(sql, [*params, recent])]

    return call


def measure_coverage(world: World, raw: Raw, repeat: int) -> list[dict]:
    """Coverage of the Polsek and the Polda: the counts (coverage_summary without the list,
    what GET /api/v1/coverage and the page count) and the API's answer of the Polda (test
    client), against the bare count; and the coverage page's read (the counts and the first 100
    sites of the "left alone" list) against the bare count and the bare list. Each is checked
    to count what the SQL counts, the page to list the sites the SQL lists, in its order."""
    from django.test import Client

    from patroli.patrols.coverage import coverage_summary

    client = Client(headers={"Authorization": f"Bearer {world.commander_token}"})

    def summary(unit, left_alone=0):
        tally = coverage_summary(unit, days=7, now=DATA_NOW, left_alone=left_alone).total
        return tally.total, tally.visited, tally.total - tally.never

    def page(unit):
        result = coverage_summary(unit, days=7, now=DATA_NOW, left_alone=100)
        tally = result.total
        head = [status.site.pk for status in result.left_alone]
        return (tally.total, tally.visited, tally.total - tally.never), head

    def api(unit):
        as_of = quote(DATA_NOW.isoformat())
        response = client.get(f"/api/v1/coverage?unit={unit.pk}&days=7&as_of={as_of}")
        if response.status_code != 200:
            raise SystemExit(f"/api/v1/coverage answered {response.status_code}")
        tally = response.json()["total"]
        return tally["total"], tally["visited"], tally["total"] - tally["never"]

    rows = []
    for label, unit, function in (
        ("coverage Polsek", world.polsek, summary),
        ("coverage Polda", world.polda, summary),
        ("coverage Polda (API)", world.polda, api),
        ("coverage page Polsek", world.polsek, page),
        ("coverage page Polda", world.polda, page),
    ):
        count = coverage_count(raw, unit.path)
        if function is page:
            head = left_alone_sql(raw, unit.path)

            def base(count=count, head=head):
                return tuple(count()), head()
        else:

            def base(count=count):
                return tuple(count())

        expected, seen = base(), function(unit)
        if seen != expected:
            raise SystemExit(f"{label} answers {seen}, the SQL {expected}")
        values, bases = interleaved(
            lambda unit=unit, function=function: function(unit), base, repeat
        )
        total = (expected[0] if function is page else expected)[0]
        rows.append(make_row(label, ms(values), "ms", ms(bases), n=total))
    return rows


# -- search ------------------------------------------------------------------------------------


SEARCHED = (  # route (and row), table, its newest-first column, phrases
    ("concerns", "concerns_concern", "created_at", CONCERN_QUERIES),
    ("visits", "patrols_visit", "started_at", VISIT_QUERIES),
)


def search_sql(raw: Raw, table: str, newest: str, path: str, query: str, by_ids=None):
    """The same full-text question in plain SQL: how many of the unit's rows match, and the
    first page (100) in the API's order (best first, equal ranks newest first), with every
    column: the page's keys in that order (on SQLite with the count, in one statement), then
    their rows, as core.pagination.Built reads a page (on SQLite a quarter faster than sorting
    the rows whole for a common word; alike on PostgreSQL). On PostgreSQL the units' ids are
    read first and given too, as the application narrows a gated search
    (core.search._within_gated_units), unless the unit is a top one and no unit lies outside
    it; ``by_ids`` True or False gives them or not, whatever the unit
    (benchmarks/search_narrowing.py)."""
    from patroli.core.search import query_words, stem

    words = query_words(query)
    ties = f"t.{newest} DESC, t.id DESC"
    units, unit_args = under(raw, path, indexed=False)
    # Every column of the model's (the id first), not the stored document.
    with raw.connection.cursor() as cursor:
        described = raw.connection.introspection.get_table_description(cursor, table)
    fields = ", ".join(c.name for c in described if c.name != "search_vector")
    if raw.vendor == "postgresql":
        document = "t.search_vector"  # the stored to_tsvector of the columns (core/search.py)
        match = f"{document} @@ plainto_tsquery('indonesian'::regconfig, %s)"
        rank = f"ts_rank({document}, plainto_tsquery('indonesian'::regconfig, %s), 1) DESC"
        term = " ".join(words)
        others_sql = f"SELECT EXISTS (SELECT 1 FROM units_unit u WHERE NOT ({units}))"
        ids_sql = f"SELECT u.id FROM units_unit u WHERE {units}"
        with_ids = " AND t.unit_id = ANY(%s)"  # with the ids, or left out
        count_sql = (
            f"SELECT COUNT(*) FROM {table} t JOIN units_unit u ON u.id = t.unit_id"
            f" WHERE {units}{with_ids} AND {match}"
        )
        page_sql = (
            f"SELECT t.id FROM {table} t JOIN units_unit u ON u.id = t.unit_id"
            f" WHERE {units}{with_ids} AND {match} ORDER BY {rank}, {ties} LIMIT 100"
        )
        count_args, page_args = [*unit_args, term], [*unit_args, term, term]
    else:
        fts = f"{table}_fts"
        key = "rowid" if table == "concerns_concern" else "ref"
        term = "search_stems : (" + " ".join(f'"{stem(w)}"' for w in words) + ")"
        joined = (
            f"FROM {fts} f JOIN {table} t ON t.id = f.{key} JOIN units_unit u ON u.id = t.unit_id"
            f" WHERE {fts} MATCH %s AND {units}"
        )
        count_sql = f"SELECT COUNT(*) {joined}"
        # The count with the page's keys, in one statement, as the API reads a search on SQLite
        # (core.pagination.Built); apart only when no match is on the page.
        page_sql = f"SELECT t.id, COUNT(*) OVER () {joined} ORDER BY f.rank, {ties} LIMIT 100"
        count_args = page_args = [term, *unit_args]

    def call() -> tuple[int, list[str]]:
        counting, paging, count_with, page_with = count_sql, page_sql, count_args, page_args
        if raw.vendor == "postgresql":
            narrowed = by_ids
            if narrowed is None:  # as the application decides
                narrowed = path.count("/") != 1 or raw.fetch(others_sql, unit_args)[0][0]
            if not narrowed:
                counting, paging = count_sql.replace(with_ids, ""), page_sql.replace(with_ids, "")
            else:
                ids = [unit for (unit,) in raw.fetch(ids_sql, unit_args)]
                at = len(unit_args)
                count_with = [*count_args[:at], ids, *count_args[at:]]
                page_with = [*page_args[:at], ids, *page_args[at:]]
        if raw.vendor == "sqlite":
            page = raw.fetch(paging, page_with)
            keys = [key for key, _n in page]
            (n,) = (page[0][1],) if page else raw.fetch(counting, count_with)[0]
        else:
            (n,) = raw.fetch(counting, count_with)[0]
            keys = [key for (key,) in raw.fetch(paging, page_with)]
        marks = ", ".join(["%s"] * len(keys))
        rows = (
            raw.fetch(f"SELECT {fields} FROM {table} WHERE id IN ({marks})", keys) if keys else []
        )
        found = {row[0]: row for row in rows}  # id: the first column
        return n, [str(found[key][0]).replace("-", "") for key in keys]

    return call


def measure_search(world: World, raw: Raw, repeat: int) -> list[dict]:
    """The Polda's searches (its commander), then the Polres's of the Polsek measured (its
    commander): the subtree that a search is narrowed to (core.search._within_gated_units)."""
    from django.test import Client

    rows = []
    scopes = (  # the row's name after the route, the searcher, the subtree
        ("", world.commander_token, world.polda.path),
        (", Polres", world.polres_token, world.polsek.parent.path),
    )
    for (scope, token, path), (route, table, newest, queries) in itertools.product(
        scopes, SEARCHED
    ):
        label = route + scope
        client = Client(headers={"Authorization": f"Bearer {token}"})
        per_query = []
        for query in queries:
            url = f"/api/v1/{route}?q={quote(query)}"

            def get(url=url, client=client):
                response = client.get(url)
                if response.status_code != 200:
                    raise SystemExit(f"{url} answered {response.status_code}")
                return response

            base = search_sql(raw, table, newest, path, query)
            found, first = base()
            answer = get().json()
            if answer["count"] != found:
                raise SystemExit(f"{url}: the API and the SQL find different counts")
            if [str(item["id"]).replace("-", "") for item in answer["items"]] != first:
                raise SystemExit(f"{url}: the API and the SQL order the first page differently")
            values, bases = interleaved(get, base, repeat)
            per_query.append(
                {
                    "q": query,
                    "found": found,
                    "ms": round(ms(values), 2),
                    "base_ms": round(ms(bases), 2),
                }
            )
        rows.append(
            make_row(
                f"search {label} (API)",
                statistics.median(q["ms"] for q in per_query),
                "ms",
                statistics.median(q["base_ms"] for q in per_query),
                n=int(statistics.median(q["found"] for q in per_query)),
                queries=per_query,
            )
        )
    return rows


# -- dashboards --------------------------------------------------------------------------------


def visits_count(raw: Raw, path: str | None, begin: dt.datetime, finish: dt.datetime):
    if path is None:
        sql = "SELECT COUNT(*) FROM patrols_visit v WHERE v.started_at >= %s AND v.started_at < %s"
        params = [raw.time(begin), raw.time(finish)]
    else:
        units, unit_args = under(raw, path, indexed=False)
        sql = (
            "SELECT COUNT(*) FROM patrols_visit v JOIN units_unit u ON u.id = v.unit_id"
            f" WHERE {units} AND v.started_at >= %s AND v.started_at < %s"  # noqa: S608
        )
        params = [*unit_args, raw.time(begin), raw.time(finish)]

    def call() -> int:
        return raw.fetch(sql, params)[0][0]

    return call


def measure_dashboards(world: World, raw: Raw, repeat: int) -> list[dict]:
    from django.test import Client

    from patroli.dashboard.scope import day_bounds

    start = END - dt.timedelta(days=6)
    begin, finish = day_bounds(start, END)
    url = f"/app/?from={start}&to={END}"
    rows = []
    for label, user, path in (
        ("dashboard Polda, 7 days", world.commander, world.polda.path),
        ("dashboard country, 7 days", world.admin, None),
    ):
        client = Client()
        client.force_login(user)

        def get(client=client):
            response = client.get(url)
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}")

        count = visits_count(raw, path, begin, finish)
        values, bases = interleaved(get, count, repeat)
        rows.append(make_row(label, ms(values), "ms", ms(bases), n=count()))
    return rows


# -- writes through the live server --------------------------------------------------------------


def visit_bodies(world: World, appeals: list[str], count: int, salt: int) -> list[dict]:
    """``count`` dialogic visits at the Polsek's sites, each with its dialogue."""
    import random

    rng = random.Random(f"{SEED}:bench:{salt}{RUN_SALT}")
    first = dt.datetime.combine(END - dt.timedelta(days=30), dt.time(8), tzinfo=WIB)
    bodies = []
    for _ in range(count):
        start = first + dt.timedelta(minutes=rng.randrange(30 * 24 * 60))
        response = rng.choice(("positive", "positive", "neutral", "negative"))
        bodies.append(
            {
                # Made now, as the phone makes a record's id when it records it (core/ids.py).
                "id": str(uuid7(bits=rng.getrandbits(74))),
                "site": rng.choice(world.polsek_sites),
                "started_at": start.isoformat(),
                "ended_at": (start + dt.timedelta(minutes=rng.randint(30, 120))).isoformat(),
                "kind": "dialogic",
                "dialogue": {
                    "participants": [
                        {"name": "Suparno", "role": "Ketua PPS", "organisation": "PPS"},
                        {"name": "Siti Aminah", "role": "Anggota PPS", "organisation": "PPS"},
                    ],
                    "attendees": rng.randint(5, 40),
                    "topics": rng.sample(TOPICS, 2),
                    "appeals": appeals,
                    "response": response,
                    "notes": rng.choice(NOTES[response]),
                },
            }
        )
    return bodies


def raw_batches(world: World, bodies: list[dict], appeal_ids: list[int]) -> list[dict]:
    """The rows the API writes for these visits (visit, its officer, dialogue, participants,
    appeals), with new ids: the raw driver writes them beside the API's."""
    from patroli.core.search import stems_column
    from patroli.patrols.services import DialogueData, visit_search_text
    from patroli.sites.models import Site

    raw = Raw()
    names = dict(Site.objects.filter(pk__in=world.polsek_sites).values_list("pk", "name"))
    created = raw.time(dt.datetime.now(dt.UTC))
    batches = []
    for start in range(0, len(bodies), BATCH):
        visits, dialogues, participants = [], [], []
        for body in bodies[start : start + BATCH]:
            vid = uuid7()
            key = vid.hex if raw.vendor == "sqlite" else vid
            said = body["dialogue"]
            text = visit_search_text(
                SimpleNamespace(name=names[body["site"]]),
                DialogueData(participants=[], topics=said["topics"], notes=said["notes"]),
            )
            begin = dt.datetime.fromisoformat(body["started_at"])
            finish = dt.datetime.fromisoformat(body["ended_at"])
            visits.append(
                (
                    key,
                    body["site"],
                    world.polsek.pk,
                    "dialogic",
                    world.officer.pk,
                    raw.time(begin),
                    raw.time(finish),
                    None,
                    None,
                    None,
                    False,
                    created,
                    None,
                    0.5,
                    text,
                    stems_column(text),
                    said["response"],
                    said["attendees"],
                )
            )
            dialogues.append(
                (
                    key,
                    said["attendees"],
                    json.dumps(said["topics"]),
                    said["response"],
                    said["notes"],
                    "",
                )
            )
            participants.append(
                [(p["name"], p["role"], p["organisation"]) for p in said["participants"]]
            )
        batches.append({"visits": visits, "dialogues": dialogues, "participants": participants})
    return batches


VISIT_COLUMNS = [
    *("id", "site_id", "unit_id", "kind", "recorded_by_id", "started_at", "ended_at", "lat"),
    *("lon", "distance_m", "far_from_site", "created_at", "recorded_at", "clock_skew_s"),
    *("search_text", "search_stems", "response", "attendees"),
]


def insert_sql(table: str, columns: list[str], mark: str) -> str:
    quoted = ", ".join(f'"{c}"' for c in columns)
    return f"INSERT INTO {table} ({quoted}) VALUES ({', '.join([mark] * len(columns))})"


def raw_writer(url: str, vendor: str, officer_id: int, appeal_ids: list[int]):
    """A function writing one batch with its own DB-API connection in one transaction."""
    if vendor == "sqlite":
        import sqlite3

        from django.conf import settings

        conn = sqlite3.connect(settings.DATABASES["default"]["NAME"], timeout=20)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")  # as production's connections
        mark = "?"
    else:
        import psycopg

        conn = psycopg.connect(url)
        mark = "%s"
    visit_sql = insert_sql("patrols_visit", VISIT_COLUMNS, mark)
    officer_sql = insert_sql("patrols_visit_officers", ["visit_id", "officer_id"], mark)
    dialogue_sql = insert_sql(
        "patrols_dialogue",
        ["visit_id", "attendees", "topics", "response", "notes", "statement"],
        mark,
    )
    participant_sql = insert_sql(
        "patrols_participant", ["dialogue_id", "name", "role", "organisation", "order"], mark
    )
    appeal_sql = insert_sql("patrols_dialogue_appeals", ["dialogue_id", "appeal_id"], mark)

    def write(batch: dict) -> None:
        cur = conn.cursor()
        visits = batch["visits"]
        cur.executemany(visit_sql, visits)
        cur.executemany(officer_sql, [(v[0], officer_id) for v in visits])
        cur.executemany(dialogue_sql, batch["dialogues"])
        keys = [v[0] for v in visits]
        marks = ", ".join([mark] * len(keys))
        cur.execute(f"SELECT visit_id, id FROM patrols_dialogue WHERE visit_id IN ({marks})", keys)
        ids = dict(cur.fetchall())
        cur.executemany(
            participant_sql,
            [
                (ids[key], *person, order)
                for key, people in zip(keys, batch["participants"], strict=True)
                for order, person in enumerate(people)
            ],
        )
        cur.executemany(appeal_sql, [(ids[key], a) for key in keys for a in appeal_ids])
        conn.commit()
        cur.close()

    return write, conn


def measure_ingest(world: World, server: LiveServer, url: str, count: int) -> dict:
    from django.db import connection

    from patroli.patrols.models import Appeal

    appeals = list(Appeal.objects.filter(active=True).order_by("code")[:2])
    codes, appeal_ids = [a.code for a in appeals], [a.pk for a in appeals]
    bodies = visit_bodies(world, codes, count + BATCH, salt=1)
    batches = raw_batches(world, bodies, appeal_ids)
    write, conn = raw_writer(url, connection.vendor, world.officer.pk, appeal_ids)
    http = server.connection()
    api_seconds = raw_seconds = 0.0
    try:
        for n, start in enumerate(range(0, len(bodies), BATCH)):
            sent = dt.datetime.now(dt.UTC).isoformat()
            payload = json.dumps(
                {"sent_at": sent, "visits": bodies[start : start + BATCH]}
            ).encode()
            began = time.perf_counter()
            status, answer = http.post("/api/v1/sync", payload, world.officer_token)
            took = time.perf_counter() - began
            results = json.loads(answer)["results"] if status == 200 else []
            if status != 200 or any(r["status"] != "created" for r in results):
                raise SystemExit(f"/api/v1/sync answered {status}: {answer[:500]!r}")
            raw_took = clock(lambda n=n: write(batches[n]))
            if n:  # the first batch of each warms up
                api_seconds += took
                raw_seconds += raw_took
    finally:
        http.close()
        conn.close()
    return make_row(
        f"sync ingest, {BATCH} visits a request",
        count / api_seconds,
        "visits/s",
        count / raw_seconds,
        n=count,
    )


def appeal_codes() -> list[str]:
    """The appeals that the visits of the write rows give: the first two active ones."""
    from patroli.patrols.models import Appeal

    active = Appeal.objects.filter(active=True).order_by("code")
    return list(active.values_list("code", flat=True)[:2])


def generated_world(size: str) -> World:
    """The world of a database that this suite generated at ``size`` before (for the scripts
    that work on one: post_parts.py, audit_chain.py)."""
    from patroli.patrols.models import Visit

    if not Visit.objects.exists():
        raise SystemExit("the database holds no generated country: run benchmarks/suite.py first")
    return pick_world(SIZES[size])


def measure_single_post(world: World, server: LiveServer, per_thread: int) -> dict:
    from patroli.patrols.models import Visit

    codes = appeal_codes()
    # Short rounds taken in turn (the API's, then the floor's), so that a change of the
    # machine's load hits both alike: the same requests as two long rounds, less noise.
    rounds, seconds = 6, {"api": 0.0, "floor": 0.0}
    per_round = max(3, round(per_thread * 2 / rounds))
    salt = 100
    for phase in range(rounds + 1):  # round 0 warms both up
        for key, path in (("api", "/api/v1/visits"), ("floor", "/bench/visit")):
            salt += 1
            wanted = per_round if phase else 3
            bodies = visit_bodies(world, codes, THREADS * wanted, salt=salt)
            encoded = [json.dumps(b).encode() for b in bodies]
            per = [encoded[i::THREADS] for i in range(THREADS)]
            took = hammer(server.port, path, per, world.officer_token)
            if phase:
                seconds[key] += took
            if key == "floor":
                # The floor's bare rows do not move their sites' latest visit (that is the work
                # it skips): gone again, they leave the data as the app would have it, for the
                # next run's coverage (--reuse) to count right.
                Visit.objects.filter(pk__in=[body["id"] for body in bodies]).delete()
    total = rounds * THREADS * per_round
    return make_row(
        f"single POST, {THREADS} connections",
        total / seconds["api"],
        "requests/s",
        total / seconds["floor"],
        n=total,
    )


# -- the run -----------------------------------------------------------------------------------


def number(value: float | None) -> str:
    if value is None:
        return ""
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.3g}"


def print_table(rows: list[dict]) -> None:
    print(
        f"\n{'':<32} {'value':>10} {'unit':<11} {'baseline':>10} {'ratio':>8} {'goal':>7} "
        f"{'met':>4} {'n':>10}"
    )
    for row in rows:
        met = {True: "yes", False: "NO", None: "-"}[row["met"]]
        print(
            f"{row['name']:<32} {number(row['value']):>10} {row['unit']:<11} "
            f"{number(row['baseline']):>10} {number(row['ratio']):>8} {row['goal']:>7} {met:>4} "
            f"{row['n']:>10,}"
        )


def main() -> None:
    args = parse_args()
    size = SIZES[args.size]
    repeat = args.repeat or size.repeat
    workdir = Path(tempfile.mkdtemp(prefix="patroli-suite-"))
    url = args.database_url or f"sqlite:///{workdir}/suite.sqlite3"
    env = setup_django(url, workdir)
    from django.db import connection

    vendor = connection.vendor
    if args.reuse:
        global RUN_SALT
        RUN_SALT = f":{uuid.uuid4().hex}"
    generated = reused() if args.reuse else generate(size)
    if vendor == "postgresql":
        with connection.cursor() as cursor:  # what autovacuum does after a bulk load
            cursor.execute("VACUUM ANALYZE")
    world = pick_world(size)
    raw = Raw()
    print(
        f"\nGenerated {args.size} on {vendor} in {generated['seconds']:,.0f} s: "
        f"{world.db_sites:,} sites, {world.db_visits:,} visits, "
        f"{generated['concerns']:,} concerns, {generated['incidents']:,} incidents. "
        f"Polda {world.polda.name}, "
        f"Polsek {world.polsek.name} ({len(world.polsek_sites)} sites).\n"
    )
    name = f"{args.size}-{vendor}.json"
    if args.only != set(STEPS):  # some rows only: never in place of a whole run's file
        name = f"{args.size}-{vendor}-{'-'.join(s for s in STEPS if s in args.only)}.json"
    out = Path(args.out) if args.out else Path(tempfile.gettempdir()) / name
    if not args.out and args.only == set(STEPS):
        out = ROOT / "benchmarks/results" / name
    partial = out.with_suffix(".partial.json")
    rows = []
    reads = {
        "risk": measure_risk,
        "coverage": measure_coverage,
        "search": measure_search,
        "dashboards": measure_dashboards,
    }
    for step_name, step in reads.items():
        if step_name in args.only:
            rows += step(world, raw, repeat)
            print(f"  {rows[-1]['name']}: done", flush=True)
            partial.write_text(json.dumps(rows, indent=2, default=str) + "\n")  # so far
    connection.close()
    workers = None
    if args.only & {"ingest", "single"}:
        with LiveServer(server_env(env), workdir / "server.log") as server:
            if "ingest" in args.only:
                rows.append(measure_ingest(world, server, url, size.ingest))
            if "single" in args.only:
                rows.append(measure_single_post(world, server, size.posts))
            workers = server.worker_count()
    for row in rows:
        row["db_visits"] = world.db_visits
        if row["name"].startswith(("sync", "single")):
            row["workers"] = workers
    print_table(rows)
    print(
        "\nratio: value / baseline (rates: the API's share of the floor's rate). "
        f"Reads: median of {repeat} after a warm-up, taken in turn with the baseline."
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, indent=2, default=str) + "\n")
    partial.unlink(missing_ok=True)
    print(f"Rows written to {out}\n")
    connection.close()
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
