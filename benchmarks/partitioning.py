"""Does monthly partitioning of the visits pay on PostgreSQL? Measured on a generated country.

Copies ``patrols_visit`` of a database filled by ``patroli generate-national`` into a table
partitioned by month of ``started_at`` (with the same indexes), then times the same statements
against both, in turn, median of ``--repeat``:

- the visits of a Polda in the last 7 days, and of the country in 30 days (the dashboards' count);
- the last visit of 1,000 sites (coverage, risk, planning);
- inserting 5,000 visits in one transaction (the sync path's insert), with the same indexes to
  maintain (the full-text one included).

The partitioned copy is dropped at the end unless ``--keep``. PostgreSQL only.

    .venv/bin/python benchmarks/partitioning.py --database-url postgres://127.0.0.1/bench_national
"""

# SQL of this script is built from its own names only; every value is a parameter.
# ruff: noqa: S608

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
PART = "bench_visit_monthly"


def median_ms(call, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        call()
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples)


def months(first: datetime, last: datetime):
    month = first.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    while month <= last:
        following = (month + timedelta(days=32)).replace(day=1)
        yield month, following
        month = following


def build(conn, quiet: bool) -> float:
    began = time.perf_counter()
    with conn.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {PART}")
        cur.execute(
            f"CREATE TABLE {PART} (LIKE patrols_visit INCLUDING DEFAULTS INCLUDING GENERATED) "
            "PARTITION BY RANGE (started_at)"
        )
        cur.execute("SELECT min(started_at), max(started_at) FROM patrols_visit")
        first, last = cur.fetchone()
        last = max(last, datetime.now(UTC))  # room for the inserts below
        for start, end in months(first, last):
            # DDL takes no parameters: the bounds are dates this script computed.
            cur.execute(
                f"CREATE TABLE {PART}_{start:%Y%m} PARTITION OF {PART} "
                f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
            )
        # Every column but the generated ones (the stored search document), which the copy
        # computes as patrols_visit does.
        cur.execute(
            "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute "
            "WHERE attrelid = 'patrols_visit'::regclass AND attnum > 0 AND NOT attisdropped "
            "AND attgenerated = ''"
        )
        (columns,) = cur.fetchone()
        cur.execute(f"INSERT INTO {PART} ({columns}) SELECT {columns} FROM patrols_visit")
        # The same indexes as patrols_visit (the primary key cannot be global: it holds the
        # partition key, the first thing partitioning costs an API that finds visits by id).
        cur.execute(f"ALTER TABLE {PART} ADD PRIMARY KEY (id, started_at)")
        # Every other index of patrols_visit, the full-text one included, so that the inserts
        # maintain the same indexes on both tables.
        cur.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'patrols_visit' "
            "AND indexdef NOT LIKE 'CREATE UNIQUE%%'"
        )
        for (definition,) in cur.fetchall():
            using = definition.index(" USING ")
            cur.execute(f"CREATE INDEX ON {PART}" + definition[using:])
        cur.execute(f"ANALYZE {PART}")
    conn.commit()
    seconds = time.perf_counter() - began
    if not quiet:
        print(f"partitioned copy built in {seconds:.0f} s")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True, help="postgres://… of a generated country")
    parser.add_argument("--polda", default="33", help="province code of the Polda (default: 33)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the partitioned copy")
    parser.add_argument("--out", default=str(ROOT / "benchmarks/results/partitioning.json"))
    args = parser.parse_args()

    conn = psycopg.connect(args.database_url)
    build_seconds = build(conn, quiet=False)
    with conn.cursor() as cur:
        cur.execute("SELECT max(started_at), count(*) FROM patrols_visit")
        newest, total = cur.fetchone()
        cur.execute("SELECT path FROM units_unit WHERE code = %s", [f"polda-{args.polda}"])
        (path,) = cur.fetchone()
        cur.execute("SELECT id FROM sites_site ORDER BY id")
        site_ids = [row[0] for row in cur.fetchall()]
        cur.execute("SELECT id FROM units_officer ORDER BY id LIMIT 1")
        (officer,) = cur.fetchone()
    conn.commit()
    sample = random.Random(1).sample(site_ids, min(1000, len(site_ids)))

    def count(table: str, begin: datetime, unit_path: str | None):
        def call():
            with conn.cursor() as cur:
                if unit_path is None:
                    cur.execute(
                        f"SELECT count(*) FROM {table} WHERE started_at >= %s AND started_at < %s",
                        [begin, newest],
                    )
                else:
                    cur.execute(
                        f"SELECT count(*) FROM {table} v JOIN units_unit u ON u.id = v.unit_id "
                        "WHERE u.path LIKE %s AND v.started_at >= %s AND v.started_at < %s",
                        [unit_path + "%", begin, newest],
                    )
                return cur.fetchone()[0]

        return call

    def last_visits(table: str):
        def call():
            with conn.cursor() as cur:
                for site in sample:
                    cur.execute(f"SELECT max(started_at) FROM {table} WHERE site_id = %s", [site])
                    cur.fetchone()

        return call

    def inserts(table: str):
        def call():
            rows = []
            moment = datetime.now(UTC) - timedelta(hours=1)
            for i in range(5000):
                rows.append(
                    (
                        uuid.uuid4(), sample[i % len(sample)], 1, "dialogic", officer,
                        moment, moment, False, moment, "", "",
                    )
                )  # fmt: skip
            with conn.cursor() as cur:
                cur.executemany(
                    f"INSERT INTO {table} (id, site_id, unit_id, kind, recorded_by_id, "
                    "started_at, ended_at, far_from_site, created_at, search_text, "
                    "search_stems) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    rows,
                )
            conn.rollback()  # measured, then undone: the data stays as generated

        return call

    cases = [
        ("Polda, visits in 7 days", lambda t: count(t, newest - timedelta(days=7), path)),
        ("country, visits in 30 days", lambda t: count(t, newest - timedelta(days=30), None)),
        ("last visit of 1,000 sites", last_visits),
        ("insert 5,000 visits", inserts),
    ]
    rows = []
    print(f"\n{total:,} visits; median of {args.repeat}\n")
    print(f"{'':32} {'plain ms':>10} {'monthly ms':>11} {'monthly/plain':>14}")
    for name, make in cases:
        plain_call, part_call = make("patrols_visit"), make(PART)
        plain_call(), part_call()  # warm
        if name.startswith(("Polda", "country")) and plain_call() != part_call():
            raise SystemExit(f"{name}: the two tables count differently")
        plain, part = [], []
        for _ in range(args.repeat):  # in turn, so that the machine's load hits both alike
            plain.append(median_ms(plain_call, 1))
            part.append(median_ms(part_call, 1))
        row = {
            "name": name,
            "value": round(statistics.median(part), 2),
            "unit": "ms",
            "baseline": round(statistics.median(plain), 2),
        }
        row["ratio"] = round(row["value"] / row["baseline"], 3)
        rows.append(row)
        print(f"{name:32} {row['baseline']:>10,.1f} {row['value']:>11,.1f} {row['ratio']:>14.2f}")
    rows.append({"name": "build the monthly copy", "value": round(build_seconds, 1), "unit": "s"})
    if not args.keep:
        with conn.cursor() as cur:
            cur.execute(f"DROP TABLE {PART}")
        conn.commit()
    conn.close()
    Path(args.out).write_text(json.dumps(rows, indent=2) + "\n")
    print(f"\nratio above 1: the partitioned table is slower. Rows written to {args.out}")


if __name__ == "__main__":
    main()
