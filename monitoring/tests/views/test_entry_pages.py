"""Enrolment and management-time pages: forms that say what is wrong, who may change an entry, the audit trail."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from clinic.audit_labels import event_label
from clinic.clock import clinic_today
from clinic.models import AuditEvent
from monitoring.models import Enrolment, TimeEntry
from monitoring.services import time_entry_create
from monitoring.tests.support import enrolled
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def today(world):
    return clinic_today(world.clinic_a)


@pytest.fixture
def entry(world, today):
    enrolled(world, world.patient_a1, today - dt.timedelta(days=3), today=today)
    return time_entry_create(patient=world.patient_a1, author=world.therapist_a, date=today, minutes=12,
                             activity="Phone call", interactive=True, today=today)


def last_event() -> AuditEvent:
    return AuditEvent.objects.order_by("-id").first()


def test_logging_time_by_hand(client, world, today, entry):
    client.force_login(world.admin_a)
    url = reverse("monitoring:time-add", args=[world.patient_a1.pk])
    response = client.post(url, {"rtm-time-date": today.isoformat(), "rtm-time-minutes": "300",
                                 "rtm-time-activity": "", "rtm-time-interactive": "yes"})
    body = response.content.decode()
    assert response.status_code == 400 and "is-invalid" in body and TimeEntry.objects.count() == 1
    assert event_label(route=last_event().route, method="POST", status_code=400) == (
        "tried to log management time — refused")
    response = client.post(url, {"rtm-time-date": today.isoformat(), "rtm-time-minutes": "8",
                                 "rtm-time-activity": "Reviewed the week", "rtm-time-interactive": "no"}, follow=True)
    assert "8 minutes saved." in response.content.decode()
    saved = TimeEntry.objects.get(author=world.admin_a)
    event = AuditEvent.objects.filter(route="monitoring:time-add", status_code=302).get()
    assert (saved.minutes, saved.interactive, event.patient_id) == (8, False, world.patient_a1.pk)


def test_the_author_and_admins_change_entries_and_a_colleague_may_not(client, world, today, entry):
    colleague = MembershipFactory(clinic=world.clinic_a, user__email="colleague@a.test").user
    client.force_login(colleague)
    for name in ("monitoring:time-edit", "monitoring:time-delete"):
        assert client.get(reverse(name, args=[entry.pk])).status_code == 403
        assert client.post(reverse(name, args=[entry.pk])).status_code == 403
    client.force_login(world.therapist_b)
    assert client.get(reverse("monitoring:time-edit", args=[entry.pk])).status_code == 404
    client.force_login(world.therapist_a)
    response = client.post(reverse("monitoring:time-edit", args=[entry.pk]),
                           {"rtm-time-date": today.isoformat(), "rtm-time-minutes": "15",
                            "rtm-time-activity": "Video call", "rtm-time-interactive": "yes"})
    assert response.status_code == 302 and response["Location"].endswith("#entries")
    entry.refresh_from_db()
    assert (entry.minutes, entry.activity) == (15, "Video call")
    event = last_event()
    assert (event.route, event.object_type, event.object_id, event.patient_id) == (
        "monitoring:time-edit", "rtm_time_entry", str(entry.pk), world.patient_a1.pk)
    client.force_login(world.admin_a)
    assert "Delete this management-time entry?" in client.get(
        reverse("monitoring:time-delete", args=[entry.pk])).content.decode()
    assert client.post(reverse("monitoring:time-delete", args=[entry.pk])).status_code == 302
    assert not TimeEntry.objects.exists()
    assert event_label(route=last_event().route, method="POST", status_code=302) == (
        "deleted a management-time entry")


def test_enrol_and_unenrol_pages(client, world, today):
    client.force_login(world.therapist_a)
    url = reverse("monitoring:enrol", args=[world.patient_a1.pk])
    assert "starts the first 30-day period" in client.get(url).content.decode()
    response = client.post(url, {"rtm-enrol-setup_date": (today + dt.timedelta(days=1)).isoformat()})
    assert response.status_code == 400 and "cannot be in the future" in response.content.decode()
    assert client.post(url, {"rtm-enrol-setup_date": today.isoformat()}).status_code == 302
    unenrol = reverse("monitoring:unenrol", args=[world.patient_a1.pk])
    assert "Monitoring has run since" in client.get(unenrol).content.decode()
    assert client.post(unenrol, {"rtm-end-last_day": today.isoformat()}).status_code == 302
    assert Enrolment.objects.get().last_day == today
    # Not enrolled any more: the page says so on the patient page.
    response = client.get(unenrol, follow=True)
    assert "not enrolled in remote monitoring" in response.content.decode()


def test_the_patient_history_page_lists_periods_and_entries(client, world, today, entry):
    client.force_login(world.therapist_a)
    body = client.get(reverse("monitoring:patient", args=[world.patient_a1.pk])).content.decode()
    assert "Remote monitoring of Alma Ashby" in body and "set up" in body and "Phone call" in body
    assert "running" in body and "98975" in body
