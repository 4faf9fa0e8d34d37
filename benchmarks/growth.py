"""How each figure of benchmarks/suite.py grows with the data, from its JSON results.

    .venv/bin/python benchmarks/growth.py [--database sqlite|postgresql] [--results DIR]

For each database with results of at least two sizes (tiny, small, medium, national), and for
each pair of consecutive sizes, every row gets its cost ratio (the time of the larger size over
the smaller; for a rate, the inverse: the time of one item), the data ratio (visits in the
database) and the scope ratio (the rows the figure looks at, ``n``), and a verdict from the
exponent k of cost ~ data^k: sub-linear (k < 0.8), linear (0.8 to 1.2), super-linear (k > 1.2).
The floor's own growth (``floor x``, the baseline's) is shown beside it: what the data alone costs.
A row whose scope stays the same (a Polsek, one incident, a batch of visits) should stay flat:
an index serves it.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
SIZES = ("tiny", "small", "medium", "national")
VENDORS = ("sqlite", "postgresql")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", choices=VENDORS, help="default: each with results")
    parser.add_argument("--results", default=str(RESULTS), help=f"default: {RESULTS}")
    return parser.parse_args()


def cost(row: dict) -> float:
    """Seconds (or ms) per unit of work: a rate is turned into the time of one item."""
    return 1 / row["value"] if row["unit"].endswith("/s") else row["value"]


def verdict(exponent: float) -> str:
    if exponent < 0.8:
        return "sub-linear"
    return "linear" if exponent <= 1.2 else "SUPER-LINEAR"


def compare(small: list[dict], large: list[dict]) -> list[dict]:
    before = {row["name"]: row for row in small}
    lines = []
    for row in large:
        old = before.get(row["name"])
        if old is None or not old["value"] or not row["value"]:
            continue
        cost_ratio = cost(row) / cost(old)
        floor = {"value": row["baseline"], "unit": row["unit"]}
        floor_ratio = cost(floor) / cost({"value": old["baseline"], "unit": old["unit"]})
        data_ratio = row["db_visits"] / old["db_visits"]
        scope_ratio = row["n"] / old["n"] if old.get("n") else None
        exponent = math.log(cost_ratio) / math.log(data_ratio) if data_ratio > 1 else 0.0
        lines.append(
            {
                "name": row["name"],
                "cost_ratio": cost_ratio,
                "floor_ratio": floor_ratio,
                "data_ratio": data_ratio,
                "scope_ratio": scope_ratio,
                "exponent": exponent,
                "verdict": verdict(exponent),
            }
        )
    return lines


def main() -> None:
    args = parse_args()
    folder = Path(args.results)
    shown = False
    for vendor in [args.database] if args.database else VENDORS:
        runs = [
            (size, json.loads(path.read_text()))
            for size in SIZES
            if (path := folder / f"{size}-{vendor}.json").exists()
        ]
        for (a, rows_a), (b, rows_b) in zip(runs, runs[1:], strict=False):
            shown = True
            grown = rows_b[0]["db_visits"] / rows_a[0]["db_visits"]
            print(f"\n{vendor}: {a} -> {b} (visits x{grown:.1f})")
            header = ("cost x", "floor x", "data x", "scope x")
            print(f"{'':<34} " + " ".join(f"{h:>8}" for h in header) + f" {'k':>6}  growth")
            for line in compare(rows_a, rows_b):
                scope = "" if line["scope_ratio"] is None else f"{line['scope_ratio']:.1f}"
                print(
                    f"{line['name']:<34} {line['cost_ratio']:>8.2f} {line['floor_ratio']:>8.2f} "
                    f"{line['data_ratio']:>8.1f} {scope:>8} {line['exponent']:>6.2f}  "
                    f"{line['verdict']}"
                )
    if not shown:
        print(f"No two sizes of the same database in {folder}: run benchmarks/suite.py first.")
    print()


if __name__ == "__main__":
    main()
