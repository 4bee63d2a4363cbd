"""Helpers of the monitoring tests: a patient on a plan, data on given days, time in given months."""

from __future__ import annotations

import datetime as dt
import uuid

from monitoring.models import TimeEntry
from monitoring.services import enrolment_start
from patients.models import Assignment, MorningCheckIn, SessionLog
from patients.services import assignment_create
from tests.factories import PatientFactory, SessionLogFactory, make_protocol

D = dt.date


def patient_on_plan(clinic, therapist, *, start: dt.date, end: dt.date | None = None, ref: str = "", protocol=None,
                    **names):
    """A patient of `clinic` with a plan from `start` (ended on `end`, if given)."""
    patient = PatientFactory(clinic=clinic, therapist=therapist, external_ref=ref, **names)
    plan = assignment_create(patient=patient, protocol=protocol or make_protocol(), start_date=start,
                             baseline_pain=2)
    if end is not None:
        Assignment.objects.filter(pk=plan.pk).update(end_date=end, status=Assignment.Status.COMPLETED)
        plan.refresh_from_db()
    return patient, plan


def sessions_on(plan: Assignment, *days: dt.date, logged_at: dt.datetime | None = None) -> list[SessionLog]:
    exercise = plan.exercises.get(order=0, phase__order=0)
    made = [SessionLogFactory(exercise=exercise, date=day) for day in days]
    if logged_at is not None:
        SessionLog.objects.filter(pk__in=[s.pk for s in made]).update(created_at=logged_at)
    return made


def checkins_on(patient, *days: dt.date) -> list[MorningCheckIn]:
    return [MorningCheckIn.objects.create(patient=patient, date=day, pain=1, client_uuid=uuid.uuid4())
            for day in days]


def days_from(first: dt.date, count: int, step: int = 1) -> list[dt.date]:
    return [first + dt.timedelta(days=n * step) for n in range(count)]


def aware(year, month, day, hour=12, minute=0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC)


def entries(patient) -> list[tuple]:
    return list(TimeEntry.objects.filter(patient=patient).order_by("date", "pk")
                .values_list("date", "minutes", "interactive", "source"))


def enrolled(world, patient, setup: dt.date, *, today: dt.date | None = None):
    """Enrol `patient` from `setup` through the service (therapist A)."""
    return enrolment_start(patient=patient, setup_date=setup, enrolled_by=world.therapist_a, today=today or setup)
