"""Remote monitoring's reads: the rule book, a patient's panel, the clinic's current list and the billing report.

Each read takes a fixed number of queries whatever the number of patients:
the episodes, the rules, the days with data (sessions and check-ins in one
UNION) and the minutes per month; `monitoring.periods` does the arithmetic.
Patient data is read through patients' models with these queries of our
own, always through the one tenancy filter (clinic.tenancy.scope_queryset).
Questionnaire answers will count as days with data once they exist: their
dates join the UNION in `data_days`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import TruncMonth

from clinic.models import User
from clinic.tenancy import Actor, scope_queryset
from monitoring import periods
from monitoring.models import BillingCode, Enrolment, RunningTimer, TimeEntry
from monitoring.periods import CodeUnits, MonthProgress, MonthTime, Period, PeriodStatus
from outcomes.models import QuestionnaireResponse
from patients.models import Assignment, MorningCheckIn, Patient, SessionLog

# Episodes a few weeks either side of a report window can share a calendar month with its periods; they are
# read too, so each month's codes are listed on the same row whatever the window (periods.month_owners).
MONTH_REACH = dt.timedelta(days=62)


def rule_book() -> periods.RuleBook:
    """Every billing code's rule, of every year (one query)."""
    return periods.RuleBook(code.as_rule() for code in BillingCode.objects.all())


def data_days(patients: QuerySet, first: dt.date, last: dt.date) -> dict[int, set[dt.date]]:
    """patient id -> the patient-local days from `first` to `last` with a session, a check-in or a submitted
    questionnaire (one query).

    `patients` is a query of patient ids (a subquery: no id list to grow with
    the clinic). Every entry is dated by the patient's own day (a questionnaire
    by the clinic day it was submitted on).
    """
    sessions = SessionLog.objects.filter(patient_id__in=patients, date__range=(first, last)).order_by()
    checkins = MorningCheckIn.objects.filter(patient_id__in=patients, date__range=(first, last)).order_by()
    answered = QuestionnaireResponse.objects.filter(patient_id__in=patients, status="submitted",
                                                    answered_on__range=(first, last)).order_by()
    days: dict[int, set[dt.date]] = defaultdict(set)
    for patient_id, day in sessions.values_list("patient_id", "date").union(
            checkins.values_list("patient_id", "date"), answered.values_list("patient_id", "answered_on")):
        days[patient_id].add(day)
    return days


def month_minutes(patients: QuerySet, first: dt.date, last: dt.date) -> dict[tuple[int, dt.date], MonthTime]:
    """(patient id, first day of month) -> the month's minutes and whether any entry was interactive (one query)."""
    rows = (TimeEntry.objects.filter(patient_id__in=patients, date__range=(first, last)).order_by()
            .annotate(month=TruncMonth("date")).values("patient_id", "month")
            .annotate(minutes=Sum("minutes"), calls=Count("pk", filter=Q(interactive=True))))
    return {(row["patient_id"], _as_date(row["month"])): MonthTime(row["minutes"], row["calls"] > 0) for row in rows}


def _as_date(value) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _episodes(actor: Actor) -> QuerySet:
    return scope_queryset(Enrolment.objects.select_related("patient", "patient__therapist", "assignment"), actor)


def _running_on(day: dt.date) -> Q:
    """Episodes running on `day`: set up by then, not unenrolled before it, their plan not ended before it."""
    return (Q(setup_date__lte=day) & (Q(last_day__isnull=True) | Q(last_day__gte=day))
            & (Q(assignment__end_date__isnull=True) | Q(assignment__end_date__gte=day)))


# ---------------------------------------------------------------------------
# The clinic's list: the current period and month of every enrolled patient
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CurrentRow:
    """An enrolled patient today: the period running, where it stands, and this month's minutes."""

    episode: Enrolment
    period: Period
    status: PeriodStatus
    progress: MonthProgress
    codes: list[CodeUnits]  # this period's codes met so far (the set-up, a device code)

    @property
    def patient(self) -> Patient:
        return self.episode.patient

    @property
    def label(self) -> str:
        return periods.status_label(self.status)

    @property
    def words(self) -> str:
        return periods.status_words(self.status)

    @property
    def met(self) -> list[CodeUnits]:
        """Everything met so far: the period's codes and this month's."""
        return sorted(self.codes + self.progress.codes)


def clinic_overview(*, actor: Actor, today: dt.date, therapist_id: int | None = None) -> list[CurrentRow]:
    """Every patient enrolled today (of one therapist if given), the neediest group first: at risk, no data,
    2–15 days, on track; by name within a group. Four queries."""
    episodes = _episodes(actor).filter(_running_on(today))
    if therapist_id:
        episodes = episodes.filter(patient__therapist_id=therapist_id)
    found = list(episodes)
    if not found:
        return []
    current = {e.pk: e.periods_through(today)[-1] for e in found}
    ids = episodes.values("patient_id")
    days = data_days(ids, min(p.start for p in current.values()), today)
    month = periods.month_of(today)
    minutes = month_minutes(ids, month, today)
    rules = rule_book()
    rows = []
    for episode in found:
        period, dates = current[episode.pk], days.get(episode.patient_id, set())
        rows.append(CurrentRow(
            episode=episode, period=period,
            status=periods.period_status(period=period, dates=dates, today=today, rules=rules),
            progress=periods.month_progress(month=month, time=minutes.get((episode.patient_id, month), MonthTime()),
                                            rules=rules),
            codes=periods.period_codes(period=period, days=periods.days_with_data(dates, period), rules=rules),
        ))
    order = {status: n for n, status in enumerate(periods.STATUS_ORDER)}
    rows.sort(key=lambda r: (order[r.status.status], r.patient.last_name.lower(), r.patient.first_name.lower(),
                             r.patient.pk))
    return rows


def clinic_staff(actor: Actor) -> QuerySet:
    """The clinic's active staff, for the therapist filter."""
    return User.objects.filter(memberships__clinic=actor.clinic, is_active=True).order_by("first_name", "last_name")


# ---------------------------------------------------------------------------
# The billing report: one row per patient and period
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthLine:
    """A calendar month a period touches: its minutes, and its codes (listed on one row only: `listed_here`)."""

    month: dt.date
    minutes: int
    interactive: bool
    codes: list[CodeUnits]
    listed_here: bool


@dataclass(frozen=True)
class ReportRow:
    episode: Enrolment
    period: Period
    days: int
    in_progress: bool
    months: list[MonthLine]
    codes: list[CodeUnits]  # the period's codes, and those of the months listed here

    @property
    def patient(self) -> Patient:
        return self.episode.patient


def rtm_report(*, actor: Actor, start: dt.date, end: dt.date, today: dt.date, therapist_id: int | None = None,
               patient_id: int | None = None) -> list[ReportRow]:
    """Every period that has started and overlaps [start, end], by patient, episode and period: its days with
    data, the minutes of each month it touches, and the codes whose thresholds are met. Four queries.

    A period still running is reported with its days so far (`in_progress`).
    Each month's management codes are listed on the last period touching it
    (`periods.month_owners`), so adding up the rows never counts a month twice.
    """
    episodes = (_episodes(actor).filter(setup_date__lte=end + MONTH_REACH)
                .exclude(last_day__lt=start - MONTH_REACH).exclude(assignment__end_date__lt=start - MONTH_REACH))
    if therapist_id:
        episodes = episodes.filter(patient__therapist_id=therapist_id)
    if patient_id:
        episodes = episodes.filter(patient_id=patient_id)
    all_periods: dict[int, list[tuple[Enrolment, Period]]] = defaultdict(list)
    for episode in episodes.order_by("patient_id", "setup_date", "pk"):
        all_periods[episode.patient_id] += [(episode, period) for period in episode.periods_through(today)]
    selected = [(e, p) for pairs in all_periods.values() for e, p in pairs if p.overlaps(start, end)]
    if not selected:
        return []
    ids = episodes.values("patient_id")
    days = data_days(ids, min(p.start for _e, p in selected), min(max(p.end for _e, p in selected), today))
    months = sorted({m for _e, p in selected for m in p.months()})
    minutes = month_minutes(ids, months[0], periods.month_last_day(months[-1]))
    rules = rule_book()
    owners = {pid: periods.month_owners(((e.pk, p.number), p) for e, p in pairs) for pid, pairs in all_periods.items()}
    indexes = {pid: periods.DayIndex(dates) for pid, dates in days.items()}
    empty = periods.DayIndex(())
    month_codes: dict[tuple[int, dt.date], list[CodeUnits]] = {}  # a month is on up to three rows: work it out once
    rows = []
    for episode, period in selected:
        pid = episode.patient_id
        count = indexes.get(pid, empty).count(period)
        lines = []
        for month in period.months():
            time = minutes.get((pid, month), MonthTime())
            if (pid, month) not in month_codes:
                month_codes[pid, month] = periods.month_codes(month=month, time=time, rules=rules)
            lines.append(MonthLine(month, time.minutes, time.interactive, month_codes[pid, month],
                                   owners[pid].get(month) == (episode.pk, period.number)))
        codes = periods.period_codes(period=period, days=count, rules=rules)
        codes += [c for line in lines if line.listed_here for c in line.codes]
        rows.append(ReportRow(episode, period, count, period.contains(today), lines, sorted(codes)))
    return rows


# ---------------------------------------------------------------------------
# One patient: the panel on their page
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OwnTimer:
    """The viewer's running timer: on which patient, since when."""

    patient_id: int
    patient_name: str
    started_at: dt.datetime


@dataclass
class Panel:
    """What the patient page's remote-monitoring panel shows."""

    patient: Patient
    has_plan: bool
    timer: OwnTimer | None
    episode: Enrolment | None = None  # the latest episode, running or not
    running: bool = False  # the episode runs today
    period: Period | None = None
    status: PeriodStatus | None = None
    codes: list[CodeUnits] | None = None
    month: dt.date | None = None
    progress: MonthProgress | None = None
    entries: list[TimeEntry] | None = None  # this month's, newest first

    @property
    def timer_here(self) -> bool:
        return self.timer is not None and self.timer.patient_id == self.patient.pk

    @property
    def label(self) -> str:
        return periods.status_label(self.status) if self.status else ""

    @property
    def words(self) -> str:
        return periods.status_words(self.status) if self.status else ""


def patient_panel(*, patient: Patient, user, today: dt.date) -> Panel:
    """The panel of one patient for one staff member: one query when the patient was never enrolled, five when
    enrolled (the episode, its days, this month's entries, the rules)."""
    timers = RunningTimer.objects.filter(user=OuterRef("pk"))
    facts = User.objects.filter(pk=user.pk).annotate(
        timer_patient=Subquery(timers.values("patient_id")[:1]),
        timer_started=Subquery(timers.values("started_at")[:1]),
        timer_first=Subquery(timers.values("patient__first_name")[:1]),
        timer_last=Subquery(timers.values("patient__last_name")[:1]),
        episode_id=Subquery(Enrolment.objects.filter(patient_id=patient.pk).order_by("-setup_date", "-pk")
                            .values("pk")[:1]),
        plan_id=Subquery(Assignment.objects.filter(patient_id=patient.pk, status=Assignment.Status.ACTIVE)
                         .values("pk")[:1]),
    ).values("timer_patient", "timer_started", "timer_first", "timer_last", "episode_id", "plan_id").get()
    timer = None
    if facts["timer_patient"] is not None:
        timer = OwnTimer(facts["timer_patient"], f"{facts['timer_first']} {facts['timer_last']}".strip(),
                         facts["timer_started"])
    panel = Panel(patient=patient, has_plan=facts["plan_id"] is not None, timer=timer)
    if facts["episode_id"] is None:
        return panel
    episode = Enrolment.objects.select_related("assignment").get(pk=facts["episode_id"])
    episode.patient = patient
    panel.episode = episode
    started = episode.periods_through(today)
    end, _why = episode.end()
    panel.running = bool(started) and (end is None or end >= today)
    if not panel.running:
        return panel
    period = started[-1]
    ids = Patient.objects.filter(pk=patient.pk).values("pk")
    dates = data_days(ids, period.start, today).get(patient.pk, set())
    month = periods.month_of(today)
    entries = list(TimeEntry.objects.filter(patient=patient, date__range=(month, today)).select_related("author"))
    for entry in entries:
        entry.patient = patient
    time = periods.month_totals((e.date, e.minutes, e.interactive) for e in entries).get(month, MonthTime())
    rules = rule_book()
    panel.period, panel.month, panel.entries = period, month, entries
    panel.status = periods.period_status(period=period, dates=dates, today=today, rules=rules)
    panel.codes = periods.period_codes(period=period, days=periods.days_with_data(dates, period), rules=rules)
    panel.progress = periods.month_progress(month=month, time=time, rules=rules)
    return panel


def open_episode(*, patient: Patient) -> Enrolment | None:
    """The patient's episode not yet unenrolled (its plan may have ended since), with its plan."""
    return Enrolment.objects.select_related("assignment").filter(patient=patient, last_day__isnull=True).first()


def patient_report(*, actor: Actor, patient: Patient, today: dt.date) -> list[ReportRow]:
    """Every period of every episode of one patient, from the first set-up to today (the report's rows)."""
    first = patient.rtm_episodes.order_by("setup_date").values_list("setup_date", flat=True).first()
    if first is None:
        return []
    return rtm_report(actor=actor, start=first, end=today, today=today, patient_id=patient.pk)


def patient_entries(*, patient: Patient) -> QuerySet:
    """All of a patient's management-time entries, newest first, with their authors (for a paginated list)."""
    return TimeEntry.objects.filter(patient=patient).select_related("author", "patient")
