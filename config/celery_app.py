"""The Celery application: configured from Django settings (CELERY_*), tasks from every app."""

import os
from typing import Any

from celery import Celery, Task
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("handoff")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def _connections_checked(sender: Task | None = None, **kwargs: Any) -> None:
    """Around each task a worker runs, Django's rule for its database connections, as around
    a request: one past `CONN_MAX_AGE`, unusable, or left with an error is closed; the others
    are kept for the next task. (Celery's own Django fixup would close every connection
    around every task, unless told to reuse them: `CELERY_DB_REUSE_MAX` in settings.) Not
    for a task run eagerly, inside its caller's transaction."""
    if sender is not None and getattr(sender.request, "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()
