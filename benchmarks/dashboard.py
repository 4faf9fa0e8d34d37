"""The commander's dashboard over a generated Polda: pages and map layers against a bare count.

    .venv/bin/python benchmarks/dashboard.py [--size small|medium] [-n 5] [--database-url URL]
                                             [--out PATH] [--profile]

Generates Polda Kalimantan Timur from the shipped regions (10 Polres, 105 Polsek, 1,038 villages),
a PPS office and T polling stations per village, and 120 days of visits (each with a dialogue),
concerns, incidents and site risk scores, seeded, so that every run sees the same data:

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
import gzip
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SEED = 64
END = dt.date(2024, 1, 23)  # the last day of the generated data and of every measured period
DAYS = 120
BATCH = 5000


@dataclass(frozen=True)
class Size:
    regions: tuple[str, ...]  # code prefixes of the regions imported
    tps: int  # polling stations per village
    visits: int
    concerns: int
    incidents: int


SIZES = {
    # Penajam Paser Utara only: for the smoke test.
    "tiny": Size(("64,", "64.09,", "64.09."), 1, 300, 60, 12),
    "small": Size(("64,", "64."), 3, 50_000, 5_000, 500),
    "medium": Size(("64,", "64."), 10, 500_000, 50_000, 5_000),
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


@contextmanager
def stamps_as_given(*models):
    """bulk_create stamps auto_now(_add) fields with the present; generated rows bring their own."""
    fields = [
        f
        for model in models
        for f in model._meta.concrete_fields
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def bulk(model, rows, batch: int = BATCH) -> int:
    """Write an iterable of unsaved rows in batches, one transaction per batch."""
    from django.db import transaction

    count, chunk = 0, []
    for row in rows:
        chunk.append(row)
        if len(chunk) == batch:
            with transaction.atomic():
                model.objects.bulk_create(chunk)
            count, chunk = count + len(chunk), []
    if chunk:
        with transaction.atomic():
            model.objects.bulk_create(chunk)
        count += len(chunk)
    return count


def import_kaltim(size: Size, workdir: Path) -> None:
    from patroli.regions.importer import DEFAULT_FILE, import_regions

    path = workdir / "regions.csv"
    with gzip.open(DEFAULT_FILE, "rt", encoding="utf-8") as src, path.open("w") as out:
        for i, line in enumerate(src):
            if i == 0 or line.startswith(size.regions):
                out.write(line)
    result = import_regions(path)
    if not result.ok:
        raise SystemExit(f"region import failed: {result.errors[:3]}")


def build_units():
    """One Polda, a Polres per regency, a Polsek per district; a commander of each level."""
    from patroli.regions.models import Region
    from patroli.units.models import Officer, Unit

    polda = Unit.objects.create(code="polda-kaltim", name="Polda Kalimantan Timur", level="polda")
    polres, polsek = {}, {}
    for region in Region.objects.filter(level=Region.Level.REGENCY).order_by("code"):
        name = region.name.removeprefix("Kabupaten ")
        polres[region.code] = Unit.objects.create(
            code=f"polres-{region.code.replace('.', '-')}",
            name=f"Polres {name}",
            level="polres",
            parent=polda,
        )
    for region in Region.objects.filter(level=Region.Level.DISTRICT).order_by("code"):
        polsek[region.code] = Unit.objects.create(
            code=f"polsek-{region.code.replace('.', '-')}",
            name=f"Polsek {region.name}",
            level="polsek",
            parent=polres[region.parent_id],
        )
    through = Unit.regions.through
    through.objects.bulk_create(
        [through(unit_id=polda.pk, region_id="64")]
        + [through(unit_id=u.pk, region_id=code) for code, u in {**polres, **polsek}.items()]
    )
    officers = {
        code: Officer(username=f"officer-{unit.code}", unit=unit, role=Officer.Role.OFFICER)
        for code, unit in polsek.items()
    }
    commanders = {
        level: Officer(username=f"commander-{unit.code}", unit=unit, role=Officer.Role.COMMANDER)
        for level, unit in [
            ("polda", polda),
            ("polres", polres[POLRES]),
            ("polsek", polsek[POLSEK]),
        ]
    }
    for user in [*officers.values(), *commanders.values()]:
        user.set_unusable_password()
    Officer.objects.bulk_create([*officers.values(), *commanders.values()])
    officer_ids = dict(
        Officer.objects.filter(role=Officer.Role.OFFICER).values_list("unit_id", "pk")
    )
    commanders = {
        level: Officer.objects.get(username=user.username) for level, user in commanders.items()
    }
    return polsek, officer_ids, commanders


def local(day: dt.date, seconds: float) -> dt.datetime:
    from django.utils import timezone

    moment = dt.datetime.combine(day, dt.time.min) + dt.timedelta(seconds=seconds)
    return moment.replace(tzinfo=timezone.get_current_timezone())


def generate(size: Size, workdir: Path) -> tuple[dict[str, int], dict]:
    """The row count of each table, and the commander of each level by level."""
    from patroli.concerns.models import TRACKING_ALPHABET, TRACKING_LENGTH, Category, Concern
    from patroli.elections import risk
    from patroli.elections.models import Incident, RiskScore
    from patroli.patrols.models import Dialogue, Visit
    from patroli.regions.models import Region
    from patroli.sites.models import Site

    rng = random.Random(SEED)
    first_day = END - dt.timedelta(days=DAYS - 1)
    end_moment = local(END + dt.timedelta(days=1), 0)

    import_kaltim(size, workdir)
    polsek, officer_ids, commanders = build_units()

    villages = list(
        Region.objects.filter(level=Region.Level.VILLAGE)
        .order_by("code")
        .values_list("code", "parent_id", "name", "lat", "lng")
    )

    def sites():
        for code, district, name, lat, lng in villages:
            unit = polsek[district]
            for number in range(size.tps + 1):
                kind = Site.Kind.TPS if number else Site.Kind.PPS_OFFICE
                yield Site(
                    name=f"TPS {number:03d} {name}" if number else f"Kantor PPS {name}",
                    kind=kind,
                    village_id=code,
                    unit=unit,
                    lat=lat + rng.uniform(-0.01, 0.01),
                    lng=lng + rng.uniform(-0.01, 0.01),
                    tps_number=number or None,
                    voters=rng.randint(150, 300) if number else None,
                )

    bulk(Site, sites())
    site_rows = list(
        Site.objects.order_by("pk").values_list("pk", "unit_id", "village_id", "lat", "lng")
    )

    def moments(n: int):
        """n times in the period between 07:00 and 22:00 local, in order: rows arrive as time
        passes, so that the table's physical order follows the time as in production."""
        per_day = Counter(rng.randrange(DAYS) for _ in range(n))
        for offset in range(DAYS):
            day = first_day + dt.timedelta(days=offset)
            for seconds in sorted(rng.uniform(7 * 3600, 22 * 3600) for _ in range(per_day[offset])):
                yield local(day, seconds)

    def near(value: float) -> float:
        return value + rng.uniform(-0.002, 0.002)

    kinds = Visit.Kind.values
    responses = Dialogue.Response.values

    def visits():
        for started in moments(size.visits):
            site_id, unit_id, _village, lat, lng = rng.choice(site_rows)
            ended = started + dt.timedelta(minutes=rng.randint(15, 90))
            distance = rng.expovariate(1 / 60)
            visit = Visit(
                id=uuid.UUID(int=rng.getrandbits(128), version=4),
                site_id=site_id,
                unit_id=unit_id,
                kind=rng.choices(kinds, weights=(6, 3, 1))[0],
                recorded_by_id=officer_ids[unit_id],
                started_at=started,
                ended_at=ended,
                lat=near(lat),
                lon=near(lng),
                distance_m=distance,
                far_from_site=distance > 250,
                created_at=ended,
            )
            yield (
                visit,
                Dialogue(
                    visit_id=visit.id,
                    attendees=rng.randint(3, 40),
                    response=rng.choices(responses, weights=(6, 3, 1))[0],
                ),
            )

    from django.db import transaction

    with stamps_as_given(Visit, Concern, Incident):
        pairs = visits()
        while chunk := list(islice(pairs, BATCH)):
            with transaction.atomic():
                Visit.objects.bulk_create([v for v, _d in chunk])
                Dialogue.objects.bulk_create([d for _v, d in chunk])

        categories = list(Category.objects.values_list("pk", "respond_days"))
        statuses = Concern.Status.values
        status_weights = (3, 2, 2, 3, 4, 1, 1, 1, 1)
        sources = Concern.Source.values
        alphabet, space = TRACKING_ALPHABET, len(TRACKING_ALPHABET) ** TRACKING_LENGTH

        def tracking_code(i: int) -> str:
            # A bijection of 0..space-1 (the multiplier is prime to 23): unique, random-looking.
            n, chars = (i * 7_919_391 + 12_345) % space, []
            for _ in range(TRACKING_LENGTH):
                n, digit = divmod(n, len(alphabet))
                chars.append(alphabet[digit])
            return "".join(chars)

        def concerns():
            for i, created in enumerate(moments(size.concerns)):
                site_id, unit_id, village, lat, lng = rng.choice(site_rows)
                category, respond_days = rng.choice(categories)
                status = rng.choices(statuses, weights=status_weights)[0]
                resolved = (
                    created + dt.timedelta(hours=rng.uniform(2, 240))
                    if status in ("resolved", "closed")
                    else None
                )
                located = rng.random() < 0.5
                yield Concern(
                    tracking_code=tracking_code(i),
                    source=rng.choice(sources),
                    category_id=category,
                    description=f"Laporan warga nomor {i}",
                    village_id=village,
                    site_id=site_id if rng.random() < 0.6 else None,
                    unit_id=unit_id,
                    lat=near(lat) if located else None,
                    lon=near(lng) if located else None,
                    status=status,
                    created_at=created,
                    updated_at=resolved or created,
                    due_at=created + dt.timedelta(days=respond_days),
                    resolved_at=resolved,
                )

        bulk(Concern, concerns())

        incident_kinds = Incident.Kind.values
        severities = Incident.Severity.values
        incident_statuses = Incident.Status.values

        def incidents():
            for occurred in moments(size.incidents):
                site_id, unit_id, village, lat, lng = rng.choice(site_rows)
                located = rng.random() < 0.5
                yield Incident(
                    id=uuid.UUID(int=rng.getrandbits(128), version=4),
                    kind=rng.choice(incident_kinds),
                    severity=rng.choices(severities, weights=(6, 3, 1))[0],
                    status=rng.choice(incident_statuses),
                    occurred_at=occurred,
                    site_id=site_id if rng.random() < 0.6 else None,
                    village_id=village,
                    lat=near(lat) if located else None,
                    lon=near(lng) if located else None,
                    unit_id=unit_id,
                    recorded_by_id=officer_ids[unit_id],
                    created_at=occurred,
                )

        bulk(Incident, incidents())

    weights = risk.get_weights()

    def scores():
        for site_id, unit_id, *_rest in rng.sample(site_rows, len(site_rows) // 10):
            score = round(min(100.0, rng.betavariate(2, 4) * 100), 1)
            yield RiskScore(
                site_id=site_id,
                unit_id=unit_id,
                score=score,
                level=risk.level_for(score, weights),
                factors=[],
                computed_at=end_moment,
            )

    bulk(RiskScore, scores())

    from django.apps import apps

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

    p = "?" if connection.vendor == "sqlite" else "%s"
    sql = (
        "SELECT COUNT(*) FROM patrols_visit v JOIN units_unit u ON u.id = v.unit_id "
        f"WHERE u.path LIKE {p} AND v.started_at >= {p} AND v.started_at < {p}"
    )
    begin, finish = day_bounds(END - dt.timedelta(days=days - 1), END)
    params = (
        path + "%",
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
    counts, commanders = generate(size, workdir)
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
