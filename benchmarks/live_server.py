"""A live ``patroli serve`` (gunicorn) for benchmarks, and clients that keep their connections.

    with LiveServer(env, log_path) as server:
        status, body = server.connection().post("/api/v1/visits", body, token)

The server runs as a subprocess on a free loopback port with the given environment (the same
DATABASE_URL as the benchmark), with the production defaults of ``patroli serve`` unless
``workers``/``threads`` are given; its log goes to ``log_path``.
"""

from __future__ import annotations

import http.client
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Connection:
    """One keep-alive HTTP/1.1 connection to the server (reconnects when the server closed it)."""

    def __init__(self, port: int, timeout: float = 120):
        self.port, self.timeout = port, timeout
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def request(self, method: str, path: str, body: bytes | None = None, token: str = ""):
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                return response.status, response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # An idle keep-alive connection closed by the server: open a new one, once.
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def post(self, path: str, body: bytes, token: str = ""):
        return self.request("POST", path, body, token)

    def close(self) -> None:
        self.conn.close()


class LiveServer:
    def __init__(
        self,
        env: dict[str, str],
        log_path: Path,
        *,
        workers: int | None = None,
        threads: int | None = None,
    ):
        self.env, self.log_path = env, log_path
        self.workers, self.threads = workers, threads
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> LiveServer:
        argv = [sys.executable, "-m", "patroli.cli", "serve", "--bind", f"127.0.0.1:{self.port}"]
        if self.workers:
            argv += ["--workers", str(self.workers)]
        if self.threads:
            argv += ["--threads", str(self.threads)]
        self.log = self.log_path.open("wb")
        self.process = subprocess.Popen(  # noqa: S603 (our own command)
            argv, cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                conn = Connection(self.port, timeout=5)
                status, _body = conn.request("GET", "/readyz")
                conn.close()
                if status == 200:
                    break
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SystemExit(f"patroli serve did not start; its log:\n{self.tail()}")
            time.sleep(0.3)
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # gunicorn's graceful stop
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def tail(self, chars: int = 3000) -> str:
        self.log.flush()
        return self.log_path.read_bytes()[-chars:].decode(errors="replace")

    def connection(self) -> Connection:
        return Connection(self.port)

    def worker_count(self) -> int:
        """The workers gunicorn started (its default follows the CPUs)."""
        text = self.log_path.read_text(errors="replace")
        return text.count("Booting worker with pid")


def hammer(port: int, path: str, bodies: list[list[bytes]], token: str) -> float:
    """Each list of ``bodies`` posted in order by its own thread over its own connection, all
    threads starting together; the seconds until the last answer. Any answer but 201 stops it."""
    barrier = threading.Barrier(len(bodies) + 1)
    failures: list[str] = []

    def run(mine: list[bytes]) -> None:
        conn = Connection(port)
        try:
            barrier.wait()
            for body in mine:
                status, answer = conn.post(path, body, token)
                if status != 201:
                    failures.append(f"{path} answered {status}: {answer[:300]!r}")
                    return
        finally:
            conn.close()

    threads = [threading.Thread(target=run, args=(mine,)) for mine in bodies]
    for thread in threads:
        thread.start()
    barrier.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    if failures:
        raise SystemExit(failures[0])
    return seconds


def server_env(base: dict[str, str], **extra: str) -> dict[str, str]:
    """The benchmark's environment for the server: quiet logs, the benchmark URL mounted."""
    env = {k: v for k, v in base.items() if not k.startswith("PYTEST")}
    env.update({"LOG_LEVEL": "WARNING", "PATROLI_BENCH_URLS": "1", **extra})
    env.setdefault("PYTHONPATH", str(ROOT))
    return env
