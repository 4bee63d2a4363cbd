"""The Celery app. Configuration comes from Django settings (CELERY_*).

Without REDIS_URL the settings make every task run eagerly in-process, so a
laptop needs no broker or worker; with REDIS_URL, workers and beat run as
separate processes (see docker-compose.yml).
"""

import importlib
import logging
import os
import threading

from celery import Celery
from django.db import InterfaceError, OperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")

logger = logging.getLogger(__name__)

app = Celery("backstep")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Transient database trouble (a failover, a dropped connection) is retried with backoff.
RETRY = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 5,
    "acks_late": True,
}


def task_named(name: str):
    """The registered task called `name` ("<app>.<task>", e.g. "patients.evaluate_batch").

    A service enqueues its app's tasks by name, so it never imports the tasks
    module that imports it (a task calls its service). The first use in a
    process imports `<app>.tasks`, which registers the app's tasks; a name that
    is still unknown then is a programming error and raises KeyError.
    """
    if name not in app.tasks:
        importlib.import_module(f"{name.split('.')[0]}.tasks")
    return app.tasks[name]


def _task(task):
    return task_named(task) if isinstance(task, str) else task


def enqueue(task, *args, countdown: float | None = None) -> None:
    """Send a task (or a task's name) to the broker, after `countdown` seconds, without ever failing the caller.

    A dead broker must not lose or fail what the user just saved: the error is
    logged (task name and ids only), and the hourly catch-ups find whatever was
    not sent: unchecked entries, due notifications. An unknown task name is a
    programming error, not a broker's: it raises.
    """
    task = _task(task)
    try:
        task.apply_async(args=args, countdown=countdown)
    except Exception:
        logger.warning("could not enqueue %s%r; the hourly catch-up will pick it up", task.name, args, exc_info=True)


# How long a web request waits for the broker after its commit. A broker that is down refuses at
# once; one that hangs (or a half-open connection) would hold the request for the socket timeout (5 s).
PUBLISH_WAIT_SECONDS = 0.5


def enqueue_soon(task, *args, wait: float = PUBLISH_WAIT_SECONDS) -> None:
    """`enqueue`, with the caller waiting `wait` seconds at most; a slow publish goes on in the background.

    For web requests, after commit: what was saved stays saved whatever the broker
    does, and a message that never arrives is found by the hourly catch-ups
    (`assignments_with_unchecked_evidence`, `notifications_due`). `task` is a task or its name.
    """
    task = _task(task)
    if task.app.conf.task_always_eager:
        enqueue(task, *args)  # runs the task right here: there is no broker to wait for
        return
    publisher = threading.Thread(target=enqueue, args=(task, *args), name="enqueue", daemon=True)
    publisher.start()
    publisher.join(wait)
    if publisher.is_alive():
        logger.warning("broker slow: %s%r not sent after %.1f s; answering now, the hourly catch-up covers it",
                       task.name, args, wait)
