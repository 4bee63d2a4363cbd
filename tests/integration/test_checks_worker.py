"""The checks through a real Celery worker on Redis, against the PostgreSQL test database.

Fault tests (broker down, a killed worker, rollbacks, concurrent replays) are in the test_reliability*.py modules.
"""

import datetime as dt
import time

import pytest
from django.db import connection

from patients.models import Flag, ProgressionCheck, StepVersion

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
TODAY = dt.date.today()


@pytest.fixture
def on_postgres(require):
    require(connection.vendor == "postgresql", "needs PostgreSQL: the worker must share the test database")


def wait_for(predicate, timeout=45.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


def walk(assignment):
    return assignment.exercises.get(phase__order=0, order=0)


def log_session(world, pain, patient="a1"):
    from patients.services import session_log_create

    assignment = getattr(world, f"assignment_{patient}")
    return session_log_create(patient=assignment.patient, exercise=walk(assignment), date=TODAY, today=TODAY,
                              duration_min=10, pain_during=pain, pain_after=min(pain, 3)).session


def test_red_pain_session_is_regressed_and_flagged_by_the_worker(world, on_postgres, celery_worker_process):
    from patients.services import step_change

    step_change(exercise=walk(world.assignment_a1), step=2, effective_date=TODAY - dt.timedelta(days=5),
                source="therapist", reason="Set up")
    log_session(world, pain=7)  # commits, then enqueues evaluate_assignment
    exercise = walk(world.assignment_a1)
    wait_for(lambda: Flag.objects.filter(exercise=exercise, kind="pain_red", notified_at__isnull=False).exists(),
             what="the urgent flag and its e-mail")
    exercise.refresh_from_db()
    assert exercise.current_step == 1
    assert StepVersion.objects.filter(exercise=exercise, source="engine", rules=["R1"]).count() == 1
    assert Flag.objects.get(exercise=exercise, kind="pain_red").severity == "urgent"


def test_evaluate_all_twice_and_concurrently_leaves_no_duplicates(world, on_postgres, celery_worker_process):
    from patients.tasks import evaluate_all

    for patient in ("a1", "a2", "b1"):
        log_session(world, pain=8, patient=patient)
    wait_for(lambda: ProgressionCheck.objects.count() == 3, what="the checks after logging")
    results = [evaluate_all.delay() for _ in range(2)]  # two sweeps at once on a 2-process worker
    assert [r.get(timeout=30) for r in results] == [3, 3]
    evaluate_all.delay().get(timeout=30)
    time.sleep(2)  # let the fanned-out batches finish
    wait_for(lambda: not celery_worker_process.poll() and _queue_idle(), what="an idle worker")
    assert Flag.objects.filter(kind="pain_red").count() == 3
    assert ProgressionCheck.objects.count() == 3
    assert StepVersion.objects.filter(source="engine").count() == 0  # at step 0: regress stays at 0


def _queue_idle() -> bool:
    from clinic.celery import app

    inspect = app.control.inspect(timeout=1.0)
    active = inspect.active() or {}
    reserved = inspect.reserved() or {}
    return not any(active.values()) and not any(reserved.values())

