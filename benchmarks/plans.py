"""Patrol plans: the OR-Tools solver against the greedy baseline on generated instances.

    .venv/bin/python benchmarks/plans.py [--time-limit 5] [--seeds 3]

Pure Python on the planning core of ``patroli.patrols.planning``: no Django settings, no
database. Instances are seeded and random around Sepaku (sites within 20 km of the depot, risk
5-95, a fifth never visited, the rest 0-90 days ago) with the default speed (30 km/h), road factor
(1.4) and dwell (20 min). "Risk covered" is the objective both solvers maximise: the sum over the
planned stops of risk × (1 + min(days since the last visit / 30, 2)). The OR-Tools run includes
the greedy warm start it improves on, and it searches for the whole time limit (guided local
search does not stop by itself), so its time is about the limit.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from patroli.patrols.planning import generate_instance, plan_greedy, plan_ortools  # noqa: E402

# (sites, teams, hours per team)
SIZES = [
    (30, 1, 4),
    (30, 2, 3),
    (80, 2, 6),
    (80, 3, 4),
    (150, 3, 6),
    (150, 4, 8),
]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--time-limit", type=float, default=5.0, help="OR-Tools seconds")
    parser.add_argument("--seeds", type=int, default=1, help="instances per size")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    header = (
        f"{'instance':<38} {'stops g/o':>9} {'greedy risk':>11} {'OR-Tools risk':>13} "
        f"{'ratio':>6} {'greedy ms':>9} {'OR-Tools ms':>11}"
    )
    print(header)
    print("-" * len(header))
    ratios = []
    for sites, teams, hours in SIZES:
        for seed in range(args.seeds):
            instance = generate_instance(sites, teams, hours, seed=seed)
            greedy = plan_greedy(instance)
            best = plan_ortools(instance, time_limit_s=args.time_limit)
            ratio = best.value / greedy.value if greedy.value else 1.0
            ratios.append(ratio)
            stops = f"{len(greedy.keys())}/{len(best.keys())}"
            print(
                f"{instance.name:<38} {stops:>9} {greedy.value:>11.1f} {best.value:>13.1f} "
                f"{ratio:>6.3f} {greedy.runtime_ms:>9.1f} {best.runtime_ms:>11.1f}"
            )
    print(
        f"\nOR-Tools / greedy: min {min(ratios):.3f}, mean {sum(ratios) / len(ratios):.3f}, "
        f"max {max(ratios):.3f} (time limit {args.time_limit:g} s)"
    )


if __name__ == "__main__":
    main()
