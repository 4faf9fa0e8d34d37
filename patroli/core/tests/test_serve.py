"""`patroli serve` runs gunicorn with our defaults, answers health checks and stops on SIGTERM."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
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
    assert "--max-requests 1000 --max-requests-jitter 100 --preload" in options
    assert "--access-logfile - --error-logfile -" in options
    assert "--no-control-socket" in options
    assert options.endswith("--log-level warning patroli.wsgi:application")


def test_without_gunicorn_it_says_which_extra_to_install(monkeypatch):
    monkeypatch.setattr(serve, "find_spec", lambda name: None)
    with pytest.raises(CommandError, match=r"patroli\[prod\]"):
        call_command("serve")


def start(tmp_path, database_url: str) -> tuple[subprocess.Popen, int]:
    """``patroli serve`` with one worker of two threads, once it answers /healthz."""
    env = {
        "PATH": os.environ["PATH"],
        "SECRET_KEY": "serve-test",
        "DATABASE_URL": database_url,
        "STATIC_ROOT": str(tmp_path),
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    port = free_port()
    server = subprocess.Popen(
        [*PATROLI, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            assert fetch(f"http://127.0.0.1:{port}/healthz") == (200, b"ok")
            return server, port
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                stop(server)
                raise AssertionError(server.stdout.read().decode()) from None
            time.sleep(0.2)


def stop(server: subprocess.Popen) -> tuple[int, str]:
    """SIGTERM, then the exit code and the log."""
    server.send_signal(signal.SIGTERM)
    try:
        returncode = server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        raise
    return returncode, server.stdout.read().decode()


def test_serves_health_checks_and_stops_on_sigterm(tmp_path):
    pytest.importorskip("gunicorn", reason="gunicorn comes with the dev and prod extras")
    database_url = f"sqlite:///{tmp_path / 'serve.sqlite3'}"
    migrate = subprocess.run(
        [*PATROLI, "migrate", "--no-input", "-v0"],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], "SECRET_KEY": "x", "DATABASE_URL": database_url},
        capture_output=True,
    )
    assert migrate.returncode == 0, migrate.stderr.decode()
    server, port = start(tmp_path, database_url)
    try:
        assert fetch(f"http://127.0.0.1:{port}/readyz")[0] == 200  # the migrated database
    finally:
        returncode, log = stop(server)
    assert returncode == 0, log
    assert "Using worker: gthread" in log
    assert '"GET /healthz HTTP/1.1" 200' in log  # the access log on standard output


def test_the_app_loads_in_the_master_and_starts_while_the_database_is_down(tmp_path):
    """With --preload, the master loads the app, URLconf included: no query may run on the way
    (its connection would be shared by the forked workers, and the server would not start while
    the database is down). The worker answers /healthz, and /readyz says what is wrong."""
    pytest.importorskip("gunicorn", reason="gunicorn comes with the dev and prod extras")
    server, port = start(tmp_path, f"postgres://nobody@127.0.0.1:{free_port()}/nothing")
    try:
        with pytest.raises(urllib.error.HTTPError) as answer:
            fetch(f"http://127.0.0.1:{port}/readyz")
        assert answer.value.code == 503
    finally:
        returncode, log = stop(server)
    assert returncode == 0, log


def test_the_wsgi_module_loads_the_urlconf_before_any_request():
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import patroli.wsgi\n"
            "from django.urls import get_resolver\n"
            "print('url_patterns' in vars(get_resolver()))",
        ],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], "SECRET_KEY": "x", "DATABASE_URL": "sqlite:///:memory:"},
        capture_output=True,
        text=True,
    )
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "True"
