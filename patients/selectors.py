"""Reads for patients: the therapist's patient list and a patient's plan for today.

Each selector runs a fixed number of queries whatever the number of rows, so
list pages stay fast as a clinic grows (guarded by query-count tests).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from clinic.tenancy import Actor, scope_queryset
from patients.models import (
    AssignedExercise,
    AssignedLadderStep,
    Assignment,
    Flag,
    Patient,
    PhaseVersion,
    SessionLog,
)
from protocols.models import LADDER_KINDS, describe_load

UNRESOLVED = [Flag.Status.OPEN, Flag.Status.ACKNOWLEDGED]


def _flag_count(severity: str | None = None) -> Coalesce:
    flags = Flag.objects.filter(patient=OuterRef("pk"), status__in=UNRESOLVED)
    if severity:
        flags = flags.filter(severity=severity)
    counted = flags.order_by().values("patient").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def patient_list(*, actor: Actor, mine_only: bool = False, search: str = "") -> QuerySet[Patient]:
    """The patients an actor may see, with last session date and unresolved flag counts."""
    patients = scope_queryset(Patient.objects.all(), actor).select_related("therapist")
    if mine_only:
        patients = patients.filter(therapist=actor.user)
    search = search.strip()
    if search:
        patients = patients.filter(
            Q(first_name__icontains=search) | Q(last_name__icontains=search) | Q(external_ref__icontains=search)
        )
    last_session = SessionLog.objects.filter(patient=OuterRef("pk")).order_by("-date").values("date")[:1]
    return patients.annotate(
        last_session_date=Subquery(last_session),
        open_flags=_flag_count(),
        urgent_flags=_flag_count(Flag.Severity.URGENT),
    ).order_by("last_name", "first_name", "id")


def current_phase_ids(assignment_ids: list[int]) -> dict[int, int]:
    """assignment id -> id of its current phase (the newest PhaseVersion), in one query."""
    current: dict[int, int] = {}
    versions = (
        PhaseVersion.objects.filter(assignment_id__in=assignment_ids)
        .order_by("assignment_id", "-created_at", "-id")
        .values_list("assignment_id", "phase_id")
    )
    for assignment_id, phase_id in versions:
        current.setdefault(assignment_id, phase_id)
    return current


def _with_current_load(exercises: QuerySet[AssignedExercise]) -> QuerySet[AssignedExercise]:
    step = AssignedLadderStep.objects.filter(exercise=OuterRef("pk"), order=OuterRef("current_step"))
    return exercises.annotate(
        step_speed=Subquery(step.values("speed_kmh")[:1]),
        step_incline=Subquery(step.values("incline_pct")[:1]),
        step_duration=Subquery(step.values("duration_min")[:1]),
        ladder_size=Subquery(
            AssignedLadderStep.objects.filter(exercise=OuterRef("pk"))
            .order_by()
            .values("exercise")
            .annotate(n=Count("pk"))
            .values("n"),
            output_field=IntegerField(),
        ),
    )


def step_in_words(exercise: AssignedExercise) -> str:
    """The current ladder step of an exercise annotated by _with_current_load, in words."""
    if getattr(exercise, "step_speed", None) is None:
        return ""
    return describe_load(exercise.step_speed, exercise.step_incline, exercise.step_duration)


def current_steps_for_patients(patient_ids: list[int]) -> dict[int, list[AssignedExercise]]:
    """patient id -> ladder exercises of the current phase of their active assignment (3 queries)."""
    assignments = dict(
        Assignment.objects.filter(patient_id__in=patient_ids, status=Assignment.Status.ACTIVE).values_list(
            "id", "patient_id"
        )
    )
    phases = current_phase_ids(list(assignments))
    exercises = _with_current_load(
        AssignedExercise.objects.filter(phase_id__in=phases.values(), kind__in=LADDER_KINDS).order_by("order")
    )
    result: dict[int, list[AssignedExercise]] = {}
    for exercise in exercises:
        result.setdefault(assignments[exercise.assignment_id], []).append(exercise)
    return result


@dataclass
class TodayPlan:
    assignment: Assignment | None
    phase_name: str = ""
    exercises: list[AssignedExercise] = field(default_factory=list)
    week_start: dt.date | None = None
    days_trained_this_week: int = 0
    logged_today: set[int] = field(default_factory=set)

    @property
    def planned_days(self) -> int:
        return self.assignment.sessions_per_week if self.assignment else 0


def today_plan(*, patient: Patient, today: dt.date) -> TodayPlan:
    """What the patient should do today: the current phase's exercises, the ladder step, this week so far."""
    assignment = (
        Assignment.objects.filter(patient=patient, status=Assignment.Status.ACTIVE).order_by("-start_date").first()
    )
    if assignment is None:
        return TodayPlan(assignment=None)
    phase_id = current_phase_ids([assignment.pk]).get(assignment.pk)
    exercises = list(
        _with_current_load(AssignedExercise.objects.filter(phase_id=phase_id).select_related("phase")).order_by(
            "order"
        )
    )
    week_start = today - dt.timedelta(days=today.weekday())
    week_sessions = SessionLog.objects.filter(
        exercise__assignment=assignment, date__gte=week_start, date__lte=today
    ).values_list("date", "exercise_id", "completed")
    days = {date for date, _exercise, completed in week_sessions if completed}
    logged_today = {exercise_id for date, exercise_id, _completed in week_sessions if date == today}
    return TodayPlan(
        assignment=assignment,
        phase_name=exercises[0].phase.name if exercises else "",
        exercises=exercises,
        week_start=week_start,
        days_trained_this_week=len(days),
        logged_today=logged_today,
    )
