"""Shared fixtures: two clinics with staff and patients, and the service gate.

Tests that need PostgreSQL, Redis, a Celery worker or Chromium call
`require_service(available, reason)`: on a laptop without the service the test
is skipped with that reason; with BACKSTEP_REQUIRE_SERVICES=1 (set by .ci/run)
it fails instead, so CI never silently skips them.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

import pytest

REQUIRE_SERVICES = os.environ.get("BACKSTEP_REQUIRE_SERVICES", "") == "1"


def require_service(available: bool, reason: str) -> None:
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"required service missing (BACKSTEP_REQUIRE_SERVICES=1): {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _caller_cache_breaker_closed():
    """Each test starts with the caller cache's breaker closed (one test's cache fault never carries over)."""
    from clinic.access_cache import access_cache_reset

    access_cache_reset()
    yield
    access_cache_reset()


@pytest.fixture
def require():
    return require_service


@dataclass
class World:
    clinic_a: object
    clinic_b: object
    admin_a: object
    therapist_a: object
    therapist_b: object
    patient_a1: object
    patient_a2: object
    patient_b1: object
    assignment_a1: object
    assignment_a2: object
    assignment_b1: object


@pytest.fixture
def world(db) -> World:
    """Clinic A (admin, therapist, patients A1 and A2 with logins) and clinic B (therapist, patient B1)."""
    from clinic.models import Membership
    from patients.services import assignment_create
    from tests.factories import ClinicFactory, MembershipFactory, PatientFactory, UserFactory, make_protocol

    clinic_a = ClinicFactory(name="Clinic A", slug="clinic-a")
    clinic_b = ClinicFactory(name="Clinic B", slug="clinic-b")
    admin_a = MembershipFactory(clinic=clinic_a, role=Membership.Role.ADMIN, user__email="admin@a.test").user
    therapist_a = MembershipFactory(clinic=clinic_a, user__email="therapist@a.test").user
    therapist_b = MembershipFactory(clinic=clinic_b, user__email="therapist@b.test").user
    patient_a1 = PatientFactory(clinic=clinic_a, therapist=therapist_a, user=UserFactory(email="a1@a.test"),
                                first_name="Alma", last_name="Ashby")
    patient_a2 = PatientFactory(clinic=clinic_a, therapist=therapist_a, user=UserFactory(email="a2@a.test"),
                                first_name="Arlo", last_name="Avery")
    patient_b1 = PatientFactory(clinic=clinic_b, therapist=therapist_b, user=UserFactory(email="b1@b.test"),
                                first_name="Bea", last_name="Brook")
    protocol = make_protocol()
    start = dt.date.today() - dt.timedelta(days=21)
    assignments = [
        assignment_create(patient=p, protocol=protocol, start_date=start, baseline_pain=2, assigned_by=t)
        for p, t in ((patient_a1, therapist_a), (patient_a2, therapist_a), (patient_b1, therapist_b))
    ]
    return World(clinic_a, clinic_b, admin_a, therapist_a, therapist_b, patient_a1, patient_a2, patient_b1,
                 *assignments)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Real hashing costs ~0.3 s a user; tests need speed, not strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class LocalChannels:
    """A local SMTP server (aiosmtpd) the worker sends e-mail to, and the VAPID keys it signs Web Push with."""

    smtp_port: int
    messages: list  # (envelope recipients, raw message bytes), in arrival order
    vapid_public: str
    vapid_private: str

    @property
    def env(self) -> dict[str, str]:
        return {"EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend", "EMAIL_HOST": "127.0.0.1",
                "EMAIL_PORT": str(self.smtp_port), "EMAIL_USE_TLS": "0",
                "WEBPUSH_VAPID_PUBLIC_KEY": self.vapid_public, "WEBPUSH_VAPID_PRIVATE_KEY": self.vapid_private,
                "WEBPUSH_VAPID_SUBJECT": "mailto:tests@backstep.local"}


@pytest.fixture(autouse=True)
def _each_test_starts_in_english():
    """Every test starts in the site's language. The test client runs requests in this thread and Django's
    LocaleMiddleware leaves the last request's language active, so one German request would otherwise word
    the next test's e-mails and reasons in German."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture(scope="session")
def local_channels():
    """A real SMTP server on a free local port for the session, and a VAPID key pair (reminders' e-mail and push)."""
    import socket

    from aiosmtpd.controller import Controller

    from reminders.push import vapid_key_pair

    messages: list = []

    class Collect:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
            messages.append((list(envelope.rcpt_tos), envelope.original_content or envelope.content))
            return "250 Message accepted"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Collect(), hostname="127.0.0.1", port=port)
    controller.start()
    public, private = vapid_key_pair()
    yield LocalChannels(smtp_port=port, messages=messages, vapid_public=public, vapid_private=private)
    controller.stop()


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker, local_channels):
    """A real `celery -A clinic worker` process on the Redis broker, using the test database.

    Needs REDIS_URL (and, for tasks that touch data, DATABASE_URL on PostgreSQL,
    since a second process cannot see an SQLite test database in memory). Its
    e-mail goes to the local SMTP server of `local_channels`, and it signs Web
    Push with that fixture's VAPID keys.
    """
    import signal
    import subprocess
    import sys
    import time

    from django.conf import settings
    from django.db import connection

    redis_url = os.environ.get("REDIS_URL", "")
    require_service(bool(redis_url), "REDIS_URL is not set: no broker for a real Celery worker")
    env = {**os.environ, **local_channels.env}
    if connection.vendor == "postgresql":
        config = dict(settings.DATABASES["default"])
        env["DATABASE_URL"] = _pg_url(config)
    from pathlib import Path

    log_path = Path(__file__).resolve().parent / "test-artifacts" / "celery-worker.log"
    log_path.parent.mkdir(exist_ok=True)
    log = open(log_path, "w")  # a file, not a pipe: a full pipe would stall the worker
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "clinic", "worker", "--loglevel=INFO", "--concurrency=2",
         "--pool=prefork", "--without-heartbeat", "--without-gossip", "--without-mingle"],
        env=env, stdout=log, stderr=subprocess.STDOUT, text=True,
    )
    from clinic.celery import app

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"celery worker exited early:\n{log_path.read_text()}")
        replies = app.control.ping(timeout=1.0)
        if replies:
            break
    else:
        process.kill()
        pytest.fail("celery worker did not answer a ping within 60 s")
    yield process
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


def _pg_url(config: dict) -> str:
    """DATABASE_URL for the test database pytest-django created (test_<name>)."""
    from urllib.parse import quote

    user = quote(config.get("USER") or "")
    password = f":{quote(config['PASSWORD'])}" if config.get("PASSWORD") else ""
    host = config.get("HOST") or "127.0.0.1"
    port = config.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{config['NAME']}"


@pytest.fixture
def eager_celery():
    """Run tasks in-process for this test even when REDIS_URL points at a real broker."""
    from clinic.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous
