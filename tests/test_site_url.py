"""Every e-mailed link starts with SITE_URL, and `make run PORT=8100` sets it to the address it serves on."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse

from clinic.services import staff_invite
from patients.models import Flag
from patients.services import flag_notify_urgent, invitation_create
from tests.api.support import progression_flag
from tests.factories import PatientFactory

ROOT = Path(__file__).resolve().parents[1]
DEMO = "http://127.0.0.1:8100"


def make_serve(*args: str, **env: str) -> str:
    """What `make serve` would run (dry run), with the environment's SITE_URL removed unless given."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    environment = {k: v for k, v in os.environ.items() if k not in ("SITE_URL", "HOST", "PORT")} | env
    result = subprocess.run(["make", "-n", "serve", "PY=python", *args], cwd=ROOT, env=environment,  # noqa: S603,S607
                            capture_output=True, text=True, timeout=60, check=True)
    return result.stdout


def test_make_run_puts_its_port_in_the_links():
    assert "SITE_URL='http://127.0.0.1:8100' python manage.py runserver 127.0.0.1:8100" in make_serve("PORT=8100")
    assert "SITE_URL='http://0.0.0.0:9000'" in make_serve("HOST=0.0.0.0", "PORT=9000")
    assert "SITE_URL='http://127.0.0.1:8000' python manage.py runserver 127.0.0.1:8000" in make_serve()


def test_a_site_url_that_is_set_wins():
    assert "SITE_URL='https://rehab.example.org'" in make_serve("PORT=8100", SITE_URL="https://rehab.example.org")
    assert "SITE_URL='https://b.example.org'" in make_serve("PORT=8100", "SITE_URL=https://b.example.org")


@pytest.fixture
def demo_site(settings):
    settings.SITE_URL = DEMO
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.mark.django_db
def test_patient_invitation_links_use_site_url(world, demo_site):
    patient = PatientFactory(clinic=world.clinic_a, email="new@patient.test")
    _invitation, link = invitation_create(patient=patient)
    assert link.startswith(f"{DEMO}/invite/") and link in mail.outbox[-1].body


@pytest.mark.django_db
def test_password_reset_links_use_site_url_not_the_request_host(client, world, demo_site):
    response = client.post(reverse("password_reset"), {"email": world.therapist_a.email}, HTTP_HOST="localhost")
    assert response.status_code == 302
    body = mail.outbox[-1].body
    assert f"{DEMO}/accounts/reset/" in body and "localhost" not in body


@pytest.mark.django_db(transaction=True)
def test_staff_invitation_links_use_site_url(world, demo_site, eager_celery):
    invited = staff_invite(clinic=world.clinic_a, email="new.therapist@a.test", invited_by=world.admin_a)
    body = mail.outbox[-1].body
    assert invited.link.startswith(f"{DEMO}/accounts/reset/") and invited.link in body


@pytest.mark.django_db
def test_urgent_flag_e_mails_link_to_site_url(world, demo_site, eager_celery, django_capture_on_commit_callbacks):
    flag = progression_flag(world.assignment_a1, kind=Flag.Kind.PAIN_RED, severity=Flag.Severity.URGENT)
    with django_capture_on_commit_callbacks(execute=True):  # the e-mail is recorded, then sent after commit
        assert flag_notify_urgent(flag_id=flag.pk)
    assert f"{DEMO}{reverse('patients:flags')}" in mail.outbox[-1].body
