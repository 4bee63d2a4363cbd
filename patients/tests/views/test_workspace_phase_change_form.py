"""The phase-change form on the patient page: the target phase's entry criteria, unmet ones, and going ahead."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from patients.models import PhaseVersion
from patients.services import assignment_create, measurement_record, patient_create
from protocols.models import Protocol
from protocols.services import library_install

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


@pytest.fixture
def acl(world):
    """Clinic A's ACL-R patient, 12 weeks after surgery, in phase 2, with quad LSI 66 % and no hop test."""
    library_install()
    today = dt.date.today()
    patient = patient_create(clinic=world.clinic_a, therapist=world.therapist_a, first_name="Cy", last_name="Dunn",
                             condition="acl", side="right", surgery_date=today - dt.timedelta(weeks=12))
    assignment = assignment_create(
        patient=patient, protocol=Protocol.objects.get(clinic__isnull=True, slug="acl-retro-incline-phases-1-3"),
        start_date=today - dt.timedelta(weeks=8), baseline_pain=1)
    measurement_record(patient=patient, date=today, recorded_by=world.therapist_a, effusion="trace",
                       quad_lsi_pct=66, rom_pct=97)
    return assignment


def test_the_patient_page_shows_each_phases_criteria_and_which_are_unmet(client, world, acl):
    client.force_login(world.therapist_a)
    body = client.get(reverse("patients:detail", args=[acl.patient_id])).content.decode()
    assert "Entry criteria of phase 3: Return to retro running" in body
    assert "Not met:</span>" not in body  # the mark is hidden from screen readers, the words are not
    assert "Not met: quadriceps LSI at least 70 % — now 66 %" in body
    assert "Not met: hop LSI at least 70 % — now not measured" in body
    assert "Met: at least 12 weeks since surgery" in body
    assert "3 entry criteria are not met" in body
    assert "Move anyway, although entry criteria are not met" in body


def test_moving_without_confirming_comes_back_with_the_criteria_and_what_was_typed(client, world, acl):
    client.force_login(world.therapist_a)
    running = acl.phases.get(order=2)
    response = client.post(reverse("patients:phase-change", args=[acl.patient_id]),
                           {"phase": running.pk, "reason": "Walking ladder finished."})
    body = response.content.decode()
    # A confirmation step, not a broken form: the criteria and what was typed, with "Move anyway" to tick.
    assert response.status_code == 200 and response.templates[0].name == "patients/phase_change.html"
    assert "Not yet met for “Return to retro running”" in body and "hop LSI at least 70 %" in body
    assert "Walking ladder finished." in body  # nothing typed is lost
    assert PhaseVersion.objects.filter(assignment=acl).count() == 1


def test_going_ahead_with_a_reason_moves_and_keeps_the_unmet_criteria(client, world, acl):
    client.force_login(world.therapist_a)
    running = acl.phases.get(order=2)
    response = client.post(reverse("patients:phase-change", args=[acl.patient_id]),
                           {"phase": running.pk, "go_ahead": "on", "reason": "Surgeon agrees; hop test Friday."})
    assert response.status_code == 302
    version = PhaseVersion.objects.filter(assignment=acl).latest()
    assert version.phase == running and len(version.unmet_criteria) == 3
    assert version.changed_by == world.therapist_a
