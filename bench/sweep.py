"""The nightly sweep of the sweep clinic, and the progression engine alone.

With REDIS_URL set the sweep goes through a real `celery -A clinic worker`
(concurrency 2, prefork) started here against our database: `evaluate_all`
fans the clinic's active assignments out in batches and the clock stops when
every assignment has its ProgressionCheck for today. Without REDIS_URL the
same tasks run eagerly in this process, and the results say so.
"""

from __future__ import annotations

import contextlib
import logging
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.test.utils import override_settings

from bench.load import BenchError, database_env
from patients.models import ProgressionCheck


def checks_today(clinic_id: int, today) -> int:
    return ProgressionCheck.objects.filter(as_of=today, exercise__assignment__patient__clinic_id=clinic_id).count()


def reset_checks(clinic_id: int, today) -> None:
    """Forget today's checks of the sweep clinic, so each run writes them as a new night would."""
    ProgressionCheck.objects.filter(as_of=today, exercise__assignment__patient__clinic_id=clinic_id).delete()


class CeleryWorker:
    """A real worker process on the configured broker, using the same database as the bench."""

    def __init__(self, concurrency: int = 2):
        self.concurrency = concurrency
        self.log_path = Path(tempfile.gettempdir()) / "backstep-bench-celery-worker.log"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> CeleryWorker:
        from clinic.celery import app

        # Checks enqueued by the HTTP bench's session posts (no worker was running then)
        # are bench data too: drop them so the sweep is timed alone.
        app.control.purge()
        self._log = open(self.log_path, "w")  # a file, not a pipe: a full pipe would stall the worker
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "clinic", "worker", "--loglevel=WARNING",
             f"--concurrency={self.concurrency}", "--pool=prefork", "--without-heartbeat", "--without-gossip",
             "--without-mingle"],
            cwd=settings.BASE_DIR, env=database_env(), stdout=self._log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"the Celery worker exited early; see {self.log_path}")
            if app.control.ping(timeout=1.0):
                return self
        self.__exit__(None, None, None)
        raise BenchError(f"the Celery worker did not answer a ping within 60 s; see {self.log_path}")

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


@contextlib.contextmanager
def quiet_logs(level: int = logging.WARNING):
    """Raise the root and celery loggers to `level` for a while."""
    loggers = [logging.getLogger(), logging.getLogger("celery")]
    previous = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(level)
    try:
        yield
    finally:
        for logger, old in zip(loggers, previous):
            logger.setLevel(old)


def sweep_once(*, clinic_id: int, today, expected: int, eager: bool, timeout_s: float = 600) -> float:
    """Time one sweep of the clinic: from dispatch until every assignment has today's check."""
    from patients.tasks import evaluate_all

    reset_checks(clinic_id, today)
    started = time.perf_counter()
    if eager:
        # Urgent-flag e-mails and per-task INFO lines would flood this console; the bench reads neither.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"), quiet_logs():
            evaluate_all(clinic_id)
    else:
        evaluate_all.delay(clinic_id)
    deadline = started + timeout_s
    while True:
        done = checks_today(clinic_id, today)
        if done >= expected:
            return time.perf_counter() - started
        if time.perf_counter() > deadline:
            raise BenchError(f"the sweep wrote {done} of {expected} checks in {timeout_s:.0f} s")
        time.sleep(0.1)


def engine_inputs_for(clinic_id: int, today, limit: int = 2000) -> list[dict]:
    """Engine inputs of up to `limit` exercises of the sweep clinic, built once with the selectors."""
    from patients.selectors import active_assignment_ids, active_ladder_exercises, engine_inputs

    ids = active_assignment_ids(clinic_id=clinic_id)[:limit]
    exercises = active_ladder_exercises(assignment_ids=ids)
    return [checked.engine_input for checked in engine_inputs(exercises=exercises, today=today)]


def engine_rate(inputs: list[dict]) -> float:
    """Decisions per second of protocols.engine.evaluate over preloaded inputs."""
    from protocols.engine import evaluate

    started = time.perf_counter()
    for data in inputs:
        evaluate(data)
    return len(inputs) / (time.perf_counter() - started)
