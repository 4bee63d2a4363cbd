"""Reminders end to end: a beat tick through the broker, a real Celery worker, real Web Push and real SMTP.

The push service is a local HTTP server: pywebpush (in the worker) encrypts for
the subscription's public key, and the test decrypts what arrives with the
subscription's private key and auth secret (`http_ece`, aes128gcm). E-mail goes
to a local aiosmtpd server (`local_channels` in conftest.py).
"""

from __future__ import annotations

import base64
import datetime as dt
import email
import json
import os
import threading
import time
import zoneinfo
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.db import connection
from django.utils import timezone

from reminders.models import PushSubscription, ReminderDelivery, ReminderPreference
from tests.api.support import walk
from tests.factories import SessionLogFactory

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class PushService:
    """A local push service: records each POST (path, headers, body); answers 410 for paths with /gone/, and
    holds requests to paths with /hang/ for a minute (a send the worker will never see answered)."""

    def __init__(self):
        self.received: list[tuple[str, dict, bytes]] = []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's hook name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                service.received.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                if "/hang/" in self.path:
                    time.sleep(60)
                self.send_response(410 if "/gone/" in self.path else 201)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.fixture
def push_service():
    service = PushService()
    yield service
    service.close()


class Browser:
    """A browser's push subscription: its own P-256 key pair and 16-byte auth secret."""

    def __init__(self):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        self.p256dh = b64url(self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))

    def subscribe(self, patient, endpoint):
        return PushSubscription.objects.create(patient=patient, endpoint=endpoint, p256dh=self.p256dh,
                                               auth=b64url(self.auth))

    def decrypt(self, body: bytes) -> dict:
        return json.loads(http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"))


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


def beat_tick():
    """What celery beat does every five minutes: publish the tick task by name to the broker."""
    from clinic.celery import app

    app.send_task("reminders.tick")


def remind_now(patient, kind: str, zone: str):
    """The patient's reminder of `kind` at this very minute of their own time zone, by push and e-mail."""
    local_now = timezone.now().astimezone(zoneinfo.ZoneInfo(zone))
    at = local_now.time().replace(second=0, microsecond=0)
    return ReminderPreference.objects.create(
        patient=patient, timezone=zone, training_enabled=kind == "training", checkin_enabled=kind == "checkin",
        training_time=at, checkin_time=at, training_weekdays="0123456", nudge_enabled=False,
        quiet_start=dt.time(0, 0), quiet_end=dt.time(0, 0), push_enabled=True, email_enabled=True)


def settled(*patients):
    rows = ReminderDelivery.objects.filter(patient__in=patients)
    return rows.exists() and not rows.filter(status__in=["pending", "sending"]).exists()


def test_reminders_go_at_local_time_through_both_channels_once_and_not_after_training(
        world, on_postgres, celery_worker_process, local_channels, push_service):
    local_channels.messages.clear()
    a1, a2 = world.patient_a1, world.patient_a2
    remind_now(a1, "training", "Australia/Sydney")
    remind_now(a2, "training", "America/Los_Angeles")
    SessionLogFactory(exercise=walk(world.assignment_a2), date=timezone.now().astimezone(
        zoneinfo.ZoneInfo("America/Los_Angeles")).date())  # a2 already trained today: nothing for a2
    browser = Browser()
    browser.subscribe(a1, f"{push_service.url}/push/a1")
    beat_tick()
    wait_for(lambda: settled(a1), what="a1's reminders sent by the worker")
    beat_tick()  # a second tick in the same window adds nothing
    time.sleep(3)
    assert sorted(ReminderDelivery.objects.values_list("patient_id", "kind", "channel", "status")) == [
        (a1.pk, "training", "email", "sent"), (a1.pk, "training", "push", "sent")]
    [(path, headers, body)] = push_service.received
    assert path == "/push/a1" and headers["content-encoding"] == "aes128gcm"
    assert headers["authorization"].startswith("vapid t=") and local_channels.vapid_public in headers["authorization"]
    assert browser.decrypt(body) == {"title": "Time for today's session", "body": "Your exercises for today are ready.",
                                     "url": "/today/"}
    [(recipients, raw)] = local_channels.messages
    message = email.message_from_bytes(raw, policy=policy.default)
    assert recipients == [a1.user.email] and message["Subject"] == "Time for today's session"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = message["List-Unsubscribe"].strip().strip("<>")
    assert link in message.get_content()
    assert "Clinic A" not in raw.decode() and a1.last_name not in raw.decode()

    from django.test import Client

    response = Client().post(urlparse(link).path)  # one click, no sign-in, no CSRF token
    assert response.status_code == 200
    assert ReminderPreference.objects.get(patient=a1).email_enabled is False


def test_checkin_reminder_and_an_expired_subscription_is_removed(
        world, on_postgres, celery_worker_process, local_channels, push_service):
    local_channels.messages.clear()
    a1 = world.patient_a1
    remind_now(a1, "checkin", "Europe/London")
    live, gone = Browser(), Browser()
    live.subscribe(a1, f"{push_service.url}/push/live")
    gone_row = gone.subscribe(a1, f"{push_service.url}/push/gone/1")
    beat_tick()
    wait_for(lambda: settled(a1), what="a1's check-in reminders")
    assert not PushSubscription.objects.filter(pk=gone_row.pk).exists()
    assert PushSubscription.objects.get(endpoint=f"{push_service.url}/push/live").last_success is not None
    [live_body] = [body for path, _, body in push_service.received if path == "/push/live"]
    assert live.decrypt(live_body)["url"] == "/checkin/"
    assert sorted(ReminderDelivery.objects.values_list("kind", "channel", "status")) == [
        ("checkin", "email", "sent"), ("checkin", "push", "sent")]
    assert len(local_channels.messages) == 1


KILL_QUEUE = "reminders-kill"


def test_a_worker_killed_mid_send_never_sends_twice_and_a_later_tick_marks_it_failed(
        world, on_postgres, local_channels, push_service, require):
    """A worker of its own (queue KILL_QUEUE, so the session's worker never takes the message) is SIGKILLed
    while the push service holds its request: the row stays `sending`; a tick past STALE_SENDING marks it
    failed (outcome unknown), and no second copy is ever sent."""
    import signal
    import subprocess
    import sys

    from clinic.celery import app
    from reminders.services import delivery_send, reminders_tick
    from reminders.services.tick import STALE_SENDING
    from tests.integration.reliability_support import ARTIFACTS, web_env

    redis_url = os.environ.get("REDIS_URL", "")
    require(bool(redis_url), "REDIS_URL is not set: no broker for a real Celery worker")
    remind_now(world.patient_a1, "training", "Europe/London")
    ReminderPreference.objects.filter(patient=world.patient_a1).update(email_enabled=False)
    Browser().subscribe(world.patient_a1, f"{push_service.url}/push/hang/1")
    # The row a tick claims, written here: a tick would also enqueue it for the session's shared worker.
    pk = ReminderDelivery.objects.create(patient=world.patient_a1, kind="training", channel="push",
                                         local_date=timezone.localdate()).pk
    ARTIFACTS.mkdir(exist_ok=True)
    with open(ARTIFACTS / "reminders-kill-worker.log", "w") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "clinic", "worker", "-Q", KILL_QUEUE, "--pool=solo",
             "--loglevel=INFO", "--without-heartbeat", "--without-gossip", "--without-mingle",
             "-n", f"kill-{os.getpid()}@%h"],
            env={**web_env(redis_url=redis_url), **local_channels.env}, stdout=log, stderr=subprocess.STDOUT)
        try:
            app.send_task("reminders.send_delivery", args=[pk], queue=KILL_QUEUE)
            wait_for(lambda: push_service.received, what="the push request the worker makes")
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=20)
        finally:
            if worker.poll() is None:
                worker.kill()
    row = ReminderDelivery.objects.get(pk=pk)
    assert row.status == "sending" and row.attempted_at is not None
    assert delivery_send(delivery_id=pk) is None  # a redelivered message finds it claimed: nothing is sent
    reminders_tick(now=row.attempted_at + STALE_SENDING + dt.timedelta(minutes=1))
    row.refresh_from_db()
    assert row.status == "failed" and row.detail.startswith("interrupted")
    assert len(push_service.received) == 1
