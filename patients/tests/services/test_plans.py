"""Patients and plans: creating a patient, the assignment's snapshot, level changes and phase changes.

Each change is a new dated version, never an overwrite.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from clinic.services import clinic_create
from patients.models import ChangeSource, PhaseVersion, StepVersion
from patients.services import assignment_create, patient_create, phase_change, step_change
from patients.tests.support import TODAY, walk  # TODAY: the world fixture's plans started three weeks ago
from protocols.models import LadderStep, Protocol
from protocols.services import library_install
from tests.factories import PatientFactory, make_protocol

pytestmark = pytest.mark.django_db


def test_assignment_snapshots_the_protocol(world):
    assignment = world.assignment_a1
    protocol = assignment.protocol
    # Later edits to the protocol do not reach the running assignment.
    LadderStep.objects.filter(exercise__phase__protocol=protocol, order=0).update(speed_kmh=Decimal("4.0"))
    protocol.phases.update(name="Renamed")
    exercise = walk(assignment)
    assert [str(s.speed_kmh) for s in exercise.ladder_steps.all()] == ["2.5", "2.5", "2.5"]
    assert assignment.phases.get().name == "Start"
    assert exercise.instructions.startswith("Walk backwards")
    assert exercise.current_step == 0
    version = StepVersion.objects.get(exercise=exercise)
    assert (version.step, version.source) == (0, ChangeSource.INITIAL)
    assert assignment.phase_versions.count() == 1
    assert assignment.sessions_per_week == protocol.sessions_per_week


def test_assignment_refuses_another_clinics_protocol(world):
    foreign = make_protocol(clinic=world.clinic_b)
    patient = PatientFactory(clinic=world.clinic_a)
    with pytest.raises(ValidationError) as err:
        assignment_create(patient=patient, protocol=foreign, start_date=TODAY, baseline_pain=1)
    assert "protocol" in err.value.message_dict


def test_assignment_refuses_wrong_condition_and_second_active(world):
    acl = make_protocol(condition="acl")
    with pytest.raises(ValidationError) as err:
        assignment_create(patient=world.patient_a1, protocol=acl, start_date=TODAY, baseline_pain=1)
    assert "protocol" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        assignment_create(patient=world.patient_a1, protocol=world.assignment_a1.protocol, start_date=TODAY,
                          baseline_pain=1)
    assert "patient" in err.value.message_dict


@pytest.mark.parametrize(("field", "value"), [("baseline_pain", 11), ("sessions_per_week", 15)])
def test_assignment_validates_ranges(world, field, value):
    patient = PatientFactory(clinic=world.clinic_a)
    kwargs = {"patient": patient, "protocol": world.assignment_a1.protocol, "start_date": TODAY, "baseline_pain": 1}
    kwargs[field] = value
    with pytest.raises(ValidationError) as err:
        assignment_create(**kwargs)
    assert field in err.value.message_dict


def test_step_change_adds_a_version_and_never_overwrites(world):
    exercise = walk(world.assignment_a1)
    step_change(exercise=exercise, step=1, effective_date=TODAY, source=ChangeSource.THERAPIST,
                reason="Two green sessions", changed_by=world.therapist_a)
    step_change(exercise=exercise, step=0, effective_date=TODAY, source=ChangeSource.ENGINE,
                reason="Pain above 5", rules=["R1"])
    exercise.refresh_from_db()
    assert exercise.current_step == 0
    history = list(exercise.step_versions.values_list("step", "source", "rules"))
    assert history == [(0, "engine", ["R1"]), (1, "therapist", []), (0, "initial", [])]


@pytest.mark.parametrize(("step", "reason", "field"), [(3, "r", "step"), (-1, "r", "step"), (1, "  ", "reason")])
def test_step_change_rejects_bad_input(world, step, reason, field):
    exercise = walk(world.assignment_a1)
    with pytest.raises(ValidationError) as err:
        step_change(exercise=exercise, step=step, effective_date=TODAY, source="therapist", reason=reason)
    assert field in err.value.message_dict
    assert exercise.step_versions.count() == 1


def test_step_change_refuses_exercise_without_ladder(world):
    quads = world.assignment_a1.exercises.get(order=1)
    with pytest.raises(ValidationError):
        step_change(exercise=quads, step=0, effective_date=TODAY, source="therapist", reason="r")


def test_patient_create_requires_surgery_date_for_acl(world):
    with pytest.raises(ValidationError) as err:
        patient_create(clinic=world.clinic_a, first_name="A", last_name="B", condition="acl", side="left")
    assert "surgery_date" in err.value.message_dict


def test_patient_create_refuses_therapist_of_another_clinic(world):
    with pytest.raises(ValidationError) as err:
        patient_create(clinic=world.clinic_a, first_name="A", last_name="B", condition="pfp", side="left",
                       therapist=world.therapist_b)
    assert "therapist" in err.value.message_dict


# ---------------------------------------------------------------------------
# phase_change: a new dated version each time, never an overwrite
# ---------------------------------------------------------------------------

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
