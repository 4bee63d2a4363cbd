"""Adherence reports (selectors): computed exactly as product.md defines adherence.

For one assignment and a window [start, end]:
- active days D: the days the assignment was active (start date to end date,
  or today) inside the window;
- per ISO week w: prescribed_w = sessions_per_week x active_days_w / 7 and
  done_w = distinct days of D in w with at least one completed session;
- adherence % = 100 x sum(min(done_w, prescribed_w)) / sum(prescribed_w), one
  decimal, null when sum(prescribed_w) is 0.

The database does the counting (distinct training days per assignment and
week, mean pain, last session) in a fixed number of aggregate queries,
whatever the number of patients; the per-week arithmetic is exact (fractions)
and done in Python on those few numbers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import cached_property
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db.models import Count, DateField, F, IntegerField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Cast, Coalesce, TruncWeek

from clinic.dates import REPORT_DATES, sane_clinic_date
from clinic.tenancy import Actor, scope_queryset
from patients.models import AssignedExercise, Assignment, Flag, PhaseVersion, SessionLog
from patients.selectors import UNRESOLVED, step_in_words, with_current_load
from protocols.models import LADDER_KINDS

MAX_WINDOW_DAYS = 366
DEFAULT_WINDOW_DAYS = 28


class WeekFigures(NamedTuple):
    """One ISO week of an assignment's active days. A named tuple: a year-long clinic report makes ~50,000."""

    week_start: dt.date
    active_days: int
    sessions_per_week: int
    done: int

    # Sums run in sevenths, which are whole numbers, so they stay exact without building a
    # Fraction per week.
    @property
    def prescribed_sevenths(self) -> int:
        """7 x prescribed_w = sessions_per_week x active_days_w."""
        return self.sessions_per_week * self.active_days

    @property
    def credited_sevenths(self) -> int:
        """7 x min(done_w, prescribed_w)."""
        return min(7 * self.done, self.sessions_per_week * self.active_days)

    @property
    def prescribed(self) -> Fraction:
        return Fraction(self.prescribed_sevenths, 7)

    @property
    def credited(self) -> Fraction:
        return Fraction(self.credited_sevenths, 7)


@dataclass
class AdherenceRow:
    assignment: Assignment
    window_start: dt.date
    window_end: dt.date
    active: tuple[dt.date, dt.date] | None = None  # the active days D inside the window
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
    def totals(self) -> tuple[int, int, int]:
        return adherence_totals(sessions_per_week=self.assignment.sessions_per_week, active=self.active,
                                done_by_week=self.done_by_week)

    @property
    def prescribed(self) -> Decimal:
        return to_decimal(Fraction(self.totals[0], 7), "0.01")

    @property
    def completed_days(self) -> int:
        return self.totals[2]

    @property
    def adherence_pct(self) -> Decimal | None:
        prescribed, credited, _done = self.totals
        return None if prescribed == 0 else to_decimal(Fraction(100 * credited, prescribed), "0.1")


def to_decimal(value: Fraction, places: str) -> Decimal:
    """Round an exact fraction half up to `places` (e.g. "0.1")."""
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal(places), rounding=ROUND_HALF_UP)


def adherence_pct(weeks: list[WeekFigures]) -> Decimal | None:
    prescribed = sum(w.prescribed_sevenths for w in weeks)
    if prescribed == 0:
        return None
    return to_decimal(Fraction(100 * sum(w.credited_sevenths for w in weeks), prescribed), "0.1")


def active_range(assignment: Assignment, start: dt.date, end: dt.date,
                 today: dt.date) -> tuple[dt.date, dt.date] | None:
    """The active days D of an assignment inside [start, end], as a closed range, or None."""
    first = max(assignment.start_date, start)
    last = min(assignment.end_date or today, end)
    return (first, last) if first <= last else None


def adherence_totals(*, sessions_per_week: int, active: tuple[dt.date, dt.date] | None,
                     done_by_week: dict[dt.date, int]) -> tuple[int, int, int]:
    """(7 x sum(prescribed_w), 7 x sum(min(done_w, prescribed_w)), sum(done_w)) over the active range.

    The same sums as over week_figures(), without building the weeks: the
    prescribed total is sessions_per_week x all active days, and only weeks
    with a training day can be credited.
    """
    if active is None:
        return 0, 0, 0
    first, last = active[0].toordinal(), active[1].toordinal()
    credited = done_days = 0
    for week_start, done in done_by_week.items():
        monday = week_start.toordinal()
        days = min(monday + 6, last) - max(monday, first) + 1
        if days > 0:
            credited += min(7 * done, sessions_per_week * days)
            done_days += done
    return sessions_per_week * (last - first + 1), credited, done_days


def week_figures(*, sessions_per_week: int, active: tuple[dt.date, dt.date] | None,
                 done_by_week: dict[dt.date, int]) -> list[WeekFigures]:
    """Per ISO week (Monday start) of the active range: active days, prescribed and done."""
    if active is None:
        return []
    first, last = active[0].toordinal(), active[1].toordinal()
    weeks = []
    # Day numbers rather than dates: this loop runs once per week of every assignment in a report.
    monday = first - active[0].weekday()
    while monday <= last:
        days = min(monday + 6, last) - max(monday, first) + 1
        week_start = dt.date.fromordinal(monday)
        weeks.append(WeekFigures(week_start, days, sessions_per_week, done_by_week.get(week_start, 0)))
        monday += 7
    return weeks


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
        .annotate(days=Count("date", distinct=True, filter=Q(completed=True)), pain_sum=Sum("pain_during"),
                  sessions=Count("pk"))
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
    open_flags = (
        Flag.objects.filter(exercise__assignment=OuterRef("pk"), status__in=UNRESOLVED)
        .order_by().values("exercise__assignment").annotate(n=Count("pk")).values("n")
    )
    # Newest session per assignment as a correlated subquery: a few index reads on (exercise, date)
    # per assignment, instead of reading and grouping every session of the window.
    newest = (SessionLog.objects.filter(exercise__assignment_id=OuterRef("pk"), date__lte=end)
              .order_by("-date").values("date")[:1])
    assignments = (
        scope_queryset(Assignment.objects.all(), actor)
        .filter(Q(status=Assignment.Status.ACTIVE) | Q(start_date__lte=end, end_date__isnull=True)
                | Q(start_date__lte=end, end_date__gte=start))
        .select_related("patient", "patient__therapist")
        .annotate(open_flags=Coalesce(Subquery(open_flags, output_field=IntegerField()), 0),
                  last_session_date=Subquery(newest))
        .order_by("patient__last_name", "patient__first_name", "patient_id", "start_date", "pk")
    )
    if therapist_id is not None:
        assignments = assignments.filter(patient__therapist_id=therapist_id)
    if patient_id is not None:
        assignments = assignments.filter(patient_id=patient_id)
    if condition:
        assignments = assignments.filter(condition=condition)
    if assignment_ids is not None:
        assignments = assignments.filter(pk__in=assignment_ids)
    assignments = list(assignments)
    ids = [a.pk for a in assignments]

    in_d = _sessions_in_active_days(ids, start, end, today)
    done, pain_totals = _week_figures_and_pain(in_d)
    pains = {a: Fraction(total, count) for a, (total, count) in pain_totals.items() if count}
    # The current phase is each assignment's newest phase version, resolved in the same query.
    current_phase = (PhaseVersion.objects.filter(assignment=OuterRef("assignment_id"))
                     .order_by("-created_at", "-id").values("phase_id")[:1])
    steps = {}
    for exercise in with_current_load(
        scope_queryset(AssignedExercise.objects.all(), actor)
        .filter(assignment_id__in=ids, kind__in=LADDER_KINDS, phase_id=Subquery(current_phase))
        .order_by("assignment_id", "order")
    ):
        steps.setdefault(exercise.assignment_id, exercise)

    rows = []
    for assignment in assignments:
        mean = pains.get(assignment.pk)
        exercise = steps.get(assignment.pk)
        rows.append(AdherenceRow(
            assignment=assignment,
            window_start=start,
            window_end=end,
            active=active_range(assignment, start, end, today),
            done_by_week=done.get(assignment.pk, {}),
            mean_pain_during=None if mean is None else to_decimal(mean, "0.1"),
            last_session_date=assignment.last_session_date,
            current_step=exercise.current_step if exercise else None,
            current_step_words=step_in_words(exercise) if exercise else "",
            open_flags=assignment.open_flags,
        ))
    return rows
