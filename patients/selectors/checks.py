"""What the progression checks read: the exercises to check and the engine's input for each.

`engine_inputs` builds the input of many exercises in a fixed number of
queries, one named step per kind of evidence; the services apply the
decisions (`patients.services`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Exists, F, Max, OuterRef, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from patients.models import (
    AssignedExercise,
    AssignedLadderStep,
    Assignment,
    Measurement,
    MorningCheckIn,
    ProgressionCheck,
    SessionLog,
    StepVersion,
)
from patients.selectors.plans import current_phase_ids
from protocols.engine import ADHERENCE_WINDOW_DAYS, RecentTraining, recent_training
from protocols.models import LADDER_KINDS

SESSION_FIELDS = ("pk", "exercise_id", "patient_id", "date", "step", "completed", "pain_during", "pain_after",
                  "created_at")


@dataclass
class CheckInput:
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


# ---------------------------------------------------------------------------
# Training days and the 14-day adherence
# ---------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------
# Which exercises the checks cover
# ---------------------------------------------------------------------------


def active_assignment_ids(*, clinic_id: int | None = None) -> list[int]:
    """The active assignments of active clinics (of one clinic when given), in id order."""
    assignments = Assignment.objects.filter(status=Assignment.Status.ACTIVE, patient__clinic__is_active=True)
    if clinic_id is not None:
        assignments = assignments.filter(patient__clinic_id=clinic_id)
    return list(assignments.order_by("pk").values_list("pk", flat=True))


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


def latest_checks(*, exercise_ids: list[int]) -> dict[int, ProgressionCheck]:
    """exercise id -> its newest progression check (one query)."""
    latest: dict[int, ProgressionCheck] = {}
    for check in ProgressionCheck.objects.filter(exercise_id__in=exercise_ids).order_by("exercise_id", "-as_of", "-id"):
        latest.setdefault(check.exercise_id, check)
    return latest


# ---------------------------------------------------------------------------
# The engine's input, one kind of evidence at a time
# ---------------------------------------------------------------------------


@dataclass
class Evidence:
    """Everything the engine reads for a batch of exercises, each kind read once for all of them."""

    training_days: dict[int, set[dt.date]]  # by assignment
    sessions: dict[int, list[dict]]  # by exercise, oldest first
    mornings: dict[tuple[int, dt.date], tuple[int, dt.datetime]]  # (patient, date) -> (pain, recorded at)
    measurements: dict[int, Measurement]  # by patient: the latest
    ladders: dict[int, list[dict]]  # by exercise
    step_versions: dict[int, tuple[int, dt.datetime]]  # by exercise: the newest (id, recorded at)

    def next_morning_pain(self, row: dict) -> int | None:
        morning = self.mornings.get((row["patient_id"], row["date"] + dt.timedelta(days=1)))
        return None if morning is None else morning[0]

    def recorded(self, row: dict) -> list[dt.datetime]:
        """When a session, and the next-morning check-in that belongs to it, were recorded."""
        morning = self.mornings.get((row["patient_id"], row["date"] + dt.timedelta(days=1)))
        return [row["created_at"]] if morning is None else [row["created_at"], morning[1]]


def engine_inputs(*, exercises: list[AssignedExercise], today: dt.date,
                  lookback_sessions: int = 10) -> list[CheckInput]:
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
    evidence = read_evidence(exercises, today=today, lookback_sessions=lookback_sessions)
    return [check_input(exercise, evidence, today=today) for exercise in exercises]


def read_evidence(exercises: list[AssignedExercise], *, today: dt.date, lookback_sessions: int) -> Evidence:
    """The evidence behind these exercises' checks: six queries (five without sessions) whatever their number."""
    ids = [e.pk for e in exercises]
    patient_ids = {e.assignment.patient_id for e in exercises}
    window_start = adherence_window_start(today)
    training_days = plan_training_days(assignment_ids=list({e.assignment_id for e in exercises}),
                                       start=window_start, end=today)
    sessions = _engine_sessions(ids, window_start=window_start, today=today, lookback_sessions=lookback_sessions)
    return Evidence(
        training_days=training_days,
        sessions=sessions,
        mornings=_next_mornings(patient_ids, sessions, today=today),
        measurements=_latest_measurements(patient_ids, today=today),
        ladders=_engine_ladders(ids),
        step_versions=_newest_step_versions(ids),
    )


def _engine_sessions(ids: list[int], *, window_start: dt.date, today: dt.date,
                     lookback_sessions: int) -> dict[int, list[dict]]:
    """exercise id -> its sessions of the 14-day window and its latest `lookback_sessions` before it, oldest first."""
    recent = SessionLog.objects.filter(exercise_id__in=ids, date__gte=window_start, date__lte=today)
    latest = (
        SessionLog.objects.filter(exercise_id__in=ids, date__lt=window_start)
        .annotate(rank=Window(RowNumber(), partition_by=[F("exercise_id")],
                              order_by=[F("date").desc(), F("pk").desc()]))
        .filter(rank__lte=lookback_sessions)
    )
    by_pk: dict[int, dict[int, dict]] = {}
    for row in list(recent.values(*SESSION_FIELDS)) + list(latest.values(*SESSION_FIELDS)):
        by_pk.setdefault(row["exercise_id"], {})[row["pk"]] = row
    return {exercise_id: sorted(rows.values(), key=lambda r: (r["date"], r["created_at"], r["pk"]))
            for exercise_id, rows in by_pk.items()}


def _next_mornings(patient_ids: set[int], sessions: dict[int, list[dict]],
                   today: dt.date) -> dict[tuple[int, dt.date], tuple[int, dt.datetime]]:
    """(patient id, date) -> (morning pain, when recorded) of the check-ins on the mornings after those sessions."""
    session_dates = [row["date"] for rows in sessions.values() for row in rows]
    if not session_dates:
        return {}
    checkins = MorningCheckIn.objects.filter(
        patient_id__in=patient_ids,
        date__gte=min(session_dates) + dt.timedelta(days=1),
        date__lte=today + dt.timedelta(days=1),
    ).values_list("patient_id", "date", "pain", "updated_at")
    return {(patient_id, date): (pain, at) for patient_id, date, pain, at in checkins}


def _latest_measurements(patient_ids: set[int], today: dt.date) -> dict[int, Measurement]:
    """patient id -> their latest measurement dated on or before today."""
    measurements: dict[int, Measurement] = {}
    # A measurement dated after today (a typing slip) must not hide the real latest one.
    for measurement in Measurement.objects.filter(patient_id__in=patient_ids, date__lte=today).order_by(
            "patient_id", "-date", "-created_at", "-pk"):
        measurements.setdefault(measurement.patient_id, measurement)
    return measurements


def _engine_ladders(ids: list[int]) -> dict[int, list[dict]]:
    """exercise id -> its ladder, step by step, as the engine reads it."""
    ladders: dict[int, list[dict]] = {}
    for step in AssignedLadderStep.objects.filter(exercise_id__in=ids).order_by("exercise_id", "order"):
        ladders.setdefault(step.exercise_id, []).append(
            {"speed_kmh": float(step.speed_kmh), "incline_pct": float(step.incline_pct),
             "duration_min": step.duration_min}
        )
    return ladders


def _newest_step_versions(ids: list[int]) -> dict[int, tuple[int, dt.datetime]]:
    """exercise id -> (id, created_at) of its newest step version."""
    versions: dict[int, tuple[int, dt.datetime]] = {}
    for exercise_id, pk, created in (
        StepVersion.objects.filter(exercise_id__in=ids).order_by("exercise_id", "-created_at", "-pk")
        .values_list("exercise_id", "pk", "created_at")
    ):
        versions.setdefault(exercise_id, (pk, created))
    return versions


def _engine_number(value) -> float | None:
    return None if value is None else float(value)


def engine_input(exercise: AssignedExercise, evidence: Evidence, *, today: dt.date) -> dict:
    """One exercise's input to `protocols.engine`, in the engine's own terms (progression-rules.md)."""
    assignment = exercise.assignment
    patient = assignment.patient
    measurement = evidence.measurements.get(patient.pk)
    clinic_settings = getattr(patient.clinic, "settings", None)
    return {
        "condition": assignment.condition,
        "today": today.isoformat(),
        "baseline_pain": assignment.baseline_pain,
        "surgery_date": patient.surgery_date.isoformat() if patient.surgery_date else None,
        "frequency_per_week": assignment.sessions_per_week,
        "assignment_start": assignment.start_date.isoformat(),
        "training_days": sorted(day.isoformat() for day in evidence.training_days.get(assignment.pk, ())),
        "ladder": evidence.ladders.get(exercise.pk, []),
        "current_step": exercise.current_step or 0,
        "sessions": [
            {
                "date": row["date"].isoformat(),
                "step": row["step"] if row["step"] is not None else 0,
                "completed": row["completed"],
                "pain_during": row["pain_during"],
                "pain_after": row["pain_after"],
                "pain_next_morning": evidence.next_morning_pain(row),
            }
            for row in evidence.sessions.get(exercise.pk, [])
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


def check_input(exercise: AssignedExercise, evidence: Evidence, *, today: dt.date) -> CheckInput:
    """The engine input of one exercise, with when its evidence was recorded and the ids to apply a decision once."""
    rows = evidence.sessions.get(exercise.pk, [])
    measurement = evidence.measurements.get(exercise.assignment.patient_id)
    version = evidence.step_versions.get(exercise.pk)
    times = [at for row in rows for at in evidence.recorded(row)]
    regress_evidence = {}
    if rows:
        regress_evidence = {"R1": rows[-1]["created_at"],
                            "R3": max(at for row in rows[-2:] for at in evidence.recorded(row))}
    if measurement is not None:
        times.append(measurement.created_at)
    return CheckInput(
        exercise=exercise,
        engine_input=engine_input(exercise, evidence, today=today),
        latest_session_id=rows[-1]["pk"] if rows else None,
        latest_session_created=rows[-1]["created_at"] if rows else None,
        latest_measurement_id=measurement.pk if measurement else None,
        step_version_id=version[0] if version else None,
        step_version_created=version[1] if version else None,
        latest_evidence=max(times) if times else None,
        regress_evidence=regress_evidence,
    )


CATCH_UP_DAYS = 2


def assignments_with_unchecked_evidence(*, now=None, skip_clinic_ids=()) -> list[int]:
    """Active assignments with a session, check-in or measurement saved after their latest check.

    Each save enqueues its check after commit; when that message is lost (broker
    down or hung, a process killed between commit and publish), the hourly tick
    finds the entry here, so it is checked within the hour after the broker is
    back rather than at the next night's sweep. Only entries of the last
    CATCH_UP_DAYS are read (older ones have been swept); five queries.
    """
    since = (now or timezone.now()) - dt.timedelta(days=CATCH_UP_DAYS)
    live = {"status": Assignment.Status.ACTIVE, "patient__clinic__is_active": True}
    sessions = (
        SessionLog.objects.filter(created_at__gte=since, exercise__kind__in=LADDER_KINDS,
                                  **{f"exercise__assignment__{name}": value for name, value in live.items()})
        .exclude(patient__clinic_id__in=skip_clinic_ids)
        .filter(~Exists(ProgressionCheck.objects.filter(exercise_id=OuterRef("exercise_id"),
                                                        updated_at__gte=OuterRef("created_at"))))
    )
    stale = set(sessions.values_list("exercise__assignment_id", flat=True))
    # Check-ins and measurements belong to the patient: compare with the latest check of each active plan.
    latest: dict[int, dt.datetime] = {}
    for model, stamp in ((MorningCheckIn, "updated_at"), (Measurement, "created_at")):
        rows = (model.objects.filter(**{f"{stamp}__gte": since}).exclude(patient__clinic_id__in=skip_clinic_ids)
                .order_by().values("patient_id").annotate(at=Max(stamp)).values_list("patient_id", "at"))
        for patient_id, at in rows:
            latest[patient_id] = max(at, latest.get(patient_id, at))
    if latest:
        plans = dict(Assignment.objects.filter(patient_id__in=latest, **live).values_list("pk", "patient_id"))
        checked = dict(
            ProgressionCheck.objects.filter(exercise__assignment_id__in=plans).order_by()
            .values("exercise__assignment_id").annotate(at=Max("updated_at"))
            .values_list("exercise__assignment_id", "at")
        )
        stale.update(pk for pk, patient_id in plans.items() if pk not in checked or checked[pk] < latest[patient_id])
    return sorted(stale)
