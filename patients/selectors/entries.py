"""Reads of what the patient logged: sessions, morning check-ins, and the check that read a session."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from clinic.tenancy import Actor, get_scoped_or_404
from patients.models import AssignedExercise, MorningCheckIn, Patient, ProgressionCheck, SessionLog
from patients.selectors.checks import latest_checks
from patients.selectors.plans import with_current_load


def patient_sessions(*, patient: Patient) -> QuerySet[SessionLog]:
    """The patient's sessions with their exercises, newest first, to page through."""
    return SessionLog.objects.filter(patient=patient).select_related("exercise")


def recent_checkins(*, patient: Patient, limit: int = 14) -> list[MorningCheckIn]:
    """The patient's latest morning answers, newest first (one query)."""
    return list(MorningCheckIn.objects.filter(patient=patient)[:limit])


def checkin_on(*, patient: Patient, date: dt.date) -> MorningCheckIn | None:
    """The patient's morning answer for `date`, if there is one."""
    return MorningCheckIn.objects.filter(patient=patient, date=date).first()


def own_session_get(*, actor: Actor, pk: int) -> SessionLog:
    """One session of the signed-in patient, with its exercise and plan; 404 for anyone else's."""
    return get_scoped_or_404(SessionLog.objects.select_related("exercise__assignment"), actor, pk=pk)


def session_with_client_uuid(*, patient: Patient, client_uuid) -> SessionLog | None:
    """The patient's session first sent with this client UUID, if any (what a conflicting resend collides with)."""
    return SessionLog.objects.filter(patient=patient, client_uuid=client_uuid).first()


def exercise_with_current_load(*, exercise_id: int) -> AssignedExercise:
    """One assigned exercise with its plan and its current ladder step's load (with_current_load)."""
    return with_current_load(AssignedExercise.objects.filter(pk=exercise_id).select_related("assignment")).get()


def session_check(*, session: SessionLog) -> ProgressionCheck | None:
    """The progression check that has read `session`, for its page: None for an exercise without a ladder
    (only ladder exercises are checked) or while the latest check predates the session."""
    if not session.exercise.has_ladder:
        return None
    check = latest_checks(exercise_ids=[session.exercise_id]).get(session.exercise_id)
    return check if check is not None and check.updated_at >= session.created_at else None
