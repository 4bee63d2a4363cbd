"""Fault tests against the real PostgreSQL and Redis (issue 7, part 5): rollbacks and concurrent replays.

A rolled-back transaction publishes nothing to the broker; ten concurrent posts with one idempotency key make
one row. Skip on a laptop without the services and fail in CI (BACKSTEP_REQUIRE_SERVICES=1). Names and pain
scores are never printed.
"""

from __future__ import annotations

import os
import threading
import uuid

import pytest
from django.db import transaction

from patients.models import MorningCheckIn, ProgressionCheck, SessionLog
from patients.services import clinic_today
from tests.integration.reliability_support import api_session_body, form_session_body, signed_in_cookies
from tests.integration.test_checks_worker import on_postgres, wait_for, walk  # noqa: F401 (fixture)

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


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
