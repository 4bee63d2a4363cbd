"""Fault tests against the real PostgreSQL and Redis (issue 7, part 5): a worker SIGKILLed in the middle of a sweep.

After a new worker and a re-run (and the late redelivery of what the dead worker held), every assignment is
evaluated once in effect, with no duplicate flags. Skips on a laptop without the services and fails in CI
(BACKSTEP_REQUIRE_SERVICES=1). Names and pain scores are never printed.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from contextlib import contextmanager

import pytest
from django.db import transaction

from conftest import require_service
from patients.models import Flag, ProgressionCheck, SessionLog, StepVersion
from patients.services import clinic_today
from tests.integration.reliability_support import ARTIFACTS, ROOT, web_env
from tests.integration.test_checks_worker import on_postgres, wait_for, walk  # noqa: F401 (fixture)

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


# ---------------------------------------------------------------------------
# 2. A worker SIGKILLed in the middle of a sweep
# ---------------------------------------------------------------------------

KILL_QUEUE = "reliability-kill"
# 12 batches of 10, each exercise slowed by 30 ms in the first worker: the kill lands after a batch or two.
SWEEP_SIZE = 120
KILL_BATCH = 10

# The test-only hook lives here, not in the app: a worker whose engine call sleeps (so the kill lands
# mid-sweep), with small batches, consuming and publishing on its own queue so that the session's
# shared worker never takes its messages.
WORKER_SCRIPT = textwrap.dedent("""
    import sys, time
    import django
    django.setup()
    import protocols.engine
    from clinic.celery import app
    from patients.services import sweeps

    node, queue, delay, batch = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
    real_evaluate = protocols.engine.evaluate

    def slow_evaluate(data, **options):  # options: e.g. messages=True (the checks keep each reason's message)
        time.sleep(delay)
        return real_evaluate(data, **options)

    protocols.engine.evaluate = slow_evaluate
    sweeps.SWEEP_BATCH = batch
    app.conf.task_default_queue = queue
    app.worker_main(["worker", "--loglevel=INFO", "--concurrency=2", "--pool=prefork", "-Q", queue, "-n", node,
                     "--without-heartbeat", "--without-gossip", "--without-mingle"])
""")


@contextmanager
def killable_worker(*, delay: float, log_name: str):
    """A Celery worker in its own process group (so one signal reaches the pool too); yields the Popen."""
    from clinic.celery import app

    ARTIFACTS.mkdir(exist_ok=True)
    node = f"{KILL_QUEUE}-{uuid.uuid4().hex[:8]}@localhost"
    env = web_env(redis_url=os.environ["REDIS_URL"])
    env["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"  # one urgent e-mail each, kept quiet
    with open(ARTIFACTS / log_name, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", WORKER_SCRIPT, node, KILL_QUEUE, str(delay), str(KILL_BATCH)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 60
            while not app.control.ping(destination=[node], timeout=0.5):
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the worker did not start:\n{(ARTIFACTS / log_name).read_text()[-3000:]}")
            yield process
        finally:
            if process.poll() is None:
                process.terminate()  # warm shutdown: finishes and acknowledges what it holds
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()


def _redis():
    import redis

    return redis.Redis.from_url(os.environ["REDIS_URL"])


def _unacked_tags(queue: str) -> list[str]:
    """Delivery tags of messages of `queue` that a worker took and never acknowledged."""
    tags = []
    for tag, payload in _redis().hgetall("unacked").items():
        _message, exchange, routing_key = json.loads(payload)
        if queue in (exchange, routing_key):
            tags.append(tag.decode())
    return tags


def _drained(queue: str) -> bool:
    return _redis().llen(queue) == 0 and not _unacked_tags(queue)


def _redeliver(tags: list[str]) -> None:
    """What Redis does for a dead worker's messages once the visibility timeout (an hour) has passed."""
    from clinic.celery import app

    with app.connection_for_write() as conn:
        for tag in tags:
            conn.default_channel.qos.restore_by_tag(tag)


def _sweep_clinic(size: int):
    """A clinic with `size` patients, each at step 2 of 3 with one red session today (so each check regresses)."""
    from clinic.models import Membership
    from patients.services import assignment_create, step_change
    from tests.factories import ClinicFactory, MembershipFactory, PatientFactory, make_protocol

    clinic = ClinicFactory(name="Sweep clinic", slug="sweep-clinic")
    therapist = MembershipFactory(clinic=clinic, role=Membership.Role.THERAPIST).user
    protocol = make_protocol()
    day = clinic_today(clinic)
    exercises = []
    with transaction.atomic():  # one commit for the whole set-up
        for _ in range(size):
            patient = PatientFactory(clinic=clinic, therapist=therapist)
            assignment = assignment_create(patient=patient, protocol=protocol,
                                           start_date=day - dt.timedelta(days=21), baseline_pain=2,
                                           assigned_by=therapist)
            exercise = walk(assignment)
            step_change(exercise=exercise, step=2, effective_date=day - dt.timedelta(days=5), source="therapist",
                        reason="Set up")
            exercises.append(exercise)
    # Rows, not the service: the service would enqueue checks on the shared queue. Saved after the
    # step changes committed, so each session is newer evidence than the step.
    SessionLog.objects.bulk_create(
        SessionLog(patient_id=e.assignment.patient_id, exercise=e, date=day, step=2, duration_min=10,
                   speed_kmh=2.5, incline_pct=2.5, pain_during=7, pain_after=3, client_uuid=uuid.uuid4())
        for e in exercises
    )
    return clinic, [e.pk for e in exercises]


def test_a_worker_killed_mid_sweep_leaves_each_assignment_evaluated_once_after_the_rerun(on_postgres):
    from patients.tasks import evaluate_all

    require_service(bool(os.environ.get("REDIS_URL")), "REDIS_URL is not set")
    redis = _redis()
    redis.delete(KILL_QUEUE)
    clinic, exercise_ids = _sweep_clinic(SWEEP_SIZE)
    checks = ProgressionCheck.objects.filter(exercise_id__in=exercise_ids)

    with killable_worker(delay=0.03, log_name="celery-worker-killed.log") as worker:
        evaluate_all.apply_async(args=[clinic.pk], queue=KILL_QUEUE)
        wait_for(lambda: checks.count() >= KILL_BATCH, timeout=60, what="the first batch of the sweep")
        os.killpg(worker.pid, signal.SIGKILL)  # the main process and its pool, mid-batch
        worker.wait()
    time.sleep(0.5)  # PostgreSQL rolls back the dead connections' open batch transactions
    done_before_kill = checks.count()
    held = _unacked_tags(KILL_QUEUE)
    assert KILL_BATCH <= done_before_kill < SWEEP_SIZE, "the kill did not land in the middle of the sweep"
    assert held, "the dead worker held no unacknowledged batch"
    # Committed batches are whole: a check and its step change or flags are never half-written.
    assert StepVersion.objects.filter(exercise_id__in=exercise_ids, source="engine").count() == done_before_kill

    with killable_worker(delay=0, log_name="celery-worker-rerun.log"):
        # The new worker takes what was still queued; the sweep is re-run; the dead worker's
        # batches come back too, as they would after the visibility timeout.
        assert evaluate_all.apply_async(args=[clinic.pk], queue=KILL_QUEUE).get(timeout=60) == SWEEP_SIZE
        _redeliver(held)
        wait_for(lambda: checks.count() == SWEEP_SIZE and _drained(KILL_QUEUE), timeout=60,
                 what="the re-run to finish")

    day = clinic_today(clinic)
    assert checks.filter(as_of=day, decision="regress", applied="regressed").count() == SWEEP_SIZE
    steps = StepVersion.objects.filter(exercise_id__in=exercise_ids, source="engine")
    assert steps.count() == SWEEP_SIZE and set(steps.values_list("step", flat=True)) == {1}  # 2 -> 1, never -> 0
    from patients.models import AssignedExercise

    assert set(AssignedExercise.objects.filter(pk__in=exercise_ids).values_list("current_step", flat=True)) == {1}
    flags = Flag.objects.filter(exercise_id__in=exercise_ids)
    per_kind = {}
    for exercise_id, kind in flags.values_list("exercise_id", "kind"):
        per_kind[(exercise_id, kind)] = per_kind.get((exercise_id, kind), 0) + 1
    assert set(per_kind.values()) == {1}, "a flag was raised twice for the same exercise and kind"
    assert flags.filter(kind="pain_red", severity="urgent").count() == SWEEP_SIZE
    assert not flags.filter(kind="pain_red", notified_at__isnull=True).exists()
    redis.delete(KILL_QUEUE)
