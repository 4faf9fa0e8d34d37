"""The commander's dashboard over a generated Polda: pages and map layers against a bare count.

    .venv/bin/python benchmarks/dashboard.py [--size small|medium] [-n 5] [--database-url URL]
                                             [--out PATH] [--profile]

Generates Polda Kalimantan Timur from the shipped regions (10 Polres, 105 Polsek, 1,038 villages)
with ``patroli generate-national``'s generator (patroli/core/generate.py): a PPS office and on
average T polling stations per village, 120 days of visits (each with a dialogue), concerns,
incidents, and site risk scores, seeded, so that every run sees the same data:

    size    TPS/village  visits   concerns  incidents
    small   3            50,000   5,000     500        (about a minute on 2 cores)
    medium  10           500,000  50,000    5,000      (a few minutes)

Then it times, through the whole stack (``django.test.Client``, a commander of each level logged
in), the dashboard of a Polsek, a Polres and the Polda over 7 days, the Polda over 30 days and each
map layer of the Polda; next to each, the bare indexed SQL count of the visits of that unit's
subtree in that period with the raw driver: what any dashboard must at least pay. ``--profile``
lists the slowest queries of each row.

Without --database-url it uses a fresh SQLite file (WAL, like production). With a PostgreSQL URL,
point it at a scratch database: it migrates it and adds rows (run it on an empty one). PostgreSQL
gets a VACUUM ANALYZE after the load, as autovacuum would; SQLite gets no ANALYZE, as production
has none. The rows are also written as JSON to benchmarks/results/dashboard-<size>-<vendor>.json
(or --out).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SEED = 64
WITA = ZoneInfo("Asia/Makassar")
END = dt.date(2024, 1, 23)  # the last day of the generated data and of every measured period
DAYS = 120
BATCH = 5000


@dataclass(frozen=True)
class Size:
    regions: str  # the Kemendagri code prefix of the regions generated
    tps: int  # polling stations, spread over the villages
    visits: int
    concerns: int
    incidents: int


SIZES = {
    # Penajam Paser Utara only (54 villages): for the smoke test.
    "tiny": Size("64.09", 54, 300, 60, 12),
    # Kalimantan Timur: 1,038 villages, 3 and 10 TPS each on average.
    "small": Size("64", 3_114, 50_000, 5_000, 500),
    "medium": Size("64", 10_380, 500_000, 50_000, 5_000),
}
POLRES = "64.09"  # Penajam Paser Utara: the Polres and
POLSEK = "64.09.04"  # Sepaku: the Polsek measured on their own


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--size", choices=SIZES, default="small", metavar="{small,medium}", help="default: small"
    )
    parser.add_argument(
        "-n", "--repeat", type=int, default=5, help="timed runs of each row, after one warm-up"
    )
    parser.add_argument("--database-url", default="")
    parser.add_argument("--out", default="", help="JSON file for the rows")
    parser.add_argument("--profile", action="store_true", help="list each row's slowest queries")
    return parser.parse_args()


def setup_django(database_url: str, static_root: str) -> None:
    os.environ.setdefault("SECRET_KEY", "benchmark")
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "patroli.settings"
    hosts = os.environ.get("ALLOWED_HOSTS", "")
    os.environ["ALLOWED_HOSTS"] = f"{hosts},testserver" if hosts else "testserver"
    os.environ["STATIC_ROOT"] = static_root
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    # The pages use the manifest storage of production: it needs the collected files.
    call_command("collectstatic", interactive=False, verbosity=0)


# -- generating a Polda ----------------------------------------------------------------------


def generate(size: Size) -> tuple[dict[str, int], dict]:
    """The row count of each table, and the commander of each level by level.

    The country comes from ``patroli generate-national``'s generator (patroli/core/generate.py);
    the site risk scores, which the map's heat layer reads, are this benchmark's own.
    """
    from django.apps import apps

    from patroli.core.generate import Options, Progress, generate_country
    from patroli.elections import risk
    from patroli.elections.models import RiskScore
    from patroli.sites.models import Site
    from patroli.units.models import Officer

    generate_country(
        options=Options(
            regions_prefix=size.regions,
            tps=size.tps,
            visits=size.visits,
            concerns=size.concerns,
            incidents=size.incidents,
            end_date=END,
            days=DAYS,
            seed=SEED,
            batch_size=BATCH,
            analyze=False,  # PostgreSQL gets a VACUUM ANALYZE below; SQLite none, as production
        ),
        progress=Progress(line=print),
    )

    rng = random.Random(SEED)
    weights = risk.get_weights()
    computed = dt.datetime.combine(END + dt.timedelta(days=1), dt.time.min, tzinfo=WITA)
    sites = list(Site.objects.order_by("pk").values_list("pk", "unit_id"))
    scores = []
    for site_id, unit_id in rng.sample(sites, len(sites) // 10):
        score = round(min(100.0, rng.betavariate(2, 4) * 100), 1)
        scores.append(
            RiskScore(
                site_id=site_id,
                unit_id=unit_id,
                score=score,
                level=risk.level_for(score, weights),
                factors=[],
                computed_at=computed,
            )
        )
    RiskScore.objects.bulk_create(scores, batch_size=BATCH)

    counts = {
        label: apps.get_model(label).objects.count()
        for label in [
            "regions.Region",
            "units.Unit",
            "sites.Site",
            "patrols.Visit",
            "patrols.Dialogue",
            "concerns.Concern",
            "elections.Incident",
            "elections.RiskScore",
        ]
    }
    commanders = {
        level: Officer.objects.select_related("unit").get(unit__code=code, role="commander")
        for level, code in [
            ("polda", "polda-64"),
            ("polres", f"polres-{POLRES.replace('.', '-')}"),
            ("polsek", f"polsek-{POLSEK.replace('.', '-')}"),
        ]
    }
    return counts, commanders


# -- measuring -------------------------------------------------------------------------------


def timed(call, repeat: int) -> list[float]:
    call()  # warm-up
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        call()
        samples.append(time.perf_counter() - began)
    return samples


def p90(samples: list[float]) -> float:
    if len(samples) < 2:
        return samples[0]
    return statistics.quantiles(samples, n=10, method="inclusive")[8]


def baseline_count(path: str, days: int):
    """A call running the bare count of the subtree's visits in the period with the raw driver."""
    from django.db import connection

    from patroli.dashboard.scope import day_bounds
    from patroli.units.models import PathStartsWith

    p = "?" if connection.vendor == "sqlite" else "%s"
    # The subtree as the application writes it (units.models.PathStartsWith).
    if connection.vendor == "sqlite":
        units, unit_params = (
            f"+u.path >= {p} AND +u.path < {p}",
            (path, PathStartsWith.beyond(path)),
        )
    else:
        units, unit_params = f"u.path LIKE {p}", (path + "%",)
    sql = (
        "SELECT COUNT(*) FROM patrols_visit v JOIN units_unit u ON u.id = v.unit_id "
        f"WHERE {units} AND v.started_at >= {p} AND v.started_at < {p}"
    )
    begin, finish = day_bounds(END - dt.timedelta(days=days - 1), END)
    params = (
        *unit_params,
        connection.ops.adapt_datetimefield_value(begin),
        connection.ops.adapt_datetimefield_value(finish),
    )

    def call() -> int:
        connection.ensure_connection()
        cursor = connection.connection.cursor()
        cursor.execute(sql, params)
        (n,) = cursor.fetchone()
        cursor.close()
        return n

    return call


def measure(commanders: dict, repeat: int, profile: bool) -> list[dict]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    clients = {}
    for level, user in commanders.items():
        clients[level] = Client()
        clients[level].force_login(user)

    def period(days: int) -> str:
        return f"from={END - dt.timedelta(days=days - 1)}&to={END}"

    rows = [
        ("dashboard Polsek, 7 days", "polsek", f"/app/?{period(7)}", 7),
        ("dashboard Polres, 7 days", "polres", f"/app/?{period(7)}", 7),
        ("dashboard Polda, 7 days", "polda", f"/app/?{period(7)}", 7),
        ("dashboard Polda, 30 days", "polda", f"/app/?{period(30)}", 30),
    ] + [
        (f"map {layer}, Polda 7 days", "polda", f"/app/peta/{layer}.geojson?{period(7)}", 7)
        for layer in ("villages", "visits", "concerns", "incidents", "heat")
    ]
    results = []
    for name, level, url, days in rows:
        client = clients[level]

        def get(client=client, url=url):
            response = client.get(url)
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}")
            return response

        timings: list[tuple[float, str]] = []

        def clock(execute, sql, params, many, context, timings=timings):
            began = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                timings.append((time.perf_counter() - began, sql))

        with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(clock):
            get()
        queries = list(captured.captured_queries)  # the next request clears the log
        samples = timed(get, repeat)
        count = baseline_count(commanders[level].unit.path, days)
        visits = count()
        base = timed(count, repeat)
        value, baseline = statistics.median(samples) * 1000, statistics.median(base) * 1000
        results.append(
            {
                "name": name,
                "value": round(value, 2),
                "unit": "ms",
                "p90": round(p90(samples) * 1000, 2),
                "baseline": round(baseline, 3),
                "ratio": round(value / baseline, 1),
                "queries": len(queries),
                "visits": visits,
            }
        )
        if profile:
            total = sum(seconds for seconds, _sql in timings) * 1000
            print(f"\n{name}: {len(timings)} queries, {total:.1f} ms in the database; slowest:")
            for seconds, sql in sorted(timings, reverse=True)[:3]:
                print(f"  {seconds * 1000:8.1f} ms  {sql[:300]}")
    return results


def main() -> None:
    args = parse_args()
    size = SIZES[args.size]
    workdir = Path(tempfile.mkdtemp(prefix="patroli-bench-"))
    url = args.database_url or f"sqlite:///{workdir}/bench.sqlite3"
    setup_django(url, str(workdir / "static"))
    from django.db import connection

    from patroli.units.models import Unit

    if Unit.objects.exists():
        raise SystemExit(f"{url} already holds units: give an empty scratch database.")
    vendor = connection.vendor
    began = time.perf_counter()
    counts, commanders = generate(size)
    if vendor == "postgresql":
        with connection.cursor() as cursor:  # what autovacuum does after a bulk load
            cursor.execute("VACUUM ANALYZE")
    generated = time.perf_counter() - began
    print(f"\nGenerated a Polda ({args.size}) on {vendor} in {generated:.1f} s:")
    print("  " + ", ".join(f"{label.split('.')[1]} {n:,}" for label, n in counts.items()))

    results = measure(commanders, args.repeat, args.profile)

    print(
        f"\nThe dashboard of a commander, {END - dt.timedelta(days=6)} to {END} unless said; "
        f"median of {args.repeat} after a warm-up; baseline: the bare SQL count of the subtree's "
        "visits in the period (raw driver)\n"
    )
    print(
        f"{'':<28} {'median ms':>10} {'p90 ms':>9} {'baseline ms':>12} {'ratio':>8} "
        f"{'queries':>8} {'visits':>8}"
    )
    for row in results:
        print(
            f"{row['name']:<28} {row['value']:>10.1f} {row['p90']:>9.1f} {row['baseline']:>12.2f} "
            f"{row['ratio']:>8.1f} {row['queries']:>8} {row['visits']:>8,}"
        )
    out = (
        Path(args.out)
        if args.out
        else ROOT / "benchmarks/results" / (f"dashboard-{args.size}-{vendor}.json")
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nRows written to {out}\n")
    connection.close()
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
