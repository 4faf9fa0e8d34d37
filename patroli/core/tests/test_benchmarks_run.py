"""The benchmark scripts keep working as the schema grows (a tiny run, no timing asserted)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
ENV = {
    "PATH": os.environ["PATH"],
    "SECRET_KEY": "benchmark",
    "DJANGO_SETTINGS_MODULE": "patroli.settings",
}


def test_visits_benchmark_runs(tmp_path):
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
        env=ENV,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "raw driver executemany" in result.stdout


def test_dashboard_benchmark_runs(tmp_path):
    out = tmp_path / "rows.json"
    result = subprocess.run(
        [
            sys.executable,
            "benchmarks/dashboard.py",
            "--size",
            "tiny",
            "--repeat",
            "1",
            "--database-url",
            f"sqlite:///{tmp_path / 'bench.sqlite3'}",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "dashboard Polda, 30 days" in result.stdout
    rows = json.loads(out.read_text())
    assert [row["name"] for row in rows][:4] == [
        "dashboard Polsek, 7 days",
        "dashboard Polres, 7 days",
        "dashboard Polda, 7 days",
        "dashboard Polda, 30 days",
    ]
    assert len(rows) == 9
    for row in rows:
        assert row.keys() >= {"name", "value", "unit", "baseline", "ratio", "queries"}
        assert row["value"] > 0 and row["baseline"] > 0 and row["queries"] > 0
