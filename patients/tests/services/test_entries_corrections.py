"""session_log_update / session_log_delete: the patient's own entry, for 24 hours, and the check runs again.

A flag raised on a session the patient then corrects or deletes stays open for
the therapist with a note: the re-run check must not clear a red-pain flag
whose evidence the patient removed.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from patients.models import Flag, ProgressionCheck, SessionLog
from patients.services import (
    EVIDENCE_CHANGED,
    assignments_check,
    clinic_today,
    session_log_create,
    session_log_delete,
    session_log_update,
)
from tests.api.support import walk

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


def log(world, patient=None, *, pain_during=2, days_ago=0, commit=None):
    patient = patient or world.patient_a1
    assignment = patient.assignments.get()
    today = clinic_today(patient.clinic)
    return session_log_create(patient=patient, exercise=walk(assignment), date=today - dt.timedelta(days=days_ago),
                              today=today, duration_min=10, speed_kmh=2.5, incline_pct=0, pain_during=pain_during,
                              pain_after=1, client_uuid=uuid.uuid4()).session


def test_the_patient_corrects_their_own_session_and_the_plan_is_checked_again(
        world, django_capture_on_commit_callbacks):
    session = log(world)
    today = clinic_today(world.clinic_a)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        corrected = session_log_update(patient=world.patient_a1, session=session, today=today, pain_during=4,
                                       notes="It was 4, not 2.", date=today - dt.timedelta(days=1))
    assert len(callbacks) == 1  # the check, enqueued after commit
    session.refresh_from_db()
    assert (session.pain_during, session.notes, session.date) == (4, "It was 4, not 2.", today - dt.timedelta(days=1))
    assert corrected.client_uuid == session.client_uuid and SessionLog.objects.count() == 1
    assert ProgressionCheck.objects.filter(exercise=session.exercise).exists()


def test_only_the_patient_who_logged_it_and_only_for_24_hours(world):
    session = log(world)
    today = clinic_today(world.clinic_a)
    with pytest.raises(ValidationError) as other:
        session_log_update(patient=world.patient_a2, session=session, today=today, pain_during=9)
    assert "session" in other.value.message_dict
    with pytest.raises(ValidationError):
        session_log_delete(patient=world.patient_a2, session=session)
    later = session.created_at + dt.timedelta(hours=24)
    with pytest.raises(ValidationError) as late:
        session_log_update(patient=world.patient_a1, session=session, today=today, pain_during=9, now=later)
    assert "24 hours" in " ".join(late.value.message_dict["session"])
    with pytest.raises(ValidationError):
        session_log_delete(patient=world.patient_a1, session=session, now=later)
    just_in_time = later - dt.timedelta(seconds=1)
    session_log_update(patient=world.patient_a1, session=session, today=today, pain_during=3, now=just_in_time)
    session.refresh_from_db()
    assert session.pain_during == 3


def test_a_correction_follows_the_rules_of_a_new_entry(world):
    session = log(world)
    today = clinic_today(world.clinic_a)
    with pytest.raises(ValidationError) as future:
        session_log_update(patient=world.patient_a1, session=session, today=today, date=today + dt.timedelta(days=1))
    assert "date" in future.value.message_dict
    with pytest.raises(ValidationError) as nothing_done:
        session_log_update(patient=world.patient_a1, session=session, today=today, duration_min=None)
    assert "duration_min" in nothing_done.value.message_dict
    with pytest.raises(TypeError):
        session_log_update(patient=world.patient_a1, session=session, today=today, exercise_id=1)


@pytest.mark.parametrize("change", ["deleted", "corrected"])
def test_a_red_pain_flag_whose_session_the_patient_changes_stays_open_for_the_therapist(
        world, django_capture_on_commit_callbacks, change):
    with django_capture_on_commit_callbacks(execute=True):
        red = log(world, pain_during=8)
    flag = Flag.objects.get(exercise=red.exercise, kind="pain_red")
    assert flag.status == "open" and flag.severity == "urgent"
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        if change == "deleted":
            session_log_delete(patient=world.patient_a1, session=red)
        else:
            session_log_update(patient=world.patient_a1, session=red, today=clinic_today(world.clinic_a),
                               pain_during=2)
    assert len(callbacks) == 1  # the check ran again ...
    flag.refresh_from_db()
    # ... and did not clear the flag: the therapist reviews what the patient removed.
    assert flag.status == "open"
    assert flag.reasons[0].startswith(f"The patient {change} the session of ")
    assert flag.evidence[EVIDENCE_CHANGED]["what"] == change
    # Nor does any later check, until someone resolves it.
    assignments_check(assignment_ids=[world.assignment_a1.pk])
    flag.refresh_from_db()
    assert flag.status == "open" and flag.reasons[0].startswith("The patient")


def test_a_progression_suggestion_is_decided_afresh_after_a_deletion(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        log(world, days_ago=2)
        second = log(world, days_ago=1)
    from patients.models import MorningCheckIn

    today = clinic_today(world.clinic_a)
    for days_ago in (1, 0):
        MorningCheckIn.objects.create(patient=world.patient_a1, date=today - dt.timedelta(days=days_ago), pain=1,
                                      client_uuid=uuid.uuid4())
    assignments_check(assignment_ids=[world.assignment_a1.pk])
    suggestion = Flag.objects.get(exercise=second.exercise, kind="progression")
    with django_capture_on_commit_callbacks(execute=True):
        session_log_delete(patient=world.patient_a1, session=second, now=timezone.now())
    suggestion.refresh_from_db()
    assert suggestion.status == "resolved"  # one green session is not enough to progress any more
