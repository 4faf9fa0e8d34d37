"""Queueing a background task with the statements of a :class:`patroli.core.bulk.Batch`.

Recording a visit queues a risk refresh in the same transaction (``elections.risk``). Through
django-tasks' ``enqueue`` that is an ORM ``create()`` of the database queue's row: a statement
compiled for every visit and, on PostgreSQL, a round trip of its own. :func:`enqueue_in` writes
the same row with the batch instead, with the values django-tasks-db's ``enqueue`` gives it,
and sends the same ``task_enqueued`` signal. It leans on that package's table, so its version
is bounded in ``pyproject.toml``, and ``elections/tests/test_risk.py`` compares its row with the
package's and runs the package's real worker on it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import router

from .bulk import Batch

if TYPE_CHECKING:
    from django_tasks.base import Task


def enqueue_in(batch: Batch, task: Task, *args, **kwargs) -> None:
    """Queue ``task(*args, **kwargs)`` with ``batch``'s statements; ``task``'s backend must be
    django-tasks-db's database queue, in the batch's database."""
    # The package's own names, which follow Django's when Django has tasks of its own.
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.compat import normalize_json, task_backends, task_enqueued
    from django_tasks_db.models import DBTaskResult, get_date_max

    backend = task_backends[task.backend]
    if not isinstance(backend, DatabaseBackend):
        raise TypeError(f"{task.module_path} does not go to the database queue")
    if router.db_for_write(DBTaskResult) != batch.connection.alias:
        raise ValueError("The task queue is not in the batch's database.")
    backend.validate_task(task)
    row = DBTaskResult(
        id=backend._get_id(),
        args_kwargs=normalize_json({"args": list(args), "kwargs": kwargs}),
        priority=task.priority,
        task_path=task.module_path,
        queue_name=task.queue_name,
        run_after=task.run_after or get_date_max(),  # as the package's pre_save handler sets it
        backend_name=backend.alias,
    )
    batch.insert(DBTaskResult, [row])
    # Told once the row is written (in the transaction), as the package's own enqueue does.
    batch.after_send(lambda: task_enqueued.send(type(backend), task_result=row.task_result))
