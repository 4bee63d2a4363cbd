"""The checks: engine input from the database, decisions applied once, flags opened/updated/resolved."""

import datetime as dt
import zoneinfo

import pytest
from django.core import mail
from django.urls import reverse

from clinic.models import ClinicSettings
from patients.models import Flag, ProgressionCheck, StepVersion
from patients.selectors import engine_inputs
from patients.services import (
    assignments_check,
    clinics_due_for_sweep,
    daily_digests_send,
    flag_approve,
    flag_decline,
    flag_resolve,
    measurement_record,
    session_log_create,
    step_change,
)
from tests.factories import MorningCheckInFactory, SessionLogFactory, make_protocol

# Tasks enqueued on commit run in-process here, even where CI sets REDIS_URL.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]
TODAY = dt.date.today()


def walk(assignment):
    return assignment.exercises.get(phase__order=0, order=0)


def session(world, days_ago, *, step=0, pain=2, morning=None, completed=True, patient="a1"):
    assignment = getattr(world, f"assignment_{patient}")
    exercise = walk(assignment)
    day = TODAY - dt.timedelta(days=days_ago)
    row = SessionLogFactory(exercise=exercise, date=day, step=step, pain_during=pain, pain_after=min(pain, 2),
                            completed=completed)
    if morning is not None:
        MorningCheckInFactory(patient=assignment.patient, date=day + dt.timedelta(days=1), pain=morning)
    return row


def check(world, patient="a1"):
    return assignments_check(assignment_ids=[getattr(world, f"assignment_{patient}").pk], today=TODAY)


def step_to(world, step, days_ago=10):
    step_change(exercise=walk(world.assignment_a1), step=step, effective_date=TODAY - dt.timedelta(days=days_ago),
                source="therapist", reason="Set up for the test")


def test_engine_input_maps_next_morning_checkins_and_latest_measurement(world):
    session(world, 3, morning=1)
    session(world, 3, morning=None)  # same day: the same check-in applies to both sessions
    session(world, 1)
    measurement_record(patient=world.patient_a1, date=TODAY - dt.timedelta(days=9), recorded_by=world.therapist_a,
                       effusion="1+", quad_lsi_pct=60)
    measurement_record(patient=world.patient_a1, date=TODAY - dt.timedelta(days=2), recorded_by=world.therapist_a,
                       effusion="trace")
    (basis,) = engine_inputs(exercises=[walk(world.assignment_a1)], today=TODAY)
    data = basis.engine_input
    assert [s["pain_next_morning"] for s in data["sessions"]] == [1, 1, None]
    assert data["measurements"] == [{"date": str(TODAY - dt.timedelta(days=2)), "effusion": "trace",
                                     "quad_lsi_pct": None, "hop_lsi_pct": None, "rom_pct": None,
                                     "running_signoff": False}]
    assert data["baseline_pain"] == 2 and data["assignment_start"] == str(world.assignment_a1.start_date)
    assert len(data["ladder"]) == 3 and data["current_step"] == 0


def test_engine_input_keeps_only_sessions_that_can_matter(world):
    for days_ago in range(40, 14, -1):
        session(world, days_ago)
    session(world, 2)
    (basis,) = engine_inputs(exercises=[walk(world.assignment_a1)], today=TODAY, lookback_sessions=3)
    dates = [s["date"] for s in basis.engine_input["sessions"]]
    assert dates == [str(TODAY - dt.timedelta(days=d)) for d in (17, 16, 15, 2)]


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


def test_two_green_sessions_suggest_progression_and_approval_steps_up(world):
    session(world, 3, morning=1)
    session(world, 1, morning=2)
    (outcome,) = check(world)
    assert outcome.decision["rules"][0] == "R11" and outcome.applied == ""
    exercise = walk(world.assignment_a1)
    assert exercise.current_step == 0
    suggestion = Flag.objects.get(exercise=exercise, kind="progression")
    assert suggestion.suggested_step == 1 and suggestion.severity == "info"

    flag_approve(flag=suggestion, user=world.therapist_a, today=TODAY)
    exercise.refresh_from_db()
    assert exercise.current_step == 1
    assert exercise.step_versions.first().changed_by == world.therapist_a
    suggestion.refresh_from_db()
    assert suggestion.status == "resolved"
    # The streak at the new step starts from zero: no new suggestion.
    (after,) = check(world)
    assert after.decision["rules"][0] == "R7"
    assert not Flag.objects.filter(kind="progression", status="open").exists()


def test_declined_suggestion_is_not_raised_again_for_the_same_thing(world):
    session(world, 3, morning=1)
    session(world, 1, morning=2)
    check(world)
    flag_decline(flag=Flag.objects.get(kind="progression"), user=world.therapist_a, note="Wait a week")
    check(world)
    assert Flag.objects.filter(kind="progression").count() == 1
    assert walk(world.assignment_a1).current_step == 0


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


def test_flag_resolved_by_therapist_is_not_reopened_for_the_same_session(world):
    session(world, 1, pain=7)
    check(world)
    flag_resolve(flag=Flag.objects.get(kind="pain_red"), user=world.therapist_a, note="Called the patient")
    check(world)
    assert Flag.objects.filter(kind="pain_red").count() == 1
    # A new red session is a new thing to flag.
    session(world, 0, pain=6)
    check(world)
    assert Flag.objects.filter(kind="pain_red", status="open").count() == 1


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


def test_today_page_tells_the_patient_what_happens_next(client, world):
    step_to(world, 1)
    session(world, 1, step=1, pain=7)
    check(world)
    client.force_login(world.patient_a1.user)
    body = client.get(reverse("patients:today")).content.decode()
    assert "Step down next time." in body
    # The stop rule in its one wording, and how to reach the clinic after the red session.
    assert "Stop and contact your clinic if pain during exercise passes 5 out of 10" in body
    assert "Pain during your latest session passed 5 out of 10" in body
    assert "Walk backwards at 2.5 km/h on a 0 % incline for 10 minutes" in body


def test_flag_inbox_lists_urgent_first_and_approves_in_one_click(client, world):
    session(world, 3, morning=1)
    session(world, 1, morning=2)
    session(world, 1, pain=7, patient="a2")
    check(world)
    check(world, patient="a2")
    client.force_login(world.therapist_a)
    body = client.get(reverse("patients:flags")).content.decode()
    assert body.index("Pain above 5/10") < body.index("Progression suggested")
    suggestion = Flag.objects.get(kind="progression")
    response = client.post(reverse("patients:flag-action", args=[suggestion.pk]), {"action": "approve"}, follow=True)
    assert "Approved" in response.content.decode()
    assert walk(world.assignment_a1).current_step == 1


def test_flag_actions_are_scoped_to_the_clinic(client, world):
    session(world, 1, pain=7)
    check(world)
    flag = Flag.objects.get(kind="pain_red")
    client.force_login(world.therapist_b)
    assert client.post(reverse("patients:flag-action", args=[flag.pk]), {"action": "acknowledge"}).status_code == 404
    assert "Pain above" not in client.get(reverse("patients:flags"), {"scope": "all"}).content.decode()
    client.force_login(world.patient_a1.user)
    assert client.get(reverse("patients:flags")).status_code == 403
    assert client.post(reverse("patients:flag-action", args=[flag.pk]), {"action": "acknowledge"}).status_code == 403
    client.logout()
    assert client.post(reverse("patients:flag-action", args=[flag.pk]), {"action": "acknowledge"}).status_code == 302
    flag.refresh_from_db()
    assert flag.status == "open"


def test_resolving_needs_a_note(client, world):
    session(world, 1, pain=7)
    check(world)
    flag = Flag.objects.get(kind="pain_red")
    client.force_login(world.therapist_a)
    response = client.post(reverse("patients:flag-action", args=[flag.pk]), {"action": "resolve", "note": " "},
                           follow=True)
    assert "Say how this was resolved." in response.content.decode()
    flag.refresh_from_db()
    assert flag.status == "open"


def test_a_new_red_session_reopens_an_acknowledged_flag_and_emails_again(world, django_capture_on_commit_callbacks):
    from patients.services import flag_acknowledge

    session(world, 3, pain=7)
    with django_capture_on_commit_callbacks(execute=True):
        check(world)
    flag = Flag.objects.get(kind="pain_red")
    flag_acknowledge(flag=flag, user=world.therapist_a)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        check(world)  # same evidence: stays acknowledged, no e-mail
    assert Flag.objects.get(kind="pain_red").status == "acknowledged" and mail.outbox == []
    session(world, 0, pain=8)
    with django_capture_on_commit_callbacks(execute=True):
        check(world)
    flag = Flag.objects.get(kind="pain_red")
    assert flag.status == "open" and flag.acknowledged_at is None and flag.notified_at is not None
    assert len(mail.outbox) == 1


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


def test_a_future_dated_measurement_is_ignored(world):
    from patients.models import Measurement

    Measurement.objects.create(patient=world.patient_a1, date=TODAY + dt.timedelta(days=365), effusion="3+")
    measurement_record(patient=world.patient_a1, date=TODAY, recorded_by=world.therapist_a, effusion="trace")
    (basis,) = engine_inputs(exercises=[walk(world.assignment_a1)], today=TODAY)
    assert basis.engine_input["measurements"][0]["effusion"] == "trace"
