"""TASKS_BACKEND=django_tasks_rq.RQBackend queues tasks in Redis, worked by `patroli rqworker`.

Runs the real thing in fresh interpreters (the tests themselves run tasks at once): a task
enqueued by one process is sent by a burst worker and its result read back by a third.
"""

import os
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[3]
# A database of its own on the machine's Redis, so that nothing else's keys are touched.
REDIS_URL = os.environ.get("TEST_RQ_REDIS_URL", "redis://127.0.0.1:6379/14")


def redis_answers() -> bool:
    parts = urlsplit(REDIS_URL)
    try:
        with socket.create_connection((parts.hostname, parts.port or 6379), timeout=1):
            return True
    except OSError:
        return False


def run(args, env, **kwargs):
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, **kwargs
    )


def test_without_redis_url_the_rq_backend_is_refused():
    env = {
        "PATH": os.environ["PATH"],
        "SECRET_KEY": "k",
        "TASKS_BACKEND": "django_tasks_rq.RQBackend",
    }
    result = run(["-c", "import patroli.settings"], env)
    assert result.returncode != 0
    assert "needs REDIS_URL" in result.stderr


def test_a_task_goes_through_redis_to_an_rq_worker(tmp_path):
    pytest.importorskip(
        "django_tasks_rq", reason="django-tasks-rq comes with the rq and dev extras"
    )
    if not redis_answers():
        pytest.skip(f"no Redis at {REDIS_URL} (set TEST_RQ_REDIS_URL)")
    env = {
        "PATH": os.environ["PATH"],
        "SECRET_KEY": "k",
        "DJANGO_SETTINGS_MODULE": "patroli.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'rq.sqlite3'}",
        "TASKS_BACKEND": "django_tasks_rq.RQBackend",
        "REDIS_URL": REDIS_URL,
    }
    enqueue = run(
        [
            "-c",
            "import django; django.setup(); "
            "from patroli.concerns.notify import send_email; "
            "to = ['warga@example.id']; "
            "print(send_email.enqueue(to, 'Laporan diterima', 'Terima kasih.').id)",
        ],
        env,
    )
    assert enqueue.returncode == 0, enqueue.stderr
    result_id = enqueue.stdout.strip()

    worker = run(
        ["-m", "patroli.cli", "rqworker", "--burst", "--job-class", "django_tasks_rq.Job"],
        env,
        timeout=60,
    )
    assert worker.returncode == 0, worker.stderr
    assert "Subject: Laporan diterima" in worker.stdout  # the console mail backend

    status = run(
        [
            "-c",
            "import django; django.setup(); "
            "from django_tasks import default_task_backend as b; "
            f"r = b.get_result({result_id!r}); print(r.status, r.return_value)",
        ],
        env,
    )
    assert status.returncode == 0, status.stderr
    assert status.stdout.split() == ["SUCCESSFUL", "1"]
