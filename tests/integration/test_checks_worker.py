"""The checks through a real Celery worker on Redis, against the PostgreSQL test database."""

import datetime as dt
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from conftest import _pg_url
from patients.models import Flag, ProgressionCheck, SessionLog, StepVersion

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]
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


def test_logging_succeeds_promptly_with_the_broker_down_and_the_sweep_catches_up(
    world, on_postgres, celery_worker_process
):
    env = dict(os.environ)
    env["DATABASE_URL"] = _pg_url(settings.DATABASES["default"])
    env["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    exercise = walk(world.assignment_a1)
    script = textwrap.dedent(f"""
        import datetime as dt, time, django
        django.setup()
        from patients.models import AssignedExercise, Patient
        from patients.services import session_log_create
        exercise = AssignedExercise.objects.get(pk={exercise.pk})
        started = time.monotonic()
        saved = session_log_create(patient=Patient.objects.get(pk={world.patient_a1.pk}), exercise=exercise,
                                   date=dt.date.today(), today=dt.date.today(), duration_min=10,
                                   pain_during=7, pain_after=3)
        print("created", saved.created, round(time.monotonic() - started, 2))
    """)
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    _word, created, seconds = result.stdout.split()[-3:]
    assert created == "True"
    assert float(seconds) < 2, f"logging took {seconds} s with the broker down"
    assert "could not enqueue" in result.stderr
    assert SessionLog.objects.filter(exercise=exercise).count() == 1
    assert not ProgressionCheck.objects.exists()

    from patients.tasks import evaluate_all

    assert evaluate_all.delay(world.clinic_a.pk).get(timeout=30) == 2
    wait_for(lambda: Flag.objects.filter(exercise=exercise, kind="pain_red").exists(), what="the sweep's flag")
