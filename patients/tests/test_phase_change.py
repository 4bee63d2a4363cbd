"""patients.services.phase_change: a new dated version each time, never an overwrite."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from clinic.services import clinic_create
from patients.models import PhaseVersion
from patients.services import assignment_create, patient_create, phase_change
from protocols.models import Protocol
from protocols.services import library_install

pytestmark = pytest.mark.django_db

START = dt.date(2026, 3, 2)


@pytest.fixture
def assignments():
    library_install()
    clinic = clinic_create(name="Riverside Physio", slug="riverside")
    protocol = Protocol.objects.get(clinic__isnull=True, slug="pfp-retro-incline-6-weeks")

    def assign(first_name: str):
        patient = patient_create(clinic=clinic, first_name=first_name, last_name="Lowe", condition="pfp", side="left")
        return assignment_create(patient=patient, protocol=protocol, start_date=START, baseline_pain=3)

    return assign("Ada"), assign("Bo")


def test_a_phase_change_adds_a_version_and_keeps_the_old_one(assignments):
    assignment, _ = assignments
    second = assignment.phases.get(order=1)
    version = phase_change(assignment=assignment, phase=second, effective_date=START + dt.timedelta(weeks=3),
                           source="therapist", reason="  First ladder finished.  ")
    assert version.reason == "First ladder finished."
    versions = PhaseVersion.objects.filter(assignment=assignment)
    assert versions.count() == 2
    assert versions.latest().phase == second
    assert versions.earliest("created_at", "id").phase.order == 0


def test_a_phase_of_another_assignment_is_refused(assignments):
    assignment, other = assignments
    with pytest.raises(ValidationError) as error:
        phase_change(assignment=assignment, phase=other.phases.get(order=1), effective_date=START,
                     source="therapist", reason="Wrong patient.")
    assert "phase" in error.value.message_dict
    assert PhaseVersion.objects.filter(assignment=assignment).count() == 1


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_reason_is_required(assignments, reason):
    assignment, _ = assignments
    with pytest.raises(ValidationError) as error:
        phase_change(assignment=assignment, phase=assignment.phases.get(order=1), effective_date=START,
                     source="therapist", reason=reason)
    assert "reason" in error.value.message_dict


def test_an_unknown_source_is_refused(assignments):
    assignment, _ = assignments
    with pytest.raises(ValidationError) as error:
        phase_change(assignment=assignment, phase=assignment.phases.get(order=1), effective_date=START,
                     source="robot", reason="Because.")
    assert "source" in error.value.message_dict
