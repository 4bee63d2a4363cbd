"""The checks: decisions applied once, flags opened, updated and cleared by the engine, the sweep's claim."""

import datetime as dt
import zoneinfo

import pytest
from django.core import mail

from clinic.models import ClinicSettings
from patients.models import Flag, ProgressionCheck, StepVersion
from patients.services import (
    assignments_check,
    clinics_due_for_sweep,
    measurement_record,
    session_log_create,
)
from patients.tests.support import TODAY, check, session, step_to, walk
from tests.factories import MorningCheckInFactory, SessionLogFactory, make_protocol

# Tasks enqueued on commit run in-process here, even where CI sets REDIS_URL.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


def test_red_pain_regresses_at_once_flags_urgent_and_emails_once(world, django_capture_on_commit_callbacks):
    step_to(world, 2)
    session(world, 1, step=2, pain=7)
    with django_capture_on_commit_callbacks(execute=True):
        (outcome,) = check(world)
    exercise = walk(world.assignment_a1)
    assert outcome.decision["decision"] == "regress" and outcome.applied == "regressed"
    assert exercise.current_step == 1
    version = exercise.step_versions.first()
    assert (version.source, version.rules, version.changed_by) == ("engine", ["R1"], None)
    flag = Flag.objects.get(exercise=exercise, kind="pain_red")
    assert flag.severity == "urgent" and flag.status == "open" and flag.notified_at is not None
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["therapist@a.test"]
    assert "/10" not in message.body + message.subject and "pain" not in (message.body + message.subject).lower()
    assert world.patient_a1.last_name not in message.body + message.subject
    assert "Patellofemoral" not in message.body

    # Running the same check again changes nothing: no second step, flag or e-mail.
    with django_capture_on_commit_callbacks(execute=True):
        (again,) = check(world)
    assert again.applied == ""
    assert walk(world.assignment_a1).current_step == 1
    assert StepVersion.objects.filter(exercise=exercise, source="engine").count() == 1
    assert Flag.objects.filter(exercise=exercise, kind="pain_red").count() == 1
    assert len(mail.outbox) == 1
    assert ProgressionCheck.objects.filter(exercise=exercise).count() == 1
    assert ProgressionCheck.objects.get(exercise=exercise).applied == "regressed"


def test_regress_at_step_zero_stays_and_keeps_its_flag(world):
    session(world, 1, pain=8)
    (outcome,) = check(world)
    assert outcome.decision["next_step"] == 0 and outcome.applied == ""
    assert Flag.objects.filter(kind="pain_red", status="open").count() == 1


def test_clinic_may_apply_progressions_automatically(world):
    ClinicSettings.objects.filter(clinic=world.clinic_a).update(auto_apply_progressions=True)
    session(world, 3, morning=1)
    session(world, 1, morning=2)
    (outcome,) = check(world)
    assert outcome.applied == "progressed"
    exercise = walk(world.assignment_a1)
    assert exercise.current_step == 1 and exercise.step_versions.first().source == "engine"
    assert not Flag.objects.filter(kind="progression").exists()
    check(world)
    assert walk(world.assignment_a1).current_step == 1


def test_flag_clears_when_condition_clears(world):
    session(world, 4, pain=7)
    check(world)
    assert Flag.objects.get(kind="pain_red").status == "open"
    session(world, 1, pain=2)
    check(world)
    flag = Flag.objects.get(kind="pain_red")
    assert flag.status == "resolved" and "no longer applies" in flag.resolution_note


def test_morning_rise_after_latest_session_holds_with_info_flag(world):
    session(world, 2, morning=5)
    (outcome,) = check(world)
    assert outcome.decision["rules"][0] == "R4"
    assert Flag.objects.get(kind="morning_pain").severity == "info"


def test_low_adherence_is_flagged(world):
    session(world, 2, morning=1)
    (outcome,) = check(world)
    assert "F1" in outcome.decision["rules"]
    assert Flag.objects.get(kind="low_adherence").severity == "warning"


def test_acl_effusion_from_measurements_holds(world):
    from patients.services import assignment_create
    from tests.factories import PatientFactory

    patient = PatientFactory(clinic=world.clinic_a, condition="acl", surgery_date=TODAY - dt.timedelta(days=60),
                             therapist=world.therapist_a)
    assignment = assignment_create(patient=patient, protocol=make_protocol(condition="acl"),
                                   start_date=TODAY - dt.timedelta(days=20), baseline_pain=1)
    SessionLogFactory(exercise=walk(assignment), date=TODAY - dt.timedelta(days=1), pain_during=1)
    measurement_record(patient=patient, date=TODAY, recorded_by=world.therapist_a, effusion="3+")
    (outcome,) = assignments_check(assignment_ids=[assignment.pk], today=TODAY)
    assert outcome.decision["rules"][0] == "R2"
    assert Flag.objects.get(patient=patient, kind="effusion").severity == "urgent"


def test_logging_a_session_checks_the_plan_after_commit(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        session_log_create(patient=world.patient_a1, exercise=walk(world.assignment_a1), date=TODAY, today=TODAY,
                           duration_min=10, pain_during=7, pain_after=3)
    assert callbacks, "the check must be enqueued on commit, not inside the transaction"
    assert ProgressionCheck.objects.filter(exercise=walk(world.assignment_a1), decision="regress").exists()
    assert Flag.objects.filter(kind="pain_red", status="open").exists()


def test_checks_of_other_clinics_are_independent(world):
    session(world, 1, pain=7, patient="b1")
    check(world, patient="b1")
    assert not Flag.objects.filter(patient__clinic=world.clinic_a).exists()
    assert Flag.objects.filter(patient=world.patient_b1, kind="pain_red").exists()


def test_batch_check_reads_with_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    from patients.services import assignment_create
    from tests.factories import PatientFactory

    ids = []
    for _n in range(12):
        patient = PatientFactory(clinic=world.clinic_a)
        assignment = assignment_create(patient=patient, protocol=world.assignment_a1.protocol,
                                       start_date=world.assignment_a1.start_date, baseline_pain=1)
        SessionLogFactory(exercise=walk(assignment), date=TODAY - dt.timedelta(days=1), pain_during=2)
        ids.append(assignment.pk)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    assignments_check(assignment_ids=ids, today=TODAY)  # first run opens the flags
    with CaptureQueriesContext(connection) as small:
        assignments_check(assignment_ids=ids[:2], today=TODAY)
    with django_assert_max_num_queries(16):
        outcomes = assignments_check(assignment_ids=ids, today=TODAY)  # nothing changes: reads + one upsert
    assert len(outcomes) == 12
    with CaptureQueriesContext(connection) as large:
        assignments_check(assignment_ids=ids, today=TODAY)
    assert len(large) == len(small)


def test_sweep_claims_each_clinic_once_per_local_day(world):
    from django.utils import timezone

    london = zoneinfo.ZoneInfo("Europe/London")
    one_am = timezone.make_aware(dt.datetime(2026, 9, 10, 1, 0), london)
    three_am = one_am + dt.timedelta(hours=2)
    assert clinics_due_for_sweep(now=one_am) == []
    assert set(clinics_due_for_sweep(now=three_am)) == {world.clinic_a.pk, world.clinic_b.pk}
    assert clinics_due_for_sweep(now=three_am + dt.timedelta(hours=1)) == []


def test_a_morning_rise_reported_after_a_step_change_still_steps_down(world):
    """R3 on the check-in that arrives after the therapist changed the level is fresh evidence."""
    session(world, 4, morning=5)
    session(world, 2)
    step_to(world, 2, days_ago=1)  # the therapist steps up after the sessions
    (held,) = check(world)
    assert held.decision["rules"][0] == "R7" and held.applied == ""  # the latest morning is not in yet
    MorningCheckInFactory(patient=world.patient_a1, date=TODAY - dt.timedelta(days=1), pain=6)
    (outcome,) = check(world)
    assert outcome.decision["rules"][0] == "R3" and outcome.applied == "regressed"
    assert walk(world.assignment_a1).current_step == 1
    (again,) = check(world)
    assert again.applied == "" and walk(world.assignment_a1).current_step == 1
