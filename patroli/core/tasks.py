"""Queueing a background task with the statements of a :class:`patroli.core.bulk.Batch`.

Recording a visit queues a risk refresh in the same transaction (``elections.risk``). Through
django-tasks' ``enqueue`` that is an ORM ``create()`` of the database queue's row: a statement
compiled for every visit and, on PostgreSQL, a round trip of its own. :func:`enqueue_in` writes
the same row with the batch instead, with the values django-tasks-db's ``enqueue`` gives it. It
leans on that package's table, so its version is bounded in ``pyproject.toml`` and
``core/tests/test_tasks.py`` runs its real worker on such a row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django_tasks import task_backends

from .bulk import Batch

if TYPE_CHECKING:
    from django_tasks.base import Task


def enqueue_in(batch: Batch, task: Task, *args, **kwargs) -> None:
    """Queue ``task(*args, **kwargs)`` with ``batch``'s statements; ``task``'s queue must be
    django-tasks-db's (``elections.risk.DATABASE_QUEUE``)."""
    from django_tasks_db.compat import normalize_json  # the one the package's enqueue uses
    from django_tasks_db.models import DBTaskResult, get_date_max

    backend = task_backends[task.backend]
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
