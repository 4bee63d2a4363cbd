"""Staff e-mails: queued with the decision, sent after commit, retried with back-off, failures shown, logs clean."""

from __future__ import annotations

import datetime as dt
import logging
import smtplib

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from clinic import notifications, tasks
from clinic.models import Membership, Notification
from clinic.notifications import MAX_ATTEMPTS, RETRY_DELAYS, notification_send, notifications_due
from patients.models import Flag, Patient
from patients.services import assignments_check, flag_notify_urgent, step_change
from tests.factories import ClinicFactory, MembershipFactory, SessionLogFactory

# Tasks enqueued on commit run in-process here, even where CI sets REDIS_URL.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]

REFERENCE = "EHR\n4271"
PAIN = 9


class RefusingEmailBackend:
    """A mail server that refuses every message, quoting the recipient and the subject as real servers do."""

    calls = 0

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        RefusingEmailBackend.calls += 1
        message = messages[0]
        raise smtplib.SMTPRecipientsRefused({address: (550, f"no mailbox for {address}: {message.subject}".encode())
                                             for address in message.to})


@pytest.fixture
def refusing_mail(settings):
    settings.EMAIL_BACKEND = "clinic.tests.test_notifications.RefusingEmailBackend"
    RefusingEmailBackend.calls = 0
    return RefusingEmailBackend


def walk(assignment):
    return assignment.exercises.get(phase__order=0, order=0)


def red_session(world, *, capture):
    """A pain-7 session at step 2 of patient A1, checked: the check steps down and raises an urgent flag."""
    today = dt.date.today()
    step_change(exercise=walk(world.assignment_a1), step=2, effective_date=today - dt.timedelta(days=10),
                source="therapist", reason="Set up for the test")
    SessionLogFactory(exercise=walk(world.assignment_a1), date=today - dt.timedelta(days=1), step=2,
                      pain_during=PAIN, pain_after=2)
    with capture(execute=True):
        assignments_check(assignment_ids=[world.assignment_a1.pk], today=today)
    return Flag.objects.get(exercise=walk(world.assignment_a1), kind="pain_red")


def test_an_old_reference_with_a_line_break_still_gets_its_urgent_email(world, django_capture_on_commit_callbacks):
    """Saved before the single-line rule: the e-mail goes, with the reference on one line in its subject."""
    Patient.objects.filter(pk=world.patient_a1.pk).update(external_ref=REFERENCE)  # past validation, as old rows are
    flag = red_session(world, capture=django_capture_on_commit_callbacks)
    (message,) = mail.outbox
    assert message.subject == "Backstep: urgent flag for patient EHR 4271"
    assert message.to == ["therapist@a.test"]
    notification = Notification.objects.get(flag=flag)
    assert (notification.kind, notification.status, notification.attempts) == ("urgent_flag", "sent", 1)
    assert notification.subject == notification.body == ""  # the content is not kept once sent
    assert notification.recipient == world.therapist_a and notification.clinic == world.clinic_a


def test_urgent_email_is_queued_once_and_a_second_run_sends_nothing(world, django_capture_on_commit_callbacks):
    flag = red_session(world, capture=django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1
    notification = Notification.objects.get(flag=flag)
    with django_capture_on_commit_callbacks(execute=True):
        assert flag_notify_urgent(flag_id=flag.pk) == 0  # already decided for this evidence
        tasks.send_notification(notification.pk)  # the task delivered twice
        assert notification_send(notification_id=notification.pk, now=timezone.now() + dt.timedelta(days=1)) is None
        assert notifications_due(now=timezone.now() + dt.timedelta(days=1)) == []
    assert len(mail.outbox) == 1
    assert Notification.objects.count() == 1


def test_a_failing_mail_server_is_retried_with_back_off_then_marked_failed(
        world, refusing_mail, django_capture_on_commit_callbacks, caplog):
    caplog.set_level(logging.DEBUG)
    flag = red_session(world, capture=django_capture_on_commit_callbacks)
    notification = Notification.objects.get(flag=flag)
    # Eager (no broker): one attempt, and the next is not run at once (no blocking, no loop).
    assert refusing_mail.calls == 1 and mail.outbox == []
    notification.refresh_from_db()
    assert (notification.status, notification.attempts, notification.last_error) == (
        "pending", 1, "SMTPRecipientsRefused")
    start = notification.next_attempt_at - RETRY_DELAYS[0]

    # Each later attempt waits longer: 1, 5, 25, 125 minutes; the fifth failure is final.
    at = start
    waits = []
    for delay in RETRY_DELAYS:
        assert notification_send(notification_id=notification.pk, now=at + delay - dt.timedelta(seconds=1)) is None
        at += delay  # not due a second early; due on time
        waits.append(notification_send(notification_id=notification.pk, now=at))
    assert waits == [*RETRY_DELAYS[1:], None]
    assert [delay.total_seconds() / 60 for delay in RETRY_DELAYS] == [1, 5, 25, 125]
    notification.refresh_from_db()
    assert (notification.status, notification.attempts, notification.next_attempt_at) == ("failed", MAX_ATTEMPTS, None)
    assert notification.last_error == "SMTPRecipientsRefused" and refusing_mail.calls == MAX_ATTEMPTS
    assert notification_send(notification_id=notification.pk, now=at + dt.timedelta(days=1)) is None
    assert refusing_mail.calls == MAX_ATTEMPTS  # failed stays failed until someone retries

    # The log says which notification and what kind of error, never who or about whom.
    logged = caplog.text
    assert f"notification {notification.pk} not sent (attempt 1 of {MAX_ATTEMPTS}, SMTPRecipientsRefused)" in logged
    assert "marked failed for the clinic admin" in logged
    for secret in ("therapist@a.test", "EHR", "4271", world.patient_a1.last_name, world.patient_a1.first_name,
                   f"{PAIN}/10", "urgent flag for patient"):
        assert secret not in logged, secret


def test_the_task_schedules_the_next_attempt_when_a_broker_runs_it(world, refusing_mail, monkeypatch):
    with transaction.atomic():  # committed as in production, so on_commit does not send it here
        notification = notifications.notification_queue(
            kind=Notification.Kind.DAILY_DIGEST, clinic=world.clinic_a, recipient=world.therapist_a,
            subject="Backstep: 2 new flags today", body="…")
    scheduled = []
    monkeypatch.setattr(tasks, "enqueue", lambda task, *args, countdown=None: scheduled.append((task, args, countdown)))
    Notification.objects.filter(pk=notification.pk).update(attempts=0, next_attempt_at=None, status="pending")
    tasks.send_notification(notification.pk)  # called as a worker calls it: not eager
    assert scheduled == [(tasks.send_notification, (notification.pk,), 60.0)]


def test_the_hourly_tick_sends_a_notification_whose_message_was_lost(world):
    notification = Notification.objects.create(  # as if committed while the broker was down
        clinic=world.clinic_a, kind=Notification.Kind.DAILY_DIGEST, recipient=world.therapist_a,
        subject="Backstep: 1 new flag today", body="Hello")
    assert notifications_due() == []  # just written: its own message may still be on its way
    later = timezone.now() + dt.timedelta(minutes=2)
    assert notifications_due(now=later) == [notification.pk]
    (message,) = mail.outbox
    assert message.subject == "Backstep: 1 new flag today"
    notification.refresh_from_db()
    assert notification.status == "sent"
    assert notifications_due(now=later) == []


def test_a_deactivated_recipient_gets_nothing(world, django_capture_on_commit_callbacks):
    world.therapist_a.is_active = False
    world.therapist_a.save()
    with django_capture_on_commit_callbacks(execute=True):
        notification = notifications.notification_queue(
            kind=Notification.Kind.DAILY_DIGEST, clinic=world.clinic_a, recipient=world.therapist_a,
            subject="Backstep: 1 new flag today", body="…")
    notification.refresh_from_db()
    assert mail.outbox == [] and notification.status == "failed" and notification.last_error == "RecipientDeactivated"


# --- The clinic admin's page -------------------------------------------------------

def failed(world, **fields) -> Notification:
    values = dict(clinic=world.clinic_a, kind=Notification.Kind.URGENT_FLAG, recipient=world.therapist_a,
                  subject="Backstep: urgent flag for patient EHR-4271", body="reference EHR-4271",
                  status=Notification.Status.FAILED, attempts=MAX_ATTEMPTS, last_error="SMTPServerDisconnected")
    values.update(fields)
    return Notification.objects.create(**values)


def test_failures_end_up_on_the_admins_page_without_patient_data(
        client, world, refusing_mail, django_capture_on_commit_callbacks):
    flag = red_session(world, capture=django_capture_on_commit_callbacks)
    notification = Notification.objects.get(flag=flag)
    at = notification.next_attempt_at
    for delay in RETRY_DELAYS[1:]:
        notification_send(notification_id=notification.pk, now=at)
        at += delay
    notification_send(notification_id=notification.pk, now=at)
    notification.refresh_from_db()
    assert notification.status == "failed"
    client.force_login(world.admin_a)
    home = client.get(reverse("clinic-admin:staff")).content.decode()
    assert '1<span class="visually-hidden"> e-mail not sent</span>' in home  # the count beside "Clinic"
    response = client.get(reverse("clinic-admin:notifications"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Urgent flag" in body and "therapist@a.test" in body and "SMTPRecipientsRefused" in body
    assert f"<td>{MAX_ATTEMPTS}" in body and "Failed" in body and "Retry now" in body
    for secret in ("EHR", "4271", world.patient_a1.last_name, world.patient_a1.first_name, "urgent flag for patient"):
        assert secret not in body, secret


def test_the_page_says_when_nothing_failed(client, world):
    failed(world, status=Notification.Status.SENT, subject="", body="", attempts=1, last_error="")
    client.force_login(world.admin_a)
    body = client.get(reverse("clinic-admin:notifications")).content.decode()
    assert "Every e-mail was delivered" in body and "Retry now" not in body
    assert "e-mail not sent" not in body


def test_retry_now_sends_it(client, world, django_capture_on_commit_callbacks):
    notification = failed(world)
    client.force_login(world.admin_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("clinic-admin:notification-retry", args=[notification.pk]), follow=True)
    assert "Sending the e-mail to" in response.content.decode()
    (message,) = mail.outbox
    assert message.to == ["therapist@a.test"] and message.subject == "Backstep: urgent flag for patient EHR-4271"
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("sent", MAX_ATTEMPTS + 1)
    assert "Every e-mail was delivered" in client.get(reverse("clinic-admin:notifications")).content.decode()


def test_a_retry_that_fails_again_is_failed_again(client, world, refusing_mail, django_capture_on_commit_callbacks):
    notification = failed(world)
    client.force_login(world.admin_a)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("clinic-admin:notification-retry", args=[notification.pk]))
    notification.refresh_from_db()
    assert (notification.status, refusing_mail.calls) == ("failed", 1)


def test_therapists_and_other_clinics_admins_cannot_see_or_retry(client, world):
    notification = failed(world)
    clinic_c = ClinicFactory(name="Clinic C", slug="clinic-c")
    admin_c = MembershipFactory(clinic=clinic_c, role=Membership.Role.ADMIN, user__email="admin@c.test").user
    failed(world, clinic=clinic_c, recipient=admin_c)
    retry = reverse("clinic-admin:notification-retry", args=[notification.pk])
    client.force_login(world.therapist_a)
    assert client.get(reverse("clinic-admin:notifications")).status_code == 403
    assert client.post(retry).status_code == 403
    assert "e-mail not sent" not in client.get(reverse("patients:list")).content.decode()
    client.force_login(admin_c)
    body = client.get(reverse("clinic-admin:notifications")).content.decode()
    assert "admin@c.test" in body and "therapist@a.test" not in body
    assert '1<span class="visually-hidden"> e-mail not sent</span>' in body  # their own failure only
    assert client.post(retry).status_code == 404
    client.logout()
    assert client.post(retry).status_code == 302
    notification.refresh_from_db()
    assert notification.status == "failed" and mail.outbox == []
