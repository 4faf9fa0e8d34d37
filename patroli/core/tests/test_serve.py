"""`patroli serve` runs gunicorn with our defaults, answers health checks and stops on SIGTERM."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from patroli.core.management.commands import serve

ROOT = Path(__file__).resolve().parents[3]
PATROLI = [sys.executable, "-m", "patroli.cli"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (our own loopback)
        return response.status, response.read()


def test_defaults_are_threaded_workers_capped_and_logging_to_stdout(monkeypatch):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(64)), raising=False)
    assert serve.default_workers() == serve.MAX_WORKERS
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    assert serve.default_workers() == 5
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    assert serve.default_workers() == 3
    monkeypatch.setenv("HOST", "0.0.0.0")  # noqa: S104
    monkeypatch.setenv("PORT", "8080")
    assert serve.default_bind() == "0.0.0.0:8080"

    argv = serve.gunicorn_argv(
        bind="127.0.0.1:8000",
        workers=5,
        threads=4,
        timeout=60,
        graceful_timeout=30,
        keep_alive=5,
        max_requests=1000,
        extra=["--log-level", "warning"],
    )
    options = " ".join(argv[1:])
    assert options.startswith(
        "-m gunicorn --bind 127.0.0.1:8000 --workers 5 --worker-class gthread"
    )
    assert "--max-requests 1000 --max-requests-jitter 100" in options
    assert "--access-logfile - --error-logfile -" in options
    assert "--no-control-socket" in options
    assert options.endswith("--log-level warning patroli.wsgi:application")


def test_without_gunicorn_it_says_which_extra_to_install(monkeypatch):
    monkeypatch.setattr(serve, "find_spec", lambda name: None)
    with pytest.raises(CommandError, match=r"patroli\[prod\]"):
        call_command("serve")


def test_serves_health_checks_and_stops_on_sigterm(tmp_path):
    pytest.importorskip("gunicorn", reason="gunicorn comes with the dev and prod extras")
    env = {
        "PATH": os.environ["PATH"],
        "SECRET_KEY": "serve-test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
        "STATIC_ROOT": str(tmp_path),
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    migrate = subprocess.run(
        [*PATROLI, "migrate", "--no-input", "-v0"], cwd=ROOT, env=env, capture_output=True
    )
    assert migrate.returncode == 0, migrate.stderr.decode()
    port = free_port()
    server = subprocess.Popen(
        [*PATROLI, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, body = fetch(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                assert server.poll() is None, server.stdout.read().decode()
                assert time.monotonic() < deadline, "the server did not answer within 30 s"
                time.sleep(0.2)
        assert (status, body) == (200, b"ok")
        assert fetch(f"http://127.0.0.1:{port}/readyz")[0] == 200  # the migrated database
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            returncode = server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            raise
    log = server.stdout.read().decode()
    assert returncode == 0, log
    assert "Using worker: gthread" in log
    assert '"GET /healthz HTTP/1.1" 200' in log  # the access log on standard output
