"""The benchmark scripts keep working as the schema grows (a tiny run, no timing asserted)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

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


def test_suite_runs_and_writes_its_rows(tmp_path):
    pytest.importorskip("gunicorn", reason="the suite's HTTP rows run under `patroli serve`")
    out = tmp_path / "rows.json"
    result = subprocess.run(
        [
            sys.executable,
            "benchmarks/suite.py",
            "--size",
            "tiny",
            "--database-url",
            f"sqlite:///{tmp_path / 'suite.sqlite3'}",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    rows = json.loads(out.read_text())
    names = [row["name"] for row in rows]
    for prefix in (
        "risk compute_all",
        "risk after one incident",
        "coverage Polsek",
        "coverage Polda",
        "search concerns",
        "search visits",
        "search concerns, Polres",
        "search visits, Polres",
        "dashboard Polda",
        "dashboard country",
        "sync ingest",
        "single POST",
    ):
        assert any(name.startswith(prefix) for name in names), prefix
    for row in rows:
        assert row.keys() >= {"name", "value", "unit", "baseline", "ratio", "goal", "met", "n"}
        assert row["value"] > 0 and row["baseline"] > 0 and row["ratio"] > 0, row
        assert row["met"] in (True, False) if row["goal"] else row["met"] is None
    assert "sync ingest" in result.stdout  # the table


def test_load_benchmark_runs_without_errors_or_lost_records(tmp_path):
    """`patroli serve` under 4 clients for 5 s on SQLite: no errors, every record stored once."""
    out = tmp_path / "rows.json"
    result = subprocess.run(
        [
            sys.executable,
            "benchmarks/load.py",
            "--duration",
            "5",
            "--clients",
            "4",
            "--baseline",
            "2",
            "--workers",
            "2",
            "--database-url",
            f"sqlite:///{tmp_path / 'load.sqlite3'}",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "zero lost records" in result.stdout
    rows = {row["name"]: row for row in json.loads(out.read_text())}
    mixed = rows["mixed load, requests per second"]
    assert mixed["errors"] == 0 and mixed["requests"] > 0
    assert mixed["value"] > 0 and mixed["baseline"] > 0
    lost = rows["lost records"]
    assert lost["value"] == 0 and lost["duplicated"] == 0
    assert lost["reports"] > 0 and lost["visits"] > 0
    for row in rows.values():
        assert row.keys() >= {"name", "value", "unit", "baseline", "ratio"}
