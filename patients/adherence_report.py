"""The adherence report (a selector): one row per assignment over a window, as product.md defines adherence.

Two ways, the same rows and figures (property tests hold them equal):

- `adherence_totals_report`: the totals only, in ONE statement
  (`patients.adherence_sql`), rounded by `patients.adherence`; what the API
  serves without `group_by` (issue 21);
- `adherence_report`: the ORM's three aggregate queries, with each row's ISO
  weeks (`group_by=week`), counted by `patients.adherence` (pure), which the
  patient page's weeks chart uses too.

Both start from `reported_assignments` (the tenancy filter, the window, the
filters) and run a fixed number of queries whatever the number of patients.
The API view that serves the report as JSON or CSV is `patients.api.reports`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db.models import Count, DateField, F, IntegerField, Max, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Cast, Coalesce, TruncWeek

from clinic.dates import REPORT_DATES, sane_clinic_date
from clinic.models import User
from clinic.tenancy import Actor, scope_queryset
from patients.adherence import (
    ActiveRange,
    AdherenceTotals,
    WeekFigures,
    active_range,
    adherence_totals,
    mean,
    week_figures,
)
from patients.adherence_sql import ReportFigures, report_figures
from patients.models import AssignedExercise, Assignment, Flag, SessionLog
from patients.selectors.flags import UNRESOLVED
from patients.selectors.plans import current_phase, step_in_words, with_current_load
from protocols.models import LADDER_KINDS, describe_load

MAX_WINDOW_DAYS = 366
DEFAULT_WINDOW_DAYS = 28


@dataclass
class AdherenceRow:
    assignment: Assignment
    window_start: dt.date
    window_end: dt.date
    active: ActiveRange | None = None  # the active days D inside the window
    done_by_week: dict[dt.date, int] = field(default_factory=dict)
    mean_pain_during: Decimal | None = None
    last_session_date: dt.date | None = None
    current_step: int | None = None
    current_step_words: str = ""
    open_flags: int = 0

    @cached_property
    def weeks(self) -> list[WeekFigures]:
        """The row's ISO weeks, built only when asked for (group_by=week); the totals do not need them."""
        return week_figures(sessions_per_week=self.assignment.sessions_per_week, active=self.active,
                            done_by_week=self.done_by_week)

    @cached_property
    def totals(self) -> AdherenceTotals:
        return adherence_totals(sessions_per_week=self.assignment.sessions_per_week, active=self.active,
                                done_by_week=self.done_by_week)

    @property
    def prescribed(self) -> Decimal:
        return self.totals.prescribed

    @property
    def completed_days(self) -> int:
        return self.totals.done

    @property
    def adherence_pct(self) -> Decimal | None:
        return self.totals.adherence_pct


class ReportWindowError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def report_window(*, start: dt.date | None, end: dt.date | None, today: dt.date) -> tuple[dt.date, dt.date]:
    """The window to report on: the last 28 days by default, at most 366 days, inside REPORT_DATES."""
    for name, value in (("start", start), ("end", end)):
        if value is not None:
            try:
                sane_clinic_date(value, name, today=today, within=REPORT_DATES)
            except ValidationError as error:
                raise ReportWindowError(name, error.message_dict[name][0]) from None
    if end is None:
        end = today if start is None else min(start + dt.timedelta(days=DEFAULT_WINDOW_DAYS - 1), today)
    if start is None:
        start = end - dt.timedelta(days=DEFAULT_WINDOW_DAYS - 1)
    if end < start:
        raise ReportWindowError("end", "must not be before start")
    if (end - start).days + 1 > MAX_WINDOW_DAYS:
        raise ReportWindowError("end", f"the window can be at most {MAX_WINDOW_DAYS} days")
    return start, end


def _sessions_in_active_days(ids: list[int], start: dt.date, end: dt.date, today: dt.date):
    """Sessions inside each assignment's active days D (a database-side join on its own dates)."""
    return (
        SessionLog.objects.filter(exercise__assignment_id__in=ids, date__gte=start, date__lte=min(end, today))
        .filter(date__gte=F("exercise__assignment__start_date"))
        .filter(Q(exercise__assignment__end_date__isnull=True) | Q(date__lte=F("exercise__assignment__end_date")))
    )


def _week_figures_and_pain(in_d) -> tuple[dict[int, dict[dt.date, int]], dict[int, tuple[int, int]]]:
    """One aggregate pass over the sessions in D: completed days per assignment and ISO week,
    and the pain-during sum and count per assignment (for the mean)."""
    done: dict[int, dict[dt.date, int]] = {}
    pain: dict[int, tuple[int, int]] = {}
    # The week comes back as a date (not the timestamp DATE_TRUNC gives): a year-long report
    # reads ~50 rows per assignment, and parsing and converting timestamps was most of its time.
    for assignment_id, week, days, pain_sum, sessions in (
        in_d.annotate(week=Cast(TruncWeek("date"), DateField()))
        .values("exercise__assignment_id", "week")
        # Count pain_during (never null), not pk: the covering index (exercise, date) INCLUDE (completed,
        # pain_during) then answers the query alone, reading only the window's rows (docs/performance-years.md).
        .annotate(days=Count("date", distinct=True, filter=Q(completed=True)), pain_sum=Sum("pain_during"),
                  sessions=Count("pain_during"))
        .order_by()
        .values_list("exercise__assignment_id", "week", "days", "pain_sum", "sessions")
    ):
        if days:
            done.setdefault(assignment_id, {})[week] = days
        total, count = pain.get(assignment_id, (0, 0))
        pain[assignment_id] = (total + pain_sum, count + sessions)
    return done, pain


def adherence_report(
    *,
    actor: Actor,
    start: dt.date,
    end: dt.date,
    today: dt.date,
    therapist_id: int | None = None,
    patient_id: int | None = None,
    condition: str | None = None,
    assignment_ids: list[int] | None = None,
) -> list[AdherenceRow]:
    """One row per assignment the actor may see that overlaps the window or is active now.

    Assignments active now but starting after the window are listed with null
    adherence (nothing was prescribed inside the window), so a current
    patient never silently drops out of a report.
    """
    assignments = list(_assignments_reported(reported_assignments(
        actor=actor, start=start, end=end, therapist_id=therapist_id, patient_id=patient_id, condition=condition,
        assignment_ids=assignment_ids), end))
    ids = [a.pk for a in assignments]

    done, pain_totals = _week_figures_and_pain(_sessions_in_active_days(ids, start, end, today))
    steps = _current_steps(actor, ids)
    rows = []
    for assignment in assignments:
        exercise = steps.get(assignment.pk)
        rows.append(AdherenceRow(
            assignment=assignment,
            window_start=start,
            window_end=end,
            active=active_range(start_date=assignment.start_date, end_date=assignment.end_date,
                                window=(start, end), today=today),
            done_by_week=done.get(assignment.pk, {}),
            mean_pain_during=mean(*pain_totals.get(assignment.pk, (0, 0))),
            last_session_date=assignment.last_session_date,
            current_step=exercise.current_step if exercise else None,
            current_step_words=step_in_words(exercise) if exercise else "",
            open_flags=assignment.open_flags,
        ))
    return rows


class ReportTotals(NamedTuple):
    """One row of the report as the API lists it without weeks, from the one-statement report."""

    assignment_id: int
    patient_id: int
    external_ref: str
    therapist: str | None
    protocol: str
    condition: str
    prescribed: Decimal
    completed_days: int
    adherence_pct: Decimal | None
    mean_pain_during: Decimal | None
    last_session_date: dt.date | None
    current_step: int | None
    current_step_words: str
    open_flags: int


def adherence_totals_report(
    *,
    actor: Actor,
    start: dt.date,
    end: dt.date,
    today: dt.date,
    therapist_id: int | None = None,
    patient_id: int | None = None,
    condition: str | None = None,
    assignment_ids: list[int] | None = None,
) -> list[ReportTotals]:
    """The rows of `adherence_report` with their totals only (no weeks), in ONE query.

    The database sums whole sevenths (`patients.adherence_sql`); the figures
    are rounded here by `patients.adherence`, as in every other place.
    """
    figures = report_figures(reported_assignments(
        actor=actor, start=start, end=end, therapist_id=therapist_id, patient_id=patient_id, condition=condition,
        assignment_ids=assignment_ids), start=start, end=end, today=today)
    # A report names a handful of therapists and ladder steps: each is put in words once.
    therapists: dict[tuple, str] = {}
    loads: dict[tuple, str] = {}
    return [_totals(row, therapists, loads) for row in figures]


def _totals(row: ReportFigures, therapists: dict[tuple, str], loads: dict[tuple, str]) -> ReportTotals:
    therapist = None
    if row.therapist_email is not None:
        key = (row.therapist_first_name, row.therapist_last_name, row.therapist_email)
        if key not in therapists:  # as a User names itself
            therapists[key] = str(User(first_name=key[0], last_name=key[1], email=key[2]))
        therapist = therapists[key]
    load = ""
    if row.step_speed is not None:
        key = (row.step_speed, row.step_incline, row.step_duration)
        if key not in loads:
            loads[key] = describe_load(_as_decimal(row.step_speed), _as_decimal(row.step_incline), row.step_duration)
        load = loads[key]
    totals = AdherenceTotals(row.prescribed_sevenths, row.credited_sevenths, row.done_days)
    return ReportTotals(
        assignment_id=row.assignment_id,
        patient_id=row.patient_id,
        external_ref=row.external_ref,
        therapist=therapist,
        protocol=row.protocol_name,
        condition=row.condition,
        prescribed=totals.prescribed,
        completed_days=totals.done,
        adherence_pct=totals.adherence_pct,
        mean_pain_during=mean(row.pain_total, row.pain_count),
        last_session_date=_as_date(row.last_session_date),
        current_step=row.current_step,
        current_step_words=load,
        open_flags=row.open_flags,
    )


def _as_date(value) -> dt.date | None:
    """A date as the database gives it (SQLite: ISO text for a computed column)."""
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _as_decimal(value) -> Decimal | None:
    """A decimal as the database gives it (SQLite: a float or an int)."""
    return value if value is None or isinstance(value, Decimal) else Decimal(str(value))


def reported_assignments(*, actor: Actor, start: dt.date, end: dt.date, therapist_id: int | None = None,
                         patient_id: int | None = None, condition: str | None = None,
                         assignment_ids: list[int] | None = None):
    """The assignments a report lists: the actor's, overlapping [start, end] or active now, narrowed by the
    report's filters. Both ways of computing the report start from this queryset."""
    assignments = (
        scope_queryset(Assignment.objects.all(), actor)
        .filter(Q(status=Assignment.Status.ACTIVE) | Q(start_date__lte=end, end_date__isnull=True)
                | Q(start_date__lte=end, end_date__gte=start))
    )
    if therapist_id is not None:
        assignments = assignments.filter(patient__therapist_id=therapist_id)
    if patient_id is not None:
        assignments = assignments.filter(patient_id=patient_id)
    if condition:
        assignments = assignments.filter(condition=condition)
    if assignment_ids is not None:
        assignments = assignments.filter(pk__in=assignment_ids)
    return assignments


def _assignments_reported(assignments, end: dt.date):
    """These assignments with their patient and therapist, open flags and last session date, in report order."""
    open_flags = (
        Flag.objects.filter(exercise__assignment=OuterRef("pk"), status__in=UNRESOLVED)
        .order_by().values("exercise__assignment").annotate(n=Count("pk")).values("n")
    )
    # Newest session per assignment: the newest of each of its exercises (one backward read of the
    # (exercise, date) index each), then the latest of those. Ordering all the plan's sessions by date
    # instead read every session of the plan to keep one (issue 21; docs/performance-years.md).
    newest_of_exercise = (SessionLog.objects.filter(exercise_id=OuterRef("pk"), date__lte=end)
                          .order_by("-date").values("date")[:1])
    newest = (AssignedExercise.objects.filter(assignment_id=OuterRef("pk")).order_by()
              .values("assignment_id").annotate(newest=Max(Subquery(newest_of_exercise))).values("newest"))
    return (
        assignments
        .select_related("patient", "patient__therapist")
        .annotate(open_flags=Coalesce(Subquery(open_flags, output_field=IntegerField()), 0),
                  last_session_date=Subquery(newest))
        .order_by("patient__last_name", "patient__first_name", "patient_id", "start_date", "pk")
    )


def _current_steps(actor: Actor, ids: list[int]) -> dict[int, AssignedExercise]:
    """assignment id -> the first ladder exercise of its current phase, with its current load (one query)."""
    steps: dict[int, AssignedExercise] = {}
    for exercise in with_current_load(
        scope_queryset(AssignedExercise.objects.all(), actor)
        .filter(assignment_id__in=ids, kind__in=LADDER_KINDS, phase_id=current_phase("assignment_id"))
        .order_by("assignment_id", "order")
    ):
        steps.setdefault(exercise.assignment_id, exercise)
    return steps
