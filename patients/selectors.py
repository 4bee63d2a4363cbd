"""Reads for patients: the therapist's patient list and a patient's plan for today.

Each selector runs a fixed number of queries whatever the number of rows, so
list pages stay fast as a clinic grows (guarded by query-count tests).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Window
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from clinic.invitations import InvitationAccount, Offer, invitation_account
from clinic.models import User
from clinic.tenancy import Actor, get_scoped_or_404, scope_queryset
from patients.models import (
    AssignedExercise,
    AssignedLadderStep,
    AssignedPhase,
    Assignment,
    Flag,
    Invitation,
    Measurement,
    MorningCheckIn,
    Patient,
    PatientPageVisit,
    PhaseVersion,
    ProgressionCheck,
    SessionLog,
    StepVersion,
)
from protocols.engine import ADHERENCE_WINDOW_DAYS, RecentTraining, recent_training
from protocols.models import LADDER_KINDS, Protocol, describe_load
from protocols.phase_criteria import Criterion, Readings, phase_criteria_check
from protocols.wording import format_level

UNRESOLVED = [Flag.Status.OPEN, Flag.Status.ACKNOWLEDGED]


def latest_pain_during() -> Subquery:
    """Pain during the patient's latest session (by date, then time logged), as an annotation on patients."""
    latest = SessionLog.objects.filter(patient=OuterRef("pk")).order_by("-date", "-created_at", "-id")
    return Subquery(latest.values("pain_during")[:1], output_field=IntegerField())


def _flag_count(severity: str | None = None) -> Coalesce:
    flags = Flag.objects.filter(patient=OuterRef("pk"), status__in=UNRESOLVED)
    if severity:
        flags = flags.filter(severity=severity)
    counted = flags.order_by().values("patient").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


PATIENT_SORTS = {
    "name": ("last_name", "first_name", "id"),
    "-last_session": ("-last_session_date", "last_name", "id"),
    "last_session": ("last_session_date", "last_name", "id"),
    "flags": ("-urgent_flags", "-warning_flags", "-open_flags", "last_name", "id"),
}


def patient_list(*, actor: Actor, mine_only: bool = False, search: str = "", condition: str = "",
                 severity: str = "", therapist_id: int | None = None, sort: str = "name") -> QuerySet[Patient]:
    """The patients an actor may see, with last session date and unresolved flag counts by severity."""
    from django.db.models import F

    patients = scope_queryset(Patient.objects.all(), actor).select_related("therapist")
    if mine_only:
        patients = patients.filter(therapist=actor.user)
    if therapist_id:
        patients = patients.filter(therapist_id=therapist_id)
    if condition:
        patients = patients.filter(condition=condition)
    search = search.strip()
    if search:
        patients = patients.filter(
            Q(first_name__icontains=search) | Q(last_name__icontains=search) | Q(external_ref__icontains=search)
        )
    patients = with_patient_summary(patients)
    if severity:
        patients = patients.filter(**{f"{severity}_flags__gt": 0})
    order = PATIENT_SORTS.get(sort, PATIENT_SORTS["name"])
    return patients.order_by(*[F(o[1:]).desc(nulls_last=True) if o.startswith("-") else F(o).asc(nulls_last=True)
                               for o in order])


def with_patient_summary(patients: QuerySet[Patient]) -> QuerySet[Patient]:
    """Annotate each patient with the last session date and unresolved (and urgent) flag counts: no extra queries."""
    last_session = SessionLog.objects.filter(patient=OuterRef("pk")).order_by("-date").values("date")[:1]
    return patients.annotate(
        last_session_date=Subquery(last_session),
        open_flags=_flag_count(),
        urgent_flags=_flag_count(Flag.Severity.URGENT),
        warning_flags=_flag_count(Flag.Severity.WARNING),
        info_flags=_flag_count(Flag.Severity.INFO),
    )


def with_current_phase(assignments: QuerySet[Assignment]) -> QuerySet[Assignment]:
    """Annotate each assignment with `current_phase_id`, the phase of its newest PhaseVersion."""
    newest = PhaseVersion.objects.filter(assignment=OuterRef("pk")).order_by("-created_at", "-id")
    return assignments.annotate(current_phase_id=Subquery(newest.values("phase_id")[:1]))


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


def with_current_load(exercises: QuerySet[AssignedExercise]) -> QuerySet[AssignedExercise]:
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


def current_steps_for_patients(patient_ids: list[int]) -> dict[int, list[AssignedExercise]]:
    """patient id -> ladder exercises of the current phase of their active assignment (3 queries)."""
    return current_steps_for_assignments(
        Assignment.objects.filter(patient_id__in=patient_ids, status=Assignment.Status.ACTIVE)
    )


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
    assignment = (
        Assignment.objects.filter(patient=patient, status=Assignment.Status.ACTIVE).order_by("-start_date").first()
    )
    if assignment is None:
        return TodayPlan(assignment=None, today=today)
    phase_id = current_phase_ids([assignment.pk]).get(assignment.pk)
    exercises = list(
        with_current_load(AssignedExercise.objects.filter(phase_id=phase_id).select_related("phase", "assignment"))
        .order_by("order")
    )
    week_start = today - dt.timedelta(days=today.weekday())
    since = min(week_start, today - dt.timedelta(days=1))
    recent = SessionLog.objects.filter(
        exercise__assignment=assignment, date__gte=since, date__lte=today
    ).values_list("date", "exercise_id", "completed")
    days = {date for date, _exercise, completed in recent if completed and date >= week_start}
    logged_today = {exercise_id for date, exercise_id, _completed in recent if date == today}
    logged_ever = set(
        # order_by(): the model's default ordering would add date and created_at to the DISTINCT
        # and return every session of these exercises instead of one row per exercise.
        SessionLog.objects.filter(exercise_id__in=[e.pk for e in exercises]).order_by()
        .values_list("exercise_id", flat=True).distinct()
    )
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


def pain_by_day(*, sessions: QuerySet[SessionLog], patient: Patient, start: dt.date, end: dt.date) -> dict:
    """The pain chart's series, one point per day from `start` to `end`: the one way both charts read pain.

    Worst pain during and right after of the day's sessions, and next-morning
    pain on the day it follows: a check-in dated d+1 is plotted on day d, where
    the session it reports on is (as the engine reads it, progression-rules.md
    R6). `dates` are ISO dates; `labels` are the same days in words for the axis.
    Two queries.
    """
    by_day: dict[dt.date, dict] = {}
    for date, during, after in sessions.filter(date__gte=start, date__lte=end).values_list(
            "date", "pain_during", "pain_after"):
        day = by_day.setdefault(date, {})
        day["during"] = max(day.get("during", 0), during)
        day["after"] = max(day.get("after", 0), after)
    for date, pain in MorningCheckIn.objects.filter(patient=patient, date__gt=start,
                                                    date__lte=end + dt.timedelta(days=1)).values_list("date", "pain"):
        by_day.setdefault(date - dt.timedelta(days=1), {})["morning"] = pain
    days = sorted(d for d in by_day if start <= d <= end)
    return {
        "dates": [d.isoformat() for d in days],
        "labels": [day_in_words(d) for d in days],
        "during": [by_day[d].get("during") for d in days],
        "after": [by_day[d].get("after") for d in days],
        "morning": [by_day[d].get("morning") for d in days],
    }


def day_in_words(day: dt.date) -> str:
    """A chart's date: "3 Mar" (the year only when it is not this one's, "28 Dec 2025")."""
    return date_format(day, "j M" if day.year == dt.date.today().year else "j M Y")


def pain_history(*, patient: Patient, today: dt.date, weeks: int = 8) -> dict:
    """The patient's own chart: pain of every session of the last `weeks` weeks, as their therapist sees it."""
    return pain_by_day(sessions=SessionLog.objects.filter(patient=patient), patient=patient,
                       start=today - dt.timedelta(weeks=weeks), end=today)


# ---------------------------------------------------------------------------
# Progression engine input
# ---------------------------------------------------------------------------


@dataclass
class CheckBasis:
    """Engine input for one exercise, plus the ids the services need to apply the decision once."""

    exercise: AssignedExercise
    engine_input: dict
    latest_session_id: int | None = None
    latest_session_created: dt.datetime | None = None
    latest_measurement_id: int | None = None
    step_version_id: int | None = None
    step_version_created: dt.datetime | None = None
    # When the newest piece of evidence (a session, the check-in after it, a measurement) was recorded.
    latest_evidence: dt.datetime | None = None
    # When the evidence behind each regression rule was recorded: R1 reads the latest session; R3 the two
    # latest sessions and the next-morning check-ins after them.
    regress_evidence: dict[str, dt.datetime] = field(default_factory=dict)


def plan_training_days(*, assignment_ids: list[int], start: dt.date, end: dt.date) -> dict[int, set[dt.date]]:
    """assignment id -> the dates in [start, end] with a completed session of the plan (any exercise, any phase).

    What the engine's F1 counts (its `training_days` input) and what the
    patient list's 14-day adherence counts: one query.
    """
    days: dict[int, set[dt.date]] = {}
    rows = (SessionLog.objects.filter(exercise__assignment_id__in=assignment_ids, completed=True,
                                      date__gte=start, date__lte=end)
            .order_by().values_list("exercise__assignment_id", "date").distinct())
    for assignment_id, date in rows:
        days.setdefault(assignment_id, set()).add(date)
    return days


def adherence_window_start(today: dt.date) -> dt.date:
    return today - dt.timedelta(days=ADHERENCE_WINDOW_DAYS - 1)


def recent_training_by_assignment(*, assignments: list[Assignment], today: dt.date) -> dict[int, RecentTraining]:
    """assignment id -> training days in [today-13, today] against the plan (the figure in a low-adherence flag).

    The same function (`protocols.engine.recent_training`) on the same days
    (`plan_training_days`) as F1 in the checks, so the list and the flag show
    one number. One query.
    """
    days = plan_training_days(assignment_ids=[a.pk for a in assignments], start=adherence_window_start(today),
                              end=today)
    return {
        a.pk: recent_training(training_days=days.get(a.pk, ()), today=today, frequency_per_week=a.sessions_per_week,
                              start=a.start_date)
        for a in assignments
    }


def ladder_exercises_to_check(*, current_phases: dict[int, int | None],
                              sessions_since: dt.date) -> list[AssignedExercise]:
    """The ladder exercises the checks cover, each with `in_current_phase`, in one query.

    `current_phases` maps each active assignment to check to its current
    phase (as `with_current_phase` annotates it).

    The current phase's, and every other ladder exercise of the plan with a
    session dated on or after `sessions_since`: a session back-dated, or sent
    from an offline queue after a phase change, is saved against an exercise
    of an earlier phase, and must still reach the engine so red pain is
    flagged (rules v1.1, "Applying decisions").
    """
    phases = current_phases
    recent = SessionLog.objects.filter(exercise=OuterRef("pk"), date__gte=sessions_since)
    exercises = list(
        AssignedExercise.objects.filter(assignment_id__in=list(phases), kind__in=LADDER_KINDS)
        .filter(Q(phase_id__in=[phase for phase in phases.values() if phase is not None]) | Exists(recent))
        .select_related("assignment__patient__clinic__settings")
        .order_by("assignment_id", "order", "pk")
    )
    for exercise in exercises:
        exercise.in_current_phase = exercise.phase_id == phases.get(exercise.assignment_id)
    return exercises


def active_ladder_exercises(*, assignment_ids: list[int]) -> list[AssignedExercise]:
    """The retro-incline (ladder) exercises of the current phase of these active assignments."""
    active = list(
        Assignment.objects.filter(pk__in=assignment_ids, status=Assignment.Status.ACTIVE).values_list("pk", flat=True)
    )
    phases = current_phase_ids(active)
    return list(
        AssignedExercise.objects.filter(phase_id__in=phases.values(), kind__in=LADDER_KINDS)
        .select_related("assignment__patient__clinic__settings")
        .order_by("assignment_id", "order")
    )


def _engine_number(value) -> float | None:
    return None if value is None else float(value)


def engine_inputs(*, exercises: list[AssignedExercise], today: dt.date,
                  lookback_sessions: int = 10) -> list[CheckBasis]:
    """Build the engine input of many exercises with a fixed number of queries.

    The rules look at the latest sessions (R1-R5, R7: at most
    green_sessions_to_progress, capped at 10 by validation) and the 14 days up
    to today (R6, F1, F2); older sessions cannot change the decision, so only
    those are read. F1 gets the plan's training days in those 14 days (any
    exercise, any phase) and the plan's sessions per week; the assignment
    start is always given, so F1 never needs an earlier date. A morning
    check-in on day d+1 is the next-morning pain of every session on day d.
    Only the latest measurement counts.
    """
    if not exercises:
        return []
    ids = [e.pk for e in exercises]
    window_start = adherence_window_start(today)
    training_days = plan_training_days(assignment_ids=list({e.assignment_id for e in exercises}),
                                       start=window_start, end=today)
    fields = ("pk", "exercise_id", "patient_id", "date", "step", "completed", "pain_during", "pain_after", "created_at")
    recent = SessionLog.objects.filter(exercise_id__in=ids, date__gte=window_start, date__lte=today).values(*fields)
    latest = (
        SessionLog.objects.filter(exercise_id__in=ids, date__lt=window_start)
        .annotate(rank=Window(RowNumber(), partition_by=[F("exercise_id")],
                              order_by=[F("date").desc(), F("pk").desc()]))
        .filter(rank__lte=lookback_sessions)
        .values(*fields)
    )
    sessions: dict[int, dict[int, dict]] = {}
    for row in list(recent) + list(latest):
        sessions.setdefault(row["exercise_id"], {})[row["pk"]] = row
    patient_ids = {e.assignment.patient_id for e in exercises}
    session_dates = [row["date"] for rows in sessions.values() for row in rows.values()]
    mornings: dict[tuple[int, dt.date], int] = {}
    morning_times: dict[tuple[int, dt.date], dt.datetime] = {}
    if session_dates:
        checkins = MorningCheckIn.objects.filter(
            patient_id__in=patient_ids,
            date__gte=min(session_dates) + dt.timedelta(days=1),
            date__lte=today + dt.timedelta(days=1),
        ).values_list("patient_id", "date", "pain", "updated_at")
        mornings = {(patient_id, date): pain for patient_id, date, pain, _at in checkins}
        morning_times = {(patient_id, date): at for patient_id, date, _pain, at in checkins}
    measurements: dict[int, Measurement] = {}
    # A measurement dated after today (a typing slip) must not hide the real latest one.
    for measurement in Measurement.objects.filter(patient_id__in=patient_ids, date__lte=today).order_by(
            "patient_id", "-date", "-created_at", "-pk"):
        measurements.setdefault(measurement.patient_id, measurement)
    ladders: dict[int, list] = {}
    for step in AssignedLadderStep.objects.filter(exercise_id__in=ids).order_by("exercise_id", "order"):
        ladders.setdefault(step.exercise_id, []).append(
            {"speed_kmh": float(step.speed_kmh), "incline_pct": float(step.incline_pct),
             "duration_min": step.duration_min}
        )
    versions: dict[int, tuple[int, dt.datetime]] = {}
    for exercise_id, pk, created in (
        StepVersion.objects.filter(exercise_id__in=ids).order_by("exercise_id", "-created_at", "-pk")
        .values_list("exercise_id", "pk", "created_at")
    ):
        versions.setdefault(exercise_id, (pk, created))

    def recorded(row: dict) -> list[dt.datetime]:
        """When a session, and the next-morning check-in that belongs to it, were recorded."""
        morning = morning_times.get((row["patient_id"], row["date"] + dt.timedelta(days=1)))
        return [row["created_at"]] if morning is None else [row["created_at"], morning]

    result = []
    for exercise in exercises:
        assignment = exercise.assignment
        patient = assignment.patient
        rows = sorted(sessions.get(exercise.pk, {}).values(), key=lambda r: (r["date"], r["created_at"], r["pk"]))
        measurement = measurements.get(patient.pk)
        clinic_settings = getattr(patient.clinic, "settings", None)
        engine_input = {
            "condition": assignment.condition,
            "today": today.isoformat(),
            "baseline_pain": assignment.baseline_pain,
            "surgery_date": patient.surgery_date.isoformat() if patient.surgery_date else None,
            "frequency_per_week": assignment.sessions_per_week,
            "assignment_start": assignment.start_date.isoformat(),
            "training_days": sorted(day.isoformat() for day in training_days.get(assignment.pk, ())),
            "ladder": ladders.get(exercise.pk, []),
            "current_step": exercise.current_step or 0,
            "sessions": [
                {
                    "date": row["date"].isoformat(),
                    "step": row["step"] if row["step"] is not None else 0,
                    "completed": row["completed"],
                    "pain_during": row["pain_during"],
                    "pain_after": row["pain_after"],
                    "pain_next_morning": mornings.get((row["patient_id"], row["date"] + dt.timedelta(days=1))),
                }
                for row in rows
            ],
            "measurements": [] if measurement is None else [{
                "date": measurement.date.isoformat(),
                "effusion": measurement.effusion or None,
                "quad_lsi_pct": _engine_number(measurement.quad_lsi_pct),
                "hop_lsi_pct": _engine_number(measurement.hop_lsi_pct),
                "rom_pct": _engine_number(measurement.rom_pct),
                "running_signoff": measurement.running_signoff,
            }],
            "settings": dict(clinic_settings.engine_overrides) if clinic_settings else {},
        }
        version = versions.get(exercise.pk)
        times = [at for row in rows for at in recorded(row)]
        regress_evidence = {}
        if rows:
            regress_evidence = {"R1": rows[-1]["created_at"],
                                "R3": max(at for row in rows[-2:] for at in recorded(row))}
        if measurement is not None:
            times.append(measurement.created_at)
        result.append(CheckBasis(
            exercise=exercise,
            engine_input=engine_input,
            latest_session_id=rows[-1]["pk"] if rows else None,
            latest_session_created=rows[-1]["created_at"] if rows else None,
            latest_measurement_id=measurement.pk if measurement else None,
            step_version_id=version[0] if version else None,
            step_version_created=version[1] if version else None,
            latest_evidence=max(times) if times else None,
            regress_evidence=regress_evidence,
        ))
    return result


def active_assignment_ids(*, clinic_id: int | None = None) -> list[int]:
    assignments = Assignment.objects.filter(status=Assignment.Status.ACTIVE, patient__clinic__is_active=True)
    if clinic_id is not None:
        assignments = assignments.filter(patient__clinic_id=clinic_id)
    return list(assignments.order_by("pk").values_list("pk", flat=True))


SEVERITY_ORDER = {Flag.Severity.URGENT: 0, Flag.Severity.WARNING: 1, Flag.Severity.INFO: 2}


def with_red_pain_beside(flags: QuerySet[Flag]) -> QuerySet[Flag]:
    """Annotate `red_pain_beside`: an unresolved red-pain flag exists for the same patient and exercise.

    An "Improved" flag (morning pain over 7 days) can be open while the latest session was red; the pages
    then say which one to act on (the red-pain flag), so the two never sit side by side unexplained.
    """
    red = Flag.objects.filter(patient=OuterRef("patient"), exercise=OuterRef("exercise"), kind="pain_red",
                              status__in=UNRESOLVED)
    return flags.annotate(red_pain_beside=Exists(red))


def _unresolved_flags(*, actor: Actor, mine_only: bool) -> QuerySet[Flag]:
    flags = scope_queryset(Flag.objects.all(), actor).filter(status__in=UNRESOLVED)
    if mine_only:
        flags = flags.filter(patient__therapist=actor.user)
    return flags


def inbox_mine_by_default(actor: Actor) -> bool:
    """Therapists' inbox opens on their own patients; clinic admins' on the whole clinic."""
    return not actor.is_clinic_admin


def open_flag_count(*, actor: Actor) -> int:
    """How many flags the actor's inbox shows when opened (the navigation's count), in one COUNT query."""
    return _unresolved_flags(actor=actor, mine_only=inbox_mine_by_default(actor)).count()


def flag_inbox(*, actor: Actor, mine_only: bool = False) -> QuerySet[Flag]:
    """Unresolved flags the actor may see, urgent first, newest first within a severity."""
    from django.db.models import Case, Value, When

    flags = _unresolved_flags(actor=actor, mine_only=mine_only)
    rank = Case(*[When(severity=s, then=Value(n)) for s, n in SEVERITY_ORDER.items()], output_field=IntegerField())
    return with_red_pain_beside(flags.select_related("patient", "exercise")).annotate(severity_rank=rank).order_by(
        "severity_rank", "-created_at", "-id"
    )


def latest_checks(*, exercise_ids: list[int]) -> dict[int, ProgressionCheck]:
    """exercise id -> its newest progression check (one query)."""
    latest: dict[int, ProgressionCheck] = {}
    for check in ProgressionCheck.objects.filter(exercise_id__in=exercise_ids).order_by("exercise_id", "-as_of", "-id"):
        latest.setdefault(check.exercise_id, check)
    return latest


# ---------------------------------------------------------------------------
# The therapist's patient page
# ---------------------------------------------------------------------------


@dataclass
class PatientOverview:
    patient: Patient
    assignment: Assignment | None
    phases: list = field(default_factory=list)
    current_phase_id: int | None = None
    exercises: list[AssignedExercise] = field(default_factory=list)
    ladders: dict[int, list[AssignedLadderStep]] = field(default_factory=dict)
    step_history: list[StepVersion] = field(default_factory=list)
    phase_history: list[PhaseVersion] = field(default_factory=list)
    chart: dict = field(default_factory=dict)
    weeks: list = field(default_factory=list)
    open_flags: list[Flag] = field(default_factory=list)
    measurements: list[Measurement] = field(default_factory=list)

    @property
    def ladder_exercises(self) -> list[AssignedExercise]:
        return [e for e in self.exercises if e.has_ladder]


def patient_overview(*, patient: Patient, today: dt.date) -> PatientOverview:
    """Everything the patient page shows, in a fixed number of queries whatever the history's length."""
    from patients.reports import week_figures

    assignment = (
        Assignment.objects.filter(patient=patient).order_by(
            models_case_active_first(), "-start_date", "-pk").first()
    )
    overview = PatientOverview(
        patient=patient,
        assignment=assignment,
        measurements=list(Measurement.objects.filter(patient=patient).select_related("recorded_by")[:20]),
        open_flags=list(with_red_pain_beside(
            Flag.objects.filter(patient=patient, status__in=UNRESOLVED).select_related("exercise"))),
    )
    if assignment is None:
        return overview
    overview.phases = list(assignment.phases.order_by("order"))
    overview.current_phase_id = current_phase_ids([assignment.pk]).get(assignment.pk)
    overview.exercises = list(
        with_current_load(AssignedExercise.objects.filter(phase_id=overview.current_phase_id)).order_by("order")
    )
    for step in AssignedLadderStep.objects.filter(exercise__assignment=assignment).order_by("exercise_id", "order"):
        overview.ladders.setdefault(step.exercise_id, []).append(step)
    overview.step_history = list(
        StepVersion.objects.filter(exercise__assignment=assignment).select_related("exercise", "changed_by")
        .order_by("-effective_date", "-created_at", "-id")[:50]
    )
    for version in overview.step_history:  # "level 5 of 9" needs the ladder's size
        version.ladder_size = len(overview.ladders.get(version.exercise_id, []))
    overview.phase_history = list(
        PhaseVersion.objects.filter(assignment=assignment).select_related("phase", "changed_by")
    )
    end = min(assignment.end_date or today, today)
    plan_sessions = SessionLog.objects.filter(exercise__assignment=assignment)
    done: dict[dt.date, set] = {}
    for date in plan_sessions.filter(date__gte=assignment.start_date, date__lte=end, completed=True).values_list(
            "date", flat=True):
        done.setdefault(date - dt.timedelta(days=date.weekday()), set()).add(date)
    overview.chart = pain_by_day(sessions=plan_sessions, patient=patient, start=assignment.start_date, end=end)
    overview.chart["changes"] = _step_changes(overview.step_history, overview.ladders)
    weeks = week_figures(sessions_per_week=assignment.sessions_per_week,
                         active=(assignment.start_date, end) if assignment.start_date <= end else None,
                         done_by_week={week: len(dates) for week, dates in done.items()})
    overview.weeks = weeks
    # Whole days only: the days done as bars, the plan's training days a week as a line.
    overview.chart["weeks"] = {
        "labels": [_("week of %(day)s") % {"day": day_in_words(w.week_start)} for w in weeks],
        "done": [w.done for w in weeks],
        "planned": [assignment.sessions_per_week for _w in weeks],
    }
    return overview


def open_invitation_exists(*, patient: Patient) -> bool:
    """Whether the patient has an invitation link that still works (unused, not expired): one query."""
    return Invitation.objects.filter(patient=patient, used_at__isnull=True, expires_at__gt=timezone.now()).exists()


def _step_changes(history: list[StepVersion], ladders: dict[int, list[AssignedLadderStep]]) -> list[dict]:
    """The step changes marked on the pain chart, oldest first, each "up" or "down" from the step before it."""
    previous: dict[int, int] = {}
    changes = []
    for version in sorted(history, key=lambda v: (v.created_at, v.pk)):
        before = previous.get(version.exercise_id, 0)
        previous[version.exercise_id] = version.step
        if version.source == "initial":
            continue
        ladder = ladders.get(version.exercise_id, [])
        changes.append({  # "level" for people (from 1), as everywhere
            "date": version.effective_date.isoformat(), "level": format_level(version.step, len(ladder)),
            "direction": "down" if version.step < before else "up", "source": version.get_source_display(),
            "load": ladder[version.step].in_words if version.step < len(ladder) else "",
        })
    return changes


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


def models_case_active_first():
    from django.db.models import Case, Value, When

    return Case(When(status=Assignment.Status.ACTIVE, then=Value(0)), default=Value(1), output_field=IntegerField())


def sessions_behind_flags(flags: list[Flag], per_flag: int = 4) -> dict[int, list[SessionLog]]:
    """flag id -> the latest sessions of its exercise up to the check that raised it (one query)."""
    if not flags:
        return {}
    exercise_ids = {flag.exercise_id for flag in flags}
    oldest = min(flag.created_at.date() for flag in flags) - dt.timedelta(days=21)
    sessions: dict[int, list[SessionLog]] = {}
    # With their exercise: each row names it and writes its dose by the exercise's kind.
    for session in (SessionLog.objects.filter(exercise_id__in=exercise_ids, date__gte=oldest)
                    .select_related("exercise").order_by("exercise_id", "-date", "-pk")):
        sessions.setdefault(session.exercise_id, []).append(session)
    result = {}
    for flag in flags:
        as_of = dt.date.fromisoformat(flag.evidence["as_of"]) if flag.evidence.get("as_of") else None
        mine = [s for s in sessions.get(flag.exercise_id, []) if as_of is None or s.date <= as_of]
        result[flag.pk] = mine[:per_flag]
    return result


# ---------------------------------------------------------------------------
# What the patient wrote, and whether the therapist has seen it
# ---------------------------------------------------------------------------

NOTES_IN_INBOX = 20


def is_new(logged_at: dt.datetime, last_visit: dt.datetime | None) -> bool:
    """"New" to a staff member: logged after they last opened the patient's page (or they never have)."""
    return last_visit is None or logged_at > last_visit


def last_page_visits(*, user, patient_ids) -> dict[int, dt.datetime]:
    """patient id -> when `user` last opened that patient's page (one query)."""
    return dict(PatientPageVisit.objects.filter(user=user, patient_id__in=set(patient_ids))
                .values_list("patient_id", "visited_at"))


def mark_new(sessions, visits: dict[int, dt.datetime]) -> None:
    """Set `is_new` on each session for the staff member whose page visits these are."""
    for session in sessions:
        session.is_new = is_new(session.created_at, visits.get(session.patient_id))


def unseen_patient_notes(*, actor: Actor, mine_only: bool = False,
                         limit: int = NOTES_IN_INBOX) -> tuple[list[SessionLog], bool]:
    """Sessions with a patient's note, or stopped early, that the actor has not seen on the patient page.

    Newest first, at most `limit` (and whether there are more), in one query.
    Opening the patient's page marks them seen (services.patient_page_visit_record).
    """
    last_visit = PatientPageVisit.objects.filter(user=actor.user, patient=OuterRef("patient_id")).values("visited_at")
    sessions = (
        scope_queryset(SessionLog.objects.all(), actor)
        .filter(Q(notes__gt="") | Q(completed=False))
        .annotate(last_visit=Subquery(last_visit[:1]))
        .filter(Q(last_visit__isnull=True) | Q(created_at__gt=F("last_visit")))
    )
    if mine_only:
        sessions = sessions.filter(patient__therapist=actor.user)
    found = list(sessions.select_related("patient", "exercise").order_by("-created_at", "-id")[:limit + 1])
    for session in found:
        session.is_new = True
    return found[:limit], len(found) > limit


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


def invitation_offer(patient: Patient) -> Offer:
    """What a patient's invitation gives: that patient's profile in its clinic."""
    return Offer(clinic=patient.clinic, patient=patient)


def invitation_account_for(*, invitation, signed_in=None) -> InvitationAccount:
    """What the invitation page may offer its visitor, by the one rule of clinic.invitations.

    Being signed in as the invitation's account is proof of owning it; being
    signed in as anyone else is no proof at all.
    """
    patient = invitation.patient
    proven = signed_in if signed_in is not None and signed_in.is_authenticated else None
    return invitation_account(email=patient.email, offer=invitation_offer(patient), holder=patient.user,
                              proven=proven)


# --- added for thin views (issue 14) ---


def patient_get(*, actor: Actor, pk: int) -> Patient:
    """One patient the actor may see, with therapist, clinic and login; 404 for other clinics' patients."""
    return get_scoped_or_404(Patient.objects.select_related("therapist", "clinic", "user"), actor, pk=pk)


def therapist_choices(*, actor: Actor) -> QuerySet[User]:
    """The active staff accounts of the actor's clinic, by first name (the patient list's therapist filter)."""
    return User.objects.filter(memberships__clinic=actor.clinic, is_active=True).order_by("first_name")


def active_assignment(*, patient: Patient) -> Assignment | None:
    """The patient's running plan, if any (one query)."""
    return Assignment.objects.filter(patient=patient, status=Assignment.Status.ACTIVE).first()


def active_assignments(*, patient_ids: list[int]) -> list[Assignment]:
    """The running plans of these patients (one query)."""
    return list(Assignment.objects.filter(patient_id__in=patient_ids, status=Assignment.Status.ACTIVE))


def assignable_protocols(*, actor: Actor, patient: Patient) -> QuerySet[Protocol]:
    """The protocols the actor may assign to `patient`: built-in or the clinic's, unarchived, for its condition."""
    protocols = Protocol.objects.filter(is_archived=False, condition=patient.condition)
    return scope_queryset(protocols, actor).order_by("clinic_id", "name")


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


def flag_get(*, actor: Actor, pk: int) -> Flag:
    """One flag the actor may see, with its patient; 404 for other clinics' flags."""
    return get_scoped_or_404(Flag.objects.select_related("patient"), actor, pk=pk)


def flags_get(*, actor: Actor, ids: list[int]) -> QuerySet[Flag]:
    """The flags `ids` the actor may see, with their patients; ids of other clinics' flags are left out."""
    return scope_queryset(Flag.objects.filter(pk__in=ids), actor).select_related("patient")
