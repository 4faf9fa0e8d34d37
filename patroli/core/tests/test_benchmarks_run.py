"""The benchmark scripts keep working as the schema grows (a tiny run, no timing asserted)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_visits_benchmark_runs(tmp_path):
    env = {
        "PATH": os.environ["PATH"],
        "SECRET_KEY": "benchmark",
        "DJANGO_SETTINGS_MODULE": "patroli.settings",
    }
    result = subprocess.run(
        [
            sys.executable,
            "benchmarks/visits_api.py",
            "-n",
            "3",
            "--database-url",
            f"sqlite:///{tmp_path / 'bench.sqlite3'}",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "raw driver executemany" in result.stdout
