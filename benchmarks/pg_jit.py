"""PostgreSQL's JIT compilation on Patroli's heavy reads: on or off? Measured side by side.

On a database filled by ``patroli generate-national`` (the suite's ``--reuse`` data will do),
times the commander's dashboard of a Polda and of the country, the coverage page's counts of the
Polda and its Polsek list, with ``SET jit = on`` and ``SET jit = off`` in turn (median of
``--repeat``). JIT pays for queries that scan millions of rows and costs tens of milliseconds of
compiling for those that do not; docs/deploy.md says which setting to use from this table.

    .venv/bin/python benchmarks/pg_jit.py --database-url postgres://127.0.0.1/bench_national
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
END = dt.date(2024, 1, 23)  # the generator's default last day


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--polda", default="33", help="province code (default: 33)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", default=str(ROOT / "benchmarks/results/pg-jit.json"))
    args = parser.parse_args()
    os.environ.update(
        SECRET_KEY=os.environ.get("SECRET_KEY", "benchmark"),
        DATABASE_URL=args.database_url,
        DJANGO_SETTINGS_MODULE="patroli.settings",
    )
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from patroli.dashboard.figures import key_figures
    from patroli.dashboard.scope import Scope
    from patroli.patrols.coverage import coverage_summary
    from patroli.units.models import Officer, Unit

    if connection.vendor != "postgresql":
        raise SystemExit("PostgreSQL only")
    polda = Unit.objects.get(code=f"polda-{args.polda}")
    admin = Officer(username="jit.bench", role="admin", is_superuser=True)
    now = timezone.make_aware(dt.datetime.combine(END + dt.timedelta(days=1), dt.time.min))
    cases = {
        "dashboard figures, Polda, 7 days": lambda: key_figures(
            Scope(user=admin, unit=polda, start=END - dt.timedelta(days=6), end=END)
        ),
        "dashboard figures, country, 7 days": lambda: key_figures(
            Scope(user=admin, unit=None, start=END - dt.timedelta(days=6), end=END)
        ),
        "coverage page, Polda": lambda: coverage_summary(polda, days=7, now=now),
    }
    rows = []
    print(f"{'':38} {'jit on ms':>10} {'jit off ms':>11} {'off/on':>7}")
    for name, call in cases.items():
        samples: dict[str, list[float]] = {"on": [], "off": []}
        for turn in range(args.repeat + 1):
            for setting in ("on", "off"):
                with connection.cursor() as cursor:
                    cursor.execute(f"SET jit = {setting}")
                began = time.perf_counter()
                call()
                if turn:  # the first turn warms up
                    samples[setting].append((time.perf_counter() - began) * 1000)
        on, off = statistics.median(samples["on"]), statistics.median(samples["off"])
        rows.append({"name": name, "value": round(off, 1), "unit": "ms", "baseline": round(on, 1),
                     "ratio": round(off / on, 3)})  # fmt: skip
        print(f"{name:38} {on:>10,.1f} {off:>11,.1f} {off / on:>7.2f}")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit_above_cost")
        print(f"\njit_above_cost {cursor.fetchone()[0]}; off/on below 1: turning JIT off is faster")
    Path(args.out).write_text(json.dumps(rows, indent=2) + "\n")
    print(f"Rows written to {args.out}")


if __name__ == "__main__":
    main()
