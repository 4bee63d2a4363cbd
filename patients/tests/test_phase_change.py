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


# --- Entry criteria (issue 13, point 6) -------------------------------------------------------------------------

ACL_SLUG = "acl-retro-incline-phases-1-3"


@pytest.fixture
def acl_at_12_weeks():
    """An ACL-R patient 12 weeks after surgery, on the built-in protocol, with quad LSI 66 % and no hop test."""
    from patients.services import measurement_record

    library_install()
    clinic = clinic_create(name="Hillside Physio", slug="hillside")
    surgery = START - dt.timedelta(weeks=12)
    patient = patient_create(clinic=clinic, first_name="Cy", last_name="Dunn", condition="acl", side="right",
                             surgery_date=surgery)
    assignment = assignment_create(patient=patient, protocol=Protocol.objects.get(clinic__isnull=True, slug=ACL_SLUG),
                                   start_date=START - dt.timedelta(weeks=6), baseline_pain=1)
    measurement_record(patient=patient, date=START, recorded_by=None, effusion="trace", quad_lsi_pct=66,
                       rom_pct=97)
    return assignment


def test_the_built_in_acl_phases_carry_checkable_criteria_into_the_assignment(acl_at_12_weeks):
    running = acl_at_12_weeks.phases.get(order=2)
    assert (running.min_weeks_since_surgery, running.min_quad_lsi_pct, running.min_hop_lsi_pct, running.min_rom_pct,
            running.max_effusion, running.requires_running_signoff) == (12, 70, 70, 95, "trace", True)
    assert acl_at_12_weeks.phases.get(order=1).max_effusion == "trace"


def test_moving_into_running_with_unmet_criteria_is_refused_and_says_which(acl_at_12_weeks):
    running = acl_at_12_weeks.phases.get(order=2)
    with pytest.raises(ValidationError) as error:
        phase_change(assignment=acl_at_12_weeks, phase=running, effective_date=START, source="therapist",
                     reason="Walking ladder done.")
    message = " ".join(error.value.message_dict["go_ahead"])
    assert "quadriceps LSI at least 70 % (now: 66 %)" in message
    assert "hop LSI at least 70 % (now: not measured)" in message
    assert "weeks since surgery" not in message and "range of motion" not in message
    assert PhaseVersion.objects.filter(assignment=acl_at_12_weeks).count() == 1


def test_going_ahead_anyway_needs_a_reason_and_records_the_unmet_criteria(acl_at_12_weeks):
    running = acl_at_12_weeks.phases.get(order=2)
    with pytest.raises(ValidationError) as error:
        phase_change(assignment=acl_at_12_weeks, phase=running, effective_date=START, source="therapist",
                     reason=" ", go_ahead=True)
    assert "reason" in error.value.message_dict
    version = phase_change(assignment=acl_at_12_weeks, phase=running, effective_date=START, source="therapist",
                           reason="Surgeon and patient agree; hop test next week.", go_ahead=True)
    assert version.unmet_criteria == ["quadriceps LSI at least 70 % (now: 66 %)",
                                      "hop LSI at least 70 % (now: not measured)",
                                      "therapist's sign-off for running (now: not signed off)"]


def test_a_phase_whose_criteria_are_met_needs_no_confirmation(acl_at_12_weeks):
    from patients.services import measurement_record

    measurement_record(patient=acl_at_12_weeks.patient, date=START, recorded_by=None, effusion="0",
                       quad_lsi_pct=75, hop_lsi_pct=72, rom_pct=98, running_signoff=True)
    version = phase_change(assignment=acl_at_12_weeks, phase=acl_at_12_weeks.phases.get(order=2),
                           effective_date=START, source="therapist", reason="All criteria met.")
    assert version.unmet_criteria == []
