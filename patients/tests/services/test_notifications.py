"""What the checks tell the staff by e-mail: the daily digest, once a day, without clinical details."""

import datetime as dt
import zoneinfo

import pytest
from django.core import mail

from patients.models import Flag
from patients.services import daily_digests_send
from patients.tests.support import check, session

# Tasks enqueued on commit run in-process here, even where CI sets REDIS_URL.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


def test_daily_digest_once_a_day_without_clinical_details(world, django_capture_on_commit_callbacks):
    from django.utils import timezone

    session(world, 1, pain=7)
    check(world)
    eight_am = timezone.localtime(timezone.now(), zoneinfo.ZoneInfo("Europe/London")).replace(hour=8, minute=0)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):  # digests are sent once their row commits
        assert daily_digests_send(now=eight_am) == 1
        assert daily_digests_send(now=eight_am + dt.timedelta(hours=1)) == 0
    (message,) = mail.outbox
    assert Flag.objects.filter(patient=world.patient_a1).count() == 2  # pain_red and low_adherence
    assert message.to == ["therapist@a.test"] and "2 new flags" in message.subject
    assert "1 of them urgent" in message.body and world.patient_a1.first_name not in message.body
