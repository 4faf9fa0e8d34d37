"""`patroli serve`: the production web server (gunicorn, from the prod extra) with our defaults.

Threaded workers (gthread): most of a request's time is spent waiting on the database, so a few
processes of several threads serve more requests in less memory than many single-threaded ones.
Workers are recycled after a jittered number of requests so that no slow leak grows for ever.
The app is loaded once, in gunicorn's master (--preload), and each worker is a fork of it: a new
or renewed worker serves at once, instead of spending about two seconds of CPU loading Django and
the URLconf (patroli/wsgi.py) on the machine that serves the other workers' requests, and the
workers share the loaded code's memory. So SIGHUP renews the workers on the code already loaded:
an upgrade restarts the service.
"""

import os
import sys
from importlib.util import find_spec

from django.core.management.base import BaseCommand, CommandError

MAX_WORKERS = 8  # each worker holds its own copy of the app (about 150 MB) and its connections
# gunicorn's worker heartbeat: in memory, not on a slow disk (gunicorn makes its own files there).
HEARTBEAT_DIR = "/dev/shm"  # noqa: S108


def default_workers() -> int:
    """2 × CPU + 1, at most MAX_WORKERS; WEB_CONCURRENCY (gunicorn's own variable) wins."""
    if concurrency := os.environ.get("WEB_CONCURRENCY"):
        return int(concurrency)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return min(2 * (cpus or 1) + 1, MAX_WORKERS)


def default_bind() -> str:
    return f"{os.environ.get('HOST') or '127.0.0.1'}:{os.environ.get('PORT') or '8000'}"


def gunicorn_argv(
    *,
    bind: str,
    workers: int,
    threads: int,
    timeout: int,
    graceful_timeout: int,
    keep_alive: int,
    max_requests: int,
    extra: list[str],
) -> list[str]:
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        bind,
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--timeout",
        str(timeout),
        "--graceful-timeout",
        str(graceful_timeout),
        "--keep-alive",
        str(keep_alive),
        "--max-requests",
        str(max_requests),
        "--max-requests-jitter",
        str(max(1, max_requests // 10)),
        "--preload",
        "--access-logfile",
        "-",
        "--error-logfile",
        "-",
    ]
    if os.path.isdir(HEARTBEAT_DIR):
        argv += ["--worker-tmp-dir", HEARTBEAT_DIR]
    if not any(arg.startswith("--control-socket") for arg in extra):
        # gunicorn's control socket lives in $HOME: no local state, no clash between servers.
        argv.append("--no-control-socket")
    return [*argv, *extra, "patroli.wsgi:application"]


class Command(BaseCommand):
    help = (
        "Serve Patroli with gunicorn (install the prod extra): threaded workers, access log on "
        "standard output. Options after -- go to gunicorn as they are."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--bind", default=None, help="address:port (default: $HOST:$PORT, 127.0.0.1:8000)"
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help=f"processes (default: $WEB_CONCURRENCY, or 2 × CPU + 1 up to {MAX_WORKERS})",
        )
        parser.add_argument("--threads", type=int, default=4, help="threads per worker")
        parser.add_argument(
            "--timeout", type=int, default=60, help="seconds before a stuck worker is restarted"
        )
        parser.add_argument(
            "--graceful-timeout",
            type=int,
            default=30,
            help="seconds a stopping worker may finish its requests",
        )
        parser.add_argument(
            "--keep-alive", type=int, default=5, help="seconds an idle connection is kept"
        )
        parser.add_argument(
            "--max-requests",
            type=int,
            default=1000,
            help="requests before a worker is replaced (with 10%% jitter)",
        )
        parser.add_argument("gunicorn_args", nargs="*", help="more gunicorn options, after --")

    def handle(self, *args, **options):
        if find_spec("gunicorn") is None:
            raise CommandError(
                "gunicorn is not installed. Install the prod extra: pip install 'patroli[prod]'"
            )
        argv = gunicorn_argv(
            bind=options["bind"] or default_bind(),
            workers=options["workers"] or default_workers(),
            threads=options["threads"],
            timeout=options["timeout"],
            graceful_timeout=options["graceful_timeout"],
            keep_alive=options["keep_alive"],
            max_requests=options["max_requests"],
            extra=options["gunicorn_args"],
        )
        self.stdout.write(" ".join(argv[1:]))
        self.stdout.flush()
        sys.stderr.flush()
        # gunicorn takes over this process: signals (TERM, HUP, TTIN...) reach its master directly.
        os.execv(sys.executable, argv)  # noqa: S606
