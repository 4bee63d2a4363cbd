"""Fault tests against the real PostgreSQL and Redis (issue 7, part 5).

1. Broker down (refusing, or hung): logging a session over HTTP (API and phone
   form) still answers within 2 s, and the next hourly tick evaluates it once
   the broker is back, even after that day's sweep (and the catch-up query
   finds each kind of entry whose check was lost). A nightly sweep whose
   batches the broker refused is sent again at the next tick.
2. A worker SIGKILLed in the middle of a sweep: after a new worker and a
   re-run (and the late redelivery of what the dead worker held), every
   assignment is evaluated once in effect, with no duplicate flags.
3. A rolled-back transaction publishes nothing to the broker.
4. Ten concurrent posts with one idempotency key make one row.

They skip on a laptop without the services and fail in CI
(BACKSTEP_REQUIRE_SERVICES=1). Names and pain scores are never printed.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import select
import signal
import string
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction

from conftest import _pg_url, require_service
from patients.models import Flag, MorningCheckIn, ProgressionCheck, SessionLog, StepVersion
from patients.services import clinic_today
from tests.integration.test_checks_worker import on_postgres, wait_for, walk  # noqa: F401 (fixture)

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
DEAD_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1: connections are refused at once
LOGGING_BOUND_S = 2.0


# ---------------------------------------------------------------------------
# Helpers: signed-in HTTP clients for a server in another thread or process
# ---------------------------------------------------------------------------


def signed_in_cookies(user) -> dict[str, str]:
    """Session and CSRF cookies of a signed-in user, usable against any server on the test database."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    # An unmasked 32-character CSRF secret is a valid cookie and a valid token.
    csrf = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
    return {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value,
            settings.CSRF_COOKIE_NAME: csrf}


def api_session_body(exercise, day: dt.date, pain: int, **extra) -> dict:
    return {"exercise": exercise.pk, "date": day.isoformat(), "duration_min": 10, "speed_kmh": 2.5,
            "incline_pct": 0, "pain_during": pain, "pain_after": min(pain, 3), **extra}


def form_session_body(exercise, day: dt.date, pain: int, client_uuid: uuid.UUID, csrf: str) -> dict:
    return {"exercise": exercise.pk, "date": day.isoformat(), "completed": "yes", "duration_min": 10,
            "speed_kmh": "2.5", "incline_pct": "0", "pain_during": pain, "pain_after": min(pain, 3),
            "client_uuid": str(client_uuid), "csrfmiddlewaretoken": csrf}


def web_env(*, redis_url: str) -> dict[str, str]:
    """Environment of a second process that shares the PostgreSQL test database."""
    env = dict(os.environ)
    env["DATABASE_URL"] = _pg_url(settings.DATABASES["default"])
    env["REDIS_URL"] = redis_url
    return env


SERVER_SCRIPT = textwrap.dedent("""
    # The production WSGI entry point behind Django's threaded development server, on a free port.
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from clinic.wsgi import application
    server = ThreadedWSGIServer(("127.0.0.1", 0), WSGIRequestHandler)
    server.set_app(application)
    print(server.server_address[1], flush=True)
    server.serve_forever()
""")


@contextmanager
def web_server(*, redis_url: str, log_name: str):
    """Run the app in its own process with `redis_url` as broker and cache; yields (base URL, log path)."""
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / log_name
    with open(log_path, "w") as log:
        process = subprocess.Popen([sys.executable, "-c", SERVER_SCRIPT], cwd=ROOT, env=web_env(redis_url=redis_url),
                                   stdout=subprocess.PIPE, stderr=log, text=True)
        try:
            ready, _, _ = select.select([process.stdout], [], [], 30)
            line = process.stdout.readline().strip() if ready else ""
            if not line.isdigit():
                pytest.fail(f"the web server did not start:\n{log_path.read_text()}")
            yield f"http://127.0.0.1:{line}", log_path
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# ---------------------------------------------------------------------------
# 1. The broker is down: logging still answers quickly; the next tick catches up
# ---------------------------------------------------------------------------


@contextmanager
def hung_broker():
    """A Redis URL whose server accepts connections and never answers (a hung Redis, a half-open link)."""
    import socket

    listener = socket.create_server(("127.0.0.1", 0))
    held = []

    def accept():
        while True:
            try:
                held.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    finally:
        listener.close()
        for conn in held:
            conn.close()


@contextmanager
def broker_fault(kind: str):
    if kind == "refused":
        yield DEAD_BROKER
    else:
        with hung_broker() as url:
            yield url


@pytest.mark.parametrize("fault", ["refused", "hung"])
def test_logging_over_http_succeeds_promptly_with_the_broker_down_and_the_next_tick_catches_up(
    world, on_postgres, celery_worker_process, fault
):
    import requests

    from clinic.models import Clinic
    from patients.models import SweepRun
    from patients.tasks import nightly_sweep

    day = clinic_today(world.clinic_a)
    api_exercise, form_exercise = walk(world.assignment_a1), walk(world.assignment_a2)
    api_cookies, form_cookies = signed_in_cookies(world.patient_a1.user), signed_in_cookies(world.patient_a2.user)
    form_uuid = uuid.uuid4()
    with broker_fault(fault) as broker_url, web_server(redis_url=broker_url,
                                                       log_name=f"web-broker-{fault}.log") as (base, log_path):
        # A fresh process spends about a second on its first request (imports, URL resolver):
        # warm it up, so the bound measures the broker's cost and not the interpreter's start.
        assert requests.get(f"{base}/api/v1/sessions/", cookies=api_cookies, timeout=30).status_code == 200
        assert requests.get(f"{base}/log/", cookies=form_cookies, timeout=30).status_code == 200
        started = time.monotonic()
        api = requests.post(f"{base}/api/v1/sessions/", json=api_session_body(api_exercise, day, pain=7),
                            headers={"Idempotency-Key": str(uuid.uuid4()), "X-CSRFToken": api_cookies["csrftoken"]},
                            cookies=api_cookies, timeout=30)
        api_seconds = time.monotonic() - started
        started = time.monotonic()
        form = requests.post(f"{base}/log/", data=form_session_body(form_exercise, day, 7, form_uuid,
                                                                    form_cookies["csrftoken"]),
                             cookies=form_cookies, allow_redirects=False, timeout=30)
        form_seconds = time.monotonic() - started
        assert api.status_code == 201, api.text[:500]
        assert form.status_code == 302, form.text[:500]
        assert api_seconds < LOGGING_BOUND_S, f"the API took {api_seconds:.2f} s with the broker {fault}"
        assert form_seconds < LOGGING_BOUND_S, f"the form took {form_seconds:.2f} s with the broker {fault}"
        # Each save tried the broker after commit and gave up (refused) or stopped waiting (hung).
        sign = "could not enqueue patients.evaluate_assignment" if fault == "refused" else "broker slow"
        wait_for(lambda: log_path.read_text().count(sign) == 2, timeout=15, what="both enqueue failures logged")

    saved_api = SessionLog.objects.get(exercise=api_exercise)
    saved_form = SessionLog.objects.get(exercise=form_exercise, client_uuid=form_uuid)
    assert api.json()["id"] == saved_api.pk
    assert form.headers["Location"].rstrip("/").endswith(f"/log/{saved_form.pk}")
    assert not ProgressionCheck.objects.exists()  # nothing reached the live worker

    # The broker is back, and today's nightly sweep ran before these sessions: the next hourly
    # tick checks them anyway (a red session each: step down, urgent flag, e-mail).
    for clinic in Clinic.objects.all():
        SweepRun.objects.get_or_create(clinic=clinic, local_date=clinic_today(clinic))
    assert nightly_sweep.delay().get(timeout=30) == []  # no clinic swept again
    for exercise in (api_exercise, form_exercise):
        wait_for(lambda ex=exercise: Flag.objects.filter(exercise=ex, kind="pain_red",
                                                         notified_at__isnull=False).exists(),
                 what="the catch-up's check, flag and e-mail")
        check = ProgressionCheck.objects.get(exercise=exercise)
        assert (check.as_of, check.decision, check.rules[0]) == (day, "regress", "R1")
        assert Flag.objects.get(exercise=exercise, kind="pain_red").severity == "urgent"
    # Only entries whose check was lost are caught up; the sweep proper stays nightly.
    assert not ProgressionCheck.objects.filter(exercise=walk(world.assignment_b1)).exists()


def test_the_catch_up_finds_each_kind_of_entry_whose_check_was_lost(world):
    """Rows saved without their check (as when the message was lost) are found; checked ones are not."""
    from patients.selectors import assignments_with_unchecked_evidence
    from patients.services import assignments_check
    from tests.factories import MeasurementFactory, MorningCheckInFactory, SessionLogFactory

    day = clinic_today(world.clinic_a)
    a1, a2, b1 = world.assignment_a1, world.assignment_a2, world.assignment_b1
    SessionLogFactory(exercise=walk(a1), date=day)
    checkin = MorningCheckInFactory(patient=world.patient_a2, date=day)
    MeasurementFactory(patient=world.patient_b1, date=day, recorded_by=world.therapist_b)
    assert assignments_with_unchecked_evidence() == sorted([a1.pk, a2.pk, b1.pk])
    assert assignments_with_unchecked_evidence(skip_clinic_ids=[world.clinic_b.pk]) == sorted([a1.pk, a2.pk])

    assignments_check(assignment_ids=[a1.pk, a2.pk, b1.pk], notify=False)
    assert assignments_with_unchecked_evidence() == []
    checkin.pain = 5  # a corrected answer is new evidence again
    checkin.save()
    assert assignments_with_unchecked_evidence() == [a2.pk]
    # Entries older than the catch-up window are left to the nightly sweep.
    assert assignments_with_unchecked_evidence(now=checkin.updated_at + dt.timedelta(days=3)) == []


TICK_SCRIPT = textwrap.dedent("""
    # One hourly tick of beat's nightly_sweep, run in this process (as a worker would run it).
    import json
    import django
    django.setup()
    from patients.tasks import nightly_sweep
    print(json.dumps(nightly_sweep()), flush=True)
""")


def test_a_sweep_the_broker_refused_is_sent_at_the_next_tick(world, on_postgres, celery_worker_process):
    """The tick claims each clinic's night; when the broker refuses its batches the claim is released (issue 13)."""
    from clinic.models import Clinic
    from patients.models import SweepRun
    from patients.tasks import nightly_sweep

    # Past 02:00 in the clinics' time zone whatever the hour the test runs at.
    zone = "UTC" if dt.datetime.now(dt.UTC).hour >= 3 else "Asia/Dhaka"
    Clinic.objects.update(timezone=zone)
    tick = subprocess.run([sys.executable, "-c", TICK_SCRIPT], cwd=ROOT, env=web_env(redis_url=DEAD_BROKER),
                          capture_output=True, text=True, timeout=120)
    assert tick.returncode == 0, tick.stderr[-3000:]
    assert json.loads(tick.stdout.strip().splitlines()[-1]) == []  # nothing reached the broker: nobody swept
    assert "released for the next tick" in tick.stderr
    assert not SweepRun.objects.exists()
    assert not ProgressionCheck.objects.exists()

    # The broker is back: the next tick sweeps both clinics on the live worker, and says how many it sent.
    assert sorted(nightly_sweep.delay().get(timeout=60)) == sorted([world.clinic_a.pk, world.clinic_b.pk])
    walks = [walk(a) for a in (world.assignment_a1, world.assignment_a2, world.assignment_b1)]
    wait_for(lambda: ProgressionCheck.objects.filter(exercise__in=walks).count() == 3, what="the swept checks")
    runs = {run.clinic_id: run for run in SweepRun.objects.all()}
    assert (runs[world.clinic_a.pk].assignments, runs[world.clinic_b.pk].assignments) == (2, 1)
    assert all(run.enqueued_at is not None for run in runs.values())
    assert nightly_sweep.delay().get(timeout=60) == []  # once a night


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

    def slow_evaluate(data):
        time.sleep(delay)
        return real_evaluate(data)

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


# ---------------------------------------------------------------------------
# 3. A rolled-back transaction publishes nothing
# ---------------------------------------------------------------------------


class BrokerTap:
    """Everything the broker's Redis database is told while the tap is open (Redis MONITOR)."""

    def __init__(self, url: str):
        import redis

        self.client = redis.Redis.from_url(url)
        self.db = self.client.connection_pool.connection_kwargs.get("db", 0)
        self.stop_word = f"tap-stop-{uuid.uuid4().hex}"
        self.commands: list[str] = []

    def __enter__(self):
        self.monitor = self.client.monitor().__enter__()
        self.thread = threading.Thread(target=self._listen, daemon=True)
        self.thread.start()
        return self

    def _listen(self):
        for event in self.monitor.listen():
            if self.stop_word in event["command"]:
                return
            if event.get("db") == self.db:
                self.commands.append(event["command"])

    def __exit__(self, *exc):
        self.client.echo(self.stop_word)
        self.thread.join(timeout=10)
        self.monitor.__exit__(*exc)

    def published(self, task_name: str) -> int:
        """Messages of `task_name` pushed onto a queue (kombu's Redis transport LPUSHes each message)."""
        return sum(1 for c in self.commands if c.lower().startswith("lpush") and task_name in c)


class Abort(Exception):
    pass


def test_rolled_back_transactions_publish_nothing_to_the_broker(world, on_postgres, celery_worker_process):
    from patients.services import checkin_record, measurement_record, session_log_create

    day = clinic_today(world.clinic_a)
    a1, a2 = walk(world.assignment_a1), walk(world.assignment_a2)

    def log(patient=world.patient_a1, exercise=a1):
        return session_log_create(patient=patient, exercise=exercise, date=day, today=day, duration_min=10,
                                  pain_during=7, pain_after=3, client_uuid=uuid.uuid4())

    writes = [
        log,
        lambda: checkin_record(patient=world.patient_a1, date=day, today=day, pain=6),
        lambda: measurement_record(patient=world.patient_a1, date=day, recorded_by=world.therapist_a,
                                   effusion="2+"),
    ]
    with BrokerTap(os.environ["REDIS_URL"]) as tap:
        for write in writes:
            with pytest.raises(Abort), transaction.atomic():
                write()
                raise Abort
            # A rolled-back savepoint inside a transaction that commits drops its callbacks too.
            with transaction.atomic():
                try:
                    with transaction.atomic():
                        write()
                        raise Abort
                except Abort:
                    pass
        # Control: a write that commits is published, so the tap does see messages.
        log(patient=world.patient_a2, exercise=a2)
        wait_for(lambda: ProgressionCheck.objects.filter(exercise=a2).exists(), what="the control's check")
    assert tap.published("patients.evaluate_assignment") == 1
    assert not SessionLog.objects.filter(patient=world.patient_a1).exists()
    assert not MorningCheckIn.objects.filter(patient=world.patient_a1).exists()
    assert not ProgressionCheck.objects.filter(exercise=a1).exists()


# ---------------------------------------------------------------------------
# 4. Ten concurrent submissions with one idempotency key
# ---------------------------------------------------------------------------

SUBMITTERS = 10


@pytest.mark.parametrize("key_in", ["header", "client_uuid", "form"])
def test_concurrent_submissions_with_one_key_create_one_row(world, on_postgres, live_server, celery_worker_process,
                                                            key_in):
    import requests

    day = clinic_today(world.clinic_a)
    exercise = walk(world.assignment_a1)
    cookies = signed_in_cookies(world.patient_a1.user)
    key = uuid.uuid4()
    if key_in == "form":  # the phone's offline outbox replays the form with Accept: application/json
        url = f"{live_server.url}/log/"
        request = {"data": form_session_body(exercise, day, 2, key, cookies["csrftoken"]),
                   "headers": {"Accept": "application/json"}}
    else:
        url = f"{live_server.url}/api/v1/sessions/"
        extra = {"client_uuid": str(key)} if key_in == "client_uuid" else {}
        headers = {"X-CSRFToken": cookies["csrftoken"]}
        if key_in == "header":
            headers["Idempotency-Key"] = str(key)
        request = {"json": api_session_body(exercise, day, 2, **extra), "headers": headers}
    barrier = threading.Barrier(SUBMITTERS)
    responses: list = [None] * SUBMITTERS

    def submit(index: int) -> None:
        with requests.Session() as http:
            barrier.wait(timeout=30)
            try:
                responses[index] = http.post(url, cookies=cookies, timeout=60, **request)
            except requests.RequestException as error:
                responses[index] = error

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(SUBMITTERS)]
    with BrokerTap(os.environ["REDIS_URL"]) as tap:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=90)
        # Let the one check finish before the test database is emptied.
        wait_for(lambda: ProgressionCheck.objects.filter(exercise=exercise).exists(), what="the session's check")
    assert tap.published("patients.evaluate_assignment") == 1  # replays trigger no second check

    failed = [r for r in responses if not isinstance(r, requests.Response)]
    assert not failed, failed
    statuses = sorted(r.status_code for r in responses)
    assert all(status in (200, 201) for status in statuses), [(r.status_code, r.text[:300]) for r in responses]
    saved = SessionLog.objects.get(patient=world.patient_a1)  # exactly one row
    assert saved.client_uuid == key
    if key_in == "form":
        assert {r.json()["redirect"] for r in responses} == {f"/log/{saved.pk}/"}
        assert statuses.count(201) == 1  # the others are answered as replays
    else:
        assert {r.json()["id"] for r in responses} == {saved.pk}
        assert sum(1 for r in responses if "Idempotent-Replayed" not in r.headers) == 1
