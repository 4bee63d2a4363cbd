"""Fault tests against the real PostgreSQL and Redis (issue 7, part 5): the broker is down.

Broker down (refusing, or hung): logging a session over HTTP (API and phone form) still answers within 2 s, and
the next hourly tick evaluates it once the broker is back, even after that day's sweep (and the catch-up query
finds each kind of entry whose check was lost). A nightly sweep whose batches the broker refused is sent again
at the next tick.

The other fault tests: a worker killed mid-sweep (test_reliability_worker_killed.py), rolled-back transactions
and concurrent replays (test_reliability_rollbacks_and_replays.py). They skip on a laptop without the services
and fail in CI (BACKSTEP_REQUIRE_SERVICES=1). Names and pain scores are never printed.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import textwrap
import time
import uuid
from contextlib import contextmanager

import pytest

from patients.models import Flag, ProgressionCheck, SessionLog
from patients.services import clinic_today
from tests.integration.reliability_support import (
    ROOT,
    api_session_body,
    form_session_body,
    hung_broker,
    signed_in_cookies,
    web_env,
    web_server,
)
from tests.integration.test_checks_worker import on_postgres, wait_for, walk  # noqa: F401 (fixture)

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

DEAD_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1: connections are refused at once
LOGGING_BOUND_S = 2.0


# ---------------------------------------------------------------------------
# 1. The broker is down: logging still answers quickly; the next tick catches up
# ---------------------------------------------------------------------------


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
