"""Assignment snapshots, step versions, session logging and check-ins."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from patients.models import AssignedExercise, ChangeSource, SessionLog, StepVersion
from patients.services import (
    assignment_create,
    checkin_record,
    patient_create,
    session_log_create,
    step_change,
)
from protocols.models import LadderStep
from tests.factories import PatientFactory, make_protocol

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()  # the world fixture's plans started three weeks ago


def walk(assignment) -> AssignedExercise:
    return assignment.exercises.get(phase__order=0, order=0)


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


def log(world, **overrides):
    kwargs = dict(patient=world.patient_a1, exercise=walk(world.assignment_a1), date=TODAY, today=TODAY,
                  duration_min=10, pain_during=2, pain_after=1, speed_kmh=Decimal("2.5"), incline_pct=Decimal("0"))
    kwargs.update(overrides)
    return session_log_create(**kwargs)


def test_session_log_is_saved_once_per_client_uuid(world):
    key = uuid.uuid4()
    first = log(world, client_uuid=key)
    again = log(world, client_uuid=key)
    assert first.created and not again.created
    assert first.session.pk == again.session.pk
    assert SessionLog.objects.filter(client_uuid=key).count() == 1
    assert first.session.step == 0  # the step in force on the session date


def test_same_uuid_with_different_content_is_refused(world):
    key = uuid.uuid4()
    log(world, client_uuid=key)
    with pytest.raises(ValidationError) as err:
        log(world, client_uuid=key, pain_during=4)
    assert "client_uuid" in err.value.message_dict
    assert SessionLog.objects.get(client_uuid=key).pain_during == 2


@pytest.mark.parametrize(("date", "ok"), [(TODAY, True), (TODAY - dt.timedelta(days=14), True),
                                          (TODAY - dt.timedelta(days=15), False),
                                          (TODAY + dt.timedelta(days=1), False)])
def test_session_dates_back_to_14_days_never_future(world, date, ok):
    if ok:
        assert log(world, date=date).created
    else:
        with pytest.raises(ValidationError) as err:
            log(world, date=date)
        assert "date" in err.value.message_dict


def test_session_before_the_plan_started_is_refused(world):
    world.assignment_a1.start_date = TODAY - dt.timedelta(days=2)
    world.assignment_a1.save()
    with pytest.raises(ValidationError) as err:
        log(world, date=TODAY - dt.timedelta(days=3))
    assert "date" in err.value.message_dict


def test_session_for_another_patients_exercise_is_refused(world):
    with pytest.raises(ValidationError) as err:
        log(world, exercise=walk(world.assignment_a2))
    assert "exercise" in err.value.message_dict


@pytest.mark.parametrize("field", ["pain_during", "pain_after", "rpe"])
def test_session_pain_out_of_range_names_the_field(world, field):
    with pytest.raises(ValidationError) as err:
        log(world, **{field: 11})
    assert field in err.value.message_dict


def test_checkin_once_per_day_second_updates(world):
    first, created = checkin_record(patient=world.patient_a1, date=TODAY, today=TODAY, pain=3)
    second, created_again = checkin_record(patient=world.patient_a1, date=TODAY, today=TODAY, pain=1)
    assert created and not created_again
    assert first.pk == second.pk and second.pain == 1


def test_patient_create_requires_surgery_date_for_acl(world):
    with pytest.raises(ValidationError) as err:
        patient_create(clinic=world.clinic_a, first_name="A", last_name="B", condition="acl", side="left")
    assert "surgery_date" in err.value.message_dict


def test_patient_create_refuses_therapist_of_another_clinic(world):
    with pytest.raises(ValidationError) as err:
        patient_create(clinic=world.clinic_a, first_name="A", last_name="B", condition="pfp", side="left",
                       therapist=world.therapist_b)
    assert "therapist" in err.value.message_dict


def test_back_dated_session_records_the_step_of_its_own_day(world):
    exercise = walk(world.assignment_a1)
    step_change(exercise=exercise, step=1, effective_date=TODAY - dt.timedelta(days=3), source="therapist",
                reason="Two green sessions")
    step_change(exercise=exercise, step=2, effective_date=TODAY, source="therapist", reason="Two more")
    assert log(world, date=TODAY - dt.timedelta(days=5)).session.step == 0
    assert log(world, date=TODAY - dt.timedelta(days=2)).session.step == 1
    assert log(world, date=TODAY).session.step == 2


def test_checkin_that_loses_an_insert_race_becomes_an_update(world, monkeypatch):
    from patients.models import MorningCheckIn

    checkin_record(patient=world.patient_a1, date=TODAY, today=TODAY, pain=2)
    real = MorningCheckIn.objects.select_for_update
    calls = {"n": 0}

    def first_lookup_misses(*args, **kwargs):
        # The first look-up sees no row (the other request has not committed yet); the insert then collides.
        calls["n"] += 1
        queryset = real(*args, **kwargs)
        return queryset.none() if calls["n"] == 1 else queryset

    monkeypatch.setattr(MorningCheckIn.objects, "select_for_update", first_lookup_misses)
    checkin, created = checkin_record(patient=world.patient_a1, date=TODAY, today=TODAY, pain=4)
    assert not created and checkin.pain == 4
    assert calls["n"] == 2
    assert MorningCheckIn.objects.count() == 1
