"""Correcting or deleting one's own session from the phone: 24 hours, the owner only, audited as writes."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.urls import reverse

from clinic.models import AuditEvent
from patients.models import SessionLog
from patients.outbox import outbox_owner
from patients.services import clinic_today, session_log_create
from tests.api.support import walk

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


@pytest.fixture
def logged(world):
    today = clinic_today(world.clinic_a)
    return session_log_create(patient=world.patient_a1, exercise=walk(world.assignment_a1), date=today, today=today,
                              duration_min=10, speed_kmh=2.5, incline_pct=0, pain_during=6, pain_after=3, rpe=4,
                              completed=False, notes="Stopped: knee sore.", client_uuid=uuid.uuid4()).session


def edit_form(session, **overrides) -> dict:
    data = {"exercise": session.exercise_id, "date": session.date.isoformat(), "completed": "no",
            "duration_min": "10", "speed_kmh": "2.5", "incline_pct": "0", "pain_during": "6", "pain_after": "3",
            "rpe": "4", "notes": "Stopped: knee sore.", "client_uuid": str(session.client_uuid),
            "outbox_owner": outbox_owner(session.patient)}
    data.update(overrides)
    return data


def test_the_saved_page_offers_the_correction_and_the_form_shows_every_value(client, world, logged):
    client.force_login(world.patient_a1.user)
    saved = client.get(reverse("patients:session-saved", args=[logged.pk])).content.decode()
    assert reverse("patients:session-edit", args=[logged.pk]) in saved and "You can correct or delete it until" in saved
    page = client.get(reverse("patients:session-edit", args=[logged.pk])).content.decode()
    assert 'value="6" checked' in page and 'value="no" checked' in page and "Stopped: knee sore.</textarea>" in page
    assert 'data-offline' not in page  # a correction is sent at once, never queued on the phone
    assert reverse("patients:session-delete", args=[logged.pk]) in page


def test_a_correction_is_saved_and_audited_as_a_write(client, world, logged):
    client.force_login(world.patient_a1.user)
    response = client.post(reverse("patients:session-edit", args=[logged.pk]),
                           edit_form(logged, pain_during="4", completed="yes", notes="Finished after all."))
    assert response.status_code == 302 and response.url == reverse("patients:session-saved", args=[logged.pk])
    logged.refresh_from_db()
    assert (logged.pain_during, logged.completed, logged.notes) == (4, True, "Finished after all.")
    event = AuditEvent.objects.filter(route="patients:session-edit").get()
    assert (event.action, event.object_type, event.object_id, event.patient_id) == (
        "write", "session", str(logged.pk), world.patient_a1.pk)


def test_after_24_hours_the_entry_can_no_longer_be_changed(client, world, logged):
    SessionLog.objects.filter(pk=logged.pk).update(created_at=logged.created_at - dt.timedelta(hours=24))
    client.force_login(world.patient_a1.user)
    for name in ("patients:session-edit", "patients:session-delete"):
        response = client.post(reverse(name, args=[logged.pk]), edit_form(logged, pain_during="1"), follow=True)
        assert "more than 24 hours ago" in response.content.decode()
    logged.refresh_from_db()
    assert logged.pain_during == 6
    page = client.get(reverse("patients:history")).content.decode()
    assert reverse("patients:session-edit", args=[logged.pk]) not in page


def test_another_patient_can_neither_see_nor_change_it(client, world, logged):
    client.force_login(world.patient_a2.user)
    assert client.get(reverse("patients:session-edit", args=[logged.pk])).status_code == 404
    assert client.post(reverse("patients:session-delete", args=[logged.pk])).status_code == 404
    assert SessionLog.objects.filter(pk=logged.pk).exists()


def test_a_form_filled_in_as_another_patient_on_this_phone_is_refused(client, world, logged):
    client.force_login(world.patient_a1.user)
    client.post(reverse("patients:session-edit", args=[logged.pk]),
                edit_form(logged, pain_during="0", outbox_owner=outbox_owner(world.patient_a2)))
    logged.refresh_from_db()
    assert logged.pain_during == 6


def test_deleting_asks_first_then_deletes_and_is_audited(client, world, logged):
    client.force_login(world.patient_a1.user)
    history = client.get(reverse("patients:history")).content.decode()
    assert reverse("patients:session-edit", args=[logged.pk]) in history
    confirm = client.get(reverse("patients:session-delete", args=[logged.pk])).content.decode()
    assert "Delete this session?" in confirm and SessionLog.objects.filter(pk=logged.pk).exists()
    response = client.post(reverse("patients:session-delete", args=[logged.pk]),
                           {"outbox_owner": outbox_owner(world.patient_a1)})
    assert response.status_code == 302 and response.url == reverse("patients:history")
    assert not SessionLog.objects.filter(pk=logged.pk).exists()
    event = AuditEvent.objects.filter(route="patients:session-delete", method="POST").get()
    assert (event.action, event.object_id) == ("write", str(logged.pk))
