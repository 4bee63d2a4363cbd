"""Reads of a patient's plan: the current phase, the ladder step in force, today's plan, phase readiness.

The current phase of an assignment is the phase of its newest PhaseVersion;
`current_phase` is that rule as a subquery, `current_phase_ids` as a lookup.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery

from patients.adherence import monday_of
from patients.models import (
    AssignedExercise,
    AssignedLadderStep,
    AssignedPhase,
    Assignment,
    Measurement,
    MorningCheckIn,
    Patient,
    PhaseVersion,
    SessionLog,
    StepVersion,
)
from protocols.models import LADDER_KINDS, describe_load
from protocols.phase_criteria import Criterion, Readings, phase_criteria_check

# Newest first: the first PhaseVersion of an assignment in this order names its current phase.
NEWEST_PHASE_VERSION_FIRST = ("-created_at", "-id")


def current_phase(assignment: str = "pk") -> Subquery:
    """The current phase's id of the assignment at `OuterRef(assignment)`, as a subquery.

    `assignment` names the outer query's field holding the assignment: "pk" on
    assignments, "assignment_id" on rows that belong to one.
    """
    newest = PhaseVersion.objects.filter(assignment=OuterRef(assignment)).order_by(*NEWEST_PHASE_VERSION_FIRST)
    return Subquery(newest.values("phase_id")[:1])


def with_current_phase(assignments: QuerySet[Assignment]) -> QuerySet[Assignment]:
    """Annotate each assignment with `current_phase_id`, the phase of its newest PhaseVersion."""
    return assignments.annotate(current_phase_id=current_phase("pk"))


def current_phase_ids(assignment_ids: list[int]) -> dict[int, int]:
    """assignment id -> id of its current phase (the newest PhaseVersion), in one query."""
    current: dict[int, int] = {}
    versions = (
        PhaseVersion.objects.filter(assignment_id__in=assignment_ids)
        .order_by("assignment_id", *NEWEST_PHASE_VERSION_FIRST)
        .values_list("assignment_id", "phase_id")
    )
    for assignment_id, phase_id in versions:
        current.setdefault(assignment_id, phase_id)
    return current


def with_current_load(exercises: QuerySet[AssignedExercise]) -> QuerySet[AssignedExercise]:
    """Annotate each exercise with the load of its current ladder step (`step_*`) and its ladder's size."""
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
    """The current ladder step of an exercise annotated by with_current_load, in words."""
    if getattr(exercise, "step_speed", None) is None:
        return ""
    return describe_load(exercise.step_speed, exercise.step_incline, exercise.step_duration)


def current_steps_for_assignments(active: list[Assignment]) -> dict[int, list[AssignedExercise]]:
    """patient id -> ladder exercises of the current phase of these active assignments (2 queries).

    The patient list already holds the page's active assignments (for adherence): passing them saves a query.
    """
    assignments = {assignment.pk: assignment.patient_id for assignment in active}
    phases = current_phase_ids(list(assignments))
    exercises = with_current_load(
        AssignedExercise.objects.filter(phase_id__in=phases.values(), kind__in=LADDER_KINDS).order_by("order")
    )
    result: dict[int, list[AssignedExercise]] = {}
    for exercise in exercises:
        result.setdefault(assignments[exercise.assignment_id], []).append(exercise)
    return result


def plan_exercises(*, patient: Patient) -> list[AssignedExercise]:
    """Every exercise of the patient's active plan, any phase, in one query (with their assignment).

    What a logged session may name: a session back-dated, or sent from an
    offline queue after a phase change, belongs to an exercise of an earlier
    phase, and is saved rather than refused.
    """
    return list(
        AssignedExercise.objects.filter(assignment__patient=patient, assignment__status=Assignment.Status.ACTIVE)
        .select_related("assignment").order_by("phase__order", "order")
    )


# ---------------------------------------------------------------------------
# The patient's plan for today
# ---------------------------------------------------------------------------


@dataclass
class TodayPlan:
    assignment: Assignment | None
    today: dt.date | None = None
    phase_name: str = ""
    exercises: list[AssignedExercise] = field(default_factory=list)
    week_start: dt.date | None = None
    days_trained_this_week: int = 0
    trained_today: bool = False
    logged_today: set[int] = field(default_factory=set)
    # Exercises the patient has never logged: their safety notes are shown in full.
    new_exercises: set[int] = field(default_factory=set)
    morning_prompt: bool = False
    checked_in_today: bool = False

    @property
    def planned_days(self) -> int:
        return self.assignment.sessions_per_week if self.assignment else 0

    @property
    def days_left(self) -> int:
        """Training days still to do this week, never more than the days the week has left."""
        remaining_days = 7 - self.today.weekday() - (1 if self.trained_today else 0) if self.today else 7
        return max(min(self.planned_days - self.days_trained_this_week, remaining_days), 0)

    @property
    def is_planned_day(self) -> bool:
        """Today is a training day while this week's planned days are not all done (or it is already one)."""
        return self.trained_today or self.days_left > 0


def today_plan(*, patient: Patient, today: dt.date) -> TodayPlan:
    """What the patient should do today: the current phase's exercises, the ladder step, this week so far."""
    # `asked_questionnaires`: how many questionnaires the plan asks (the outcomes app's rows, by their reverse
    # name: patients does not import outcomes), so the page asks which are due only when there are some.
    assignment = (
        Assignment.objects.filter(patient=patient, status=Assignment.Status.ACTIVE).order_by("-start_date")
        .annotate(asked_questionnaires=Count("questionnaires", filter=Q(questionnaires__skipped=False))).first()
    )
    if assignment is None:
        return TodayPlan(assignment=None, today=today)
    phase_id = current_phase_ids([assignment.pk]).get(assignment.pk)
    exercises = list(
        with_current_load(AssignedExercise.objects.filter(phase_id=phase_id).select_related("phase", "assignment"))
        .order_by("order")
    )
    week_start = monday_of(today)
    since = min(week_start, today - dt.timedelta(days=1))
    recent = SessionLog.objects.filter(
        exercise__assignment=assignment, date__gte=since, date__lte=today
    ).values_list("date", "exercise_id", "completed")
    days = {date for date, _exercise, completed in recent if completed and date >= week_start}
    logged_today = {exercise_id for date, exercise_id, _completed in recent if date == today}
    logged_ever = _ever_logged(exercises)
    checked_in_today = MorningCheckIn.objects.filter(patient=patient, date=today).exists()
    yesterday_session = any(date == today - dt.timedelta(days=1) for date, _e, _c in recent)
    return TodayPlan(
        assignment=assignment,
        today=today,
        phase_name=exercises[0].phase.name if exercises else "",
        exercises=exercises,
        week_start=week_start,
        days_trained_this_week=len(days),
        trained_today=today in days,
        logged_today=logged_today,
        new_exercises={e.pk for e in exercises} - logged_ever,
        morning_prompt=yesterday_session and not checked_in_today,
        checked_in_today=checked_in_today,
    )


def _ever_logged(exercises: list[AssignedExercise]) -> set[int]:
    """The ids of those exercises with at least one session logged (one query)."""
    return set(
        # order_by(): the model's default ordering would add date and created_at to the DISTINCT
        # and return every session of these exercises instead of one row per exercise.
        SessionLog.objects.filter(exercise_id__in=[e.pk for e in exercises]).order_by()
        .values_list("exercise_id", flat=True).distinct()
    )


# ---------------------------------------------------------------------------
# Phase entry criteria against the latest readings
# ---------------------------------------------------------------------------


def latest_measurement(*, patient: Patient, on: dt.date) -> Measurement | None:
    """The patient's latest clinic measurement dated on or before `on`, as the engine reads it."""
    return (Measurement.objects.filter(patient=patient, date__lte=on)
            .order_by("-date", "-created_at", "-pk").first())


def phase_readings(*, patient: Patient, on: dt.date) -> Readings:
    """What phase entry criteria are checked against on `on`: the surgery date and the latest measurement.

    Only the latest measurement counts; a value missing there is unknown (earlier ones do not fill it in).
    """
    measurement = latest_measurement(patient=patient, on=on)
    if measurement is None:
        return Readings(today=on, surgery_date=patient.surgery_date)
    return Readings(today=on, surgery_date=patient.surgery_date, measured_on=measurement.date,
                    quad_lsi_pct=measurement.quad_lsi_pct, hop_lsi_pct=measurement.hop_lsi_pct,
                    rom_pct=measurement.rom_pct, effusion=measurement.effusion,
                    running_signoff=measurement.running_signoff)


@dataclass(frozen=True)
class PhaseReadiness:
    phase: object
    checks: list[Criterion]

    @property
    def unmet(self) -> list[Criterion]:
        return [check for check in self.checks if not check.met]


def phase_readiness(*, patient: Patient, phases: list, today: dt.date) -> tuple[Readings, list[PhaseReadiness]]:
    """Each phase's checkable entry criteria, met or not by today's readings (one query)."""
    readings = phase_readings(patient=patient, on=today)
    return readings, [PhaseReadiness(phase, phase_criteria_check(phase, readings)) for phase in phases]


def step_in_force(*, exercise: AssignedExercise, date: dt.date) -> int | None:
    """The ladder step that applied on `date`: the newest version effective by then.

    A back-dated session belongs to the step of its own day, not today's, so
    the engine reads each session at the load it was done at.
    """
    if exercise.current_step is None:
        return None
    version = (
        StepVersion.objects.filter(exercise=exercise, effective_date__lte=date)
        .order_by("-effective_date", "-created_at", "-id")
        .values_list("step", flat=True)
        .first()
    )
    return 0 if version is None else version


def active_assignment(*, patient: Patient) -> Assignment | None:
    """The patient's running plan, if any (one query)."""
    return Assignment.objects.filter(patient=patient, status=Assignment.Status.ACTIVE).first()


def active_assignments(*, patient_ids: list[int]) -> list[Assignment]:
    """The running plans of these patients (one query)."""
    return list(Assignment.objects.filter(patient_id__in=patient_ids, status=Assignment.Status.ACTIVE))


@dataclass
class PlanControls:
    """What the step- and phase-change forms are built from; `assignment` is None when no plan is running."""

    assignment: Assignment | None
    phases: list[AssignedPhase] = field(default_factory=list)
    current_phase_id: int | None = None
    ladder_exercises: list[AssignedExercise] = field(default_factory=list)
    ladders: dict[int, list[AssignedLadderStep]] = field(default_factory=dict)


def plan_controls(*, patient: Patient) -> PlanControls:
    """The running plan's phases, its current phase, and that phase's ladder exercises with their ladders.

    What validating a step or phase change needs (five queries), without the
    patient page's charts and histories (patient_overview).
    """
    assignment = active_assignment(patient=patient)
    if assignment is None:
        return PlanControls(None)
    current_phase_id = current_phase_ids([assignment.pk]).get(assignment.pk)
    exercises = list(AssignedExercise.objects.filter(phase_id=current_phase_id, kind__in=LADDER_KINDS)
                     .order_by("order"))
    ladders: dict[int, list[AssignedLadderStep]] = {}
    for step in AssignedLadderStep.objects.filter(exercise__in=exercises).order_by("exercise_id", "order"):
        ladders.setdefault(step.exercise_id, []).append(step)
    return PlanControls(assignment, list(assignment.phases.order_by("order")), current_phase_id, exercises, ladders)
