"""Remote-monitoring arithmetic, pure: periods, days with data, minutes, status and the codes whose thresholds are met.

Plain values in (dates, numbers, `Rule`), plain values out; no ORM, so every
rule here can be checked by hand (monitoring/tests/test_periods.py does).
The selectors read the rows and call these functions; the facts they apply
are in ../shared/docs/interop.md ("Remote therapeutic monitoring"):

- An *episode* starts on its set-up date. Its 30-day *periods* follow one
  another from that day (day 1 to day 30, day 31 to day 60, ...) until the
  episode ends: the patient is unenrolled (the last day of monitoring) or the
  plan ends (its end date). A period cut short by the end is *truncated*: it
  keeps its real last day and says why (`end_reason`); its codes are judged
  by the same thresholds on the days it has.
- A *day with data* is a patient-local day on which the patient logged a
  session or answered the morning check-in (each dated by the patient's own
  day, so two entries on one day are one day).
- Management *minutes* count per calendar month, with whether at least one
  entry was a real-time interactive communication.
- A code is judged by the rules in force on its date of service: the set-up
  date for the once-per-episode set-up code, the period's last day for a
  device code, the month's last day for management codes. A period from
  20 December 2025 to 18 January 2026 is judged by 2026's rules.
- Mutually exclusive codes (a rule's `excludes`, either way round) are never
  both reported for one period or month: the one with the higher threshold
  stays (98977 over 98985, 98980 over 98979), and an additional-minutes code
  goes only with the code it adds to (98981 with 98980, never with 98979).
"""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

PERIOD_DAYS = 30

# What a rule is counted per (BillingCode.CountedPer holds the same values).
EPISODE = "episode"  # once per episode of care: the set-up
PERIOD = "period"  # per 30-day period, by days with data
MONTH = "month"  # per calendar month, the first block of minutes
MONTH_ADDITIONAL = "month_additional"  # each further block of minutes in the month

# Why a period is shorter than 30 days.
PLAN_ENDED = "plan_ended"
UNENROLLED = "unenrolled"

# Where a patient stands in the current period.
ON_TRACK = "on_track"
PARTIAL = "partial"
AT_RISK = "at_risk"
NO_DATA = "no_data"
NO_RULES = "no_rules"
# The order the clinic page lists them in: those who need something done first.
STATUS_ORDER = (AT_RISK, NO_DATA, PARTIAL, ON_TRACK, NO_RULES)


@dataclass(frozen=True)
class Rule:
    """One billing code's rule as plain values (a BillingCode row), in force from `effective_from` to
    `effective_to` inclusive (open-ended when None)."""

    code: str
    counted_per: str
    effective_from: dt.date
    effective_to: dt.date | None = None
    min_days: int | None = None
    max_days: int | None = None
    min_minutes: int | None = None
    requires_interactive: bool = False
    adds_to: str = ""
    excludes: frozenset[str] = frozenset()

    def in_force_on(self, day: dt.date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)

    @property
    def threshold(self) -> int:
        """What ranks mutually exclusive codes: the higher threshold stays."""
        return self.min_days or self.min_minutes or 0


class RuleBook:
    """Every rule, with the answers to "which are in force on this day?" kept: a year's report asks it for each
    period and month, and the answer changes once a year."""

    def __init__(self, rules: Iterable[Rule]):
        self.rules = tuple(rules)
        self._on: dict[tuple[dt.date, str | None], list[Rule]] = {}

    def on(self, day: dt.date, counted_per: str | None = None) -> list[Rule]:
        key = (day, counted_per)
        if key not in self._on:
            self._on[key] = [r for r in self.rules
                             if r.in_force_on(day) and (counted_per is None or r.counted_per == counted_per)]
        return self._on[key]


def rules_on(rules: RuleBook | Iterable[Rule], day: dt.date, counted_per: str | None = None) -> list[Rule]:
    """The rules in force on `day` (of one counted_per if given)."""
    book = rules if isinstance(rules, RuleBook) else RuleBook(rules)
    return book.on(day, counted_per)


def _excluded(a: Rule, b: Rule) -> bool:
    return a.code in b.excludes or b.code in a.excludes


def without_exclusions(met: Iterable[Rule]) -> list[Rule]:
    """The met codes that may be reported together: highest threshold first, dropping any code that excludes
    (or is excluded by) one already kept. Ties keep the lower code number, so the answer never depends on order."""
    kept: list[Rule] = []
    for rule in sorted(met, key=lambda r: (-r.threshold, r.code)):
        if not any(_excluded(rule, other) for other in kept):
            kept.append(rule)
    return sorted(kept, key=lambda r: r.code)


@dataclass(frozen=True, order=True)
class CodeUnits:
    """A code whose threshold is met, and how many times (98981 counts each additional block)."""

    code: str
    units: int = 1

    def __str__(self) -> str:
        return self.code if self.units == 1 else f"{self.code} x{self.units}"


def codes_text(codes: Iterable[CodeUnits]) -> str:
    """"98975 98977 98981 x2": one cell of a CSV, in code order."""
    return " ".join(str(c) for c in sorted(codes))


# ---------------------------------------------------------------------------
# Periods
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """One period of an episode: day `start` to day `end` inclusive, 30 days unless the episode ended first."""

    number: int  # 1 for the period that starts on the set-up date
    start: dt.date
    end: dt.date
    end_reason: str | None = None  # PLAN_ENDED or UNENROLLED when truncated

    @property
    def length(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def truncated(self) -> bool:
        return self.end_reason is not None

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    def overlaps(self, first: dt.date, last: dt.date) -> bool:
        return self.start <= last and first <= self.end

    def months(self) -> tuple[dt.date, ...]:
        """The first day of each calendar month the period touches (one to three: 31 Jan to 1 Mar is three)."""
        return _months_between(self.start, self.end)


@functools.lru_cache(maxsize=4096)
def _months_between(start: dt.date, end: dt.date) -> tuple[dt.date, ...]:
    months, month = [], month_of(start)
    while month <= end:
        months.append(month)
        month = next_month(month)
    return tuple(months)


def episode_end(*, last_day: dt.date | None, plan_end: dt.date | None) -> tuple[dt.date | None, str | None]:
    """The last day of an episode and why: the plan's end date or the last day of monitoring, whichever first
    (the plan when both fall on one day); (None, None) while neither is set."""
    if plan_end is not None and (last_day is None or plan_end <= last_day):
        return plan_end, PLAN_ENDED
    if last_day is not None:
        return last_day, UNENROLLED
    return None, None


def episode_periods(*, setup_date: dt.date, through: dt.date, last_day: dt.date | None = None,
                    plan_end: dt.date | None = None) -> list[Period]:
    """The periods of an episode that have started by `through` (today): every 30 days from the set-up date,
    the last one cut short at the episode's end. A period still running keeps its full 30 days."""
    end, reason = episode_end(last_day=last_day, plan_end=plan_end)
    stop = through if end is None else min(end, through)
    periods, start, number = [], setup_date, 1
    while start <= stop:
        full_end = start + dt.timedelta(days=PERIOD_DAYS - 1)
        if end is not None and end < full_end:
            periods.append(Period(number, start, end, reason))
        else:
            periods.append(Period(number, start, full_end))
        start, number = full_end + dt.timedelta(days=1), number + 1
    return periods


def days_with_data(dates: Iterable[dt.date], period: Period) -> int:
    """Distinct days of `period` among `dates` (the patient-local days of sessions and check-ins)."""
    return DayIndex(dates).count(period)


class DayIndex:
    """One patient's days with data, sorted once, so each period's count is two binary searches (a year's report
    counts about twelve periods per patient)."""

    def __init__(self, dates: Iterable[dt.date]):
        self.days = sorted(set(dates))

    def count(self, period: Period) -> int:
        return bisect.bisect_right(self.days, period.end) - bisect.bisect_left(self.days, period.start)


# ---------------------------------------------------------------------------
# Months
# ---------------------------------------------------------------------------


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


@functools.lru_cache(maxsize=1024)
def month_last_day(month: dt.date) -> dt.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


@dataclass(frozen=True)
class MonthTime:
    """Management minutes logged for one patient in one calendar month, and whether any was interactive."""

    minutes: int = 0
    interactive: bool = False


def month_totals(entries: Iterable[tuple[dt.date, int, bool]]) -> dict[dt.date, MonthTime]:
    """(date, minutes, interactive) entries summed per calendar month (keyed by the month's first day)."""
    totals: dict[dt.date, MonthTime] = {}
    for day, minutes, interactive in entries:
        month = month_of(day)
        before = totals.get(month, MonthTime())
        totals[month] = MonthTime(before.minutes + minutes, before.interactive or interactive)
    return totals


def month_owners(periods: Iterable[tuple[object, Period]]) -> dict[dt.date, object]:
    """Which period row lists each calendar month's management codes: the last period touching the month.

    Management codes count once per month, but a month can touch two or three
    periods; listing its codes on one row only means a billing system that
    adds up the rows never counts a month twice. `periods` are (key, period)
    pairs of one patient (all its episodes); the answer maps month -> key.
    """
    owners: dict[dt.date, tuple[dt.date, object]] = {}
    for key, period in periods:
        for month in period.months():
            if month not in owners or period.start > owners[month][0]:
                owners[month] = (period.start, key)
    return {month: key for month, (_start, key) in owners.items()}


# ---------------------------------------------------------------------------
# Codes met
# ---------------------------------------------------------------------------


def period_codes(*, period: Period, days: int, rules: RuleBook | Sequence[Rule]) -> list[CodeUnits]:
    """Codes met by one period: the set-up code on an episode's first period (judged on the set-up date), and
    the device code its days with data reach (judged on the period's last day), exclusions applied."""
    met = []
    if period.number == 1:
        met += [r for r in rules_on(rules, period.start, EPISODE) if r.min_days is None or days >= r.min_days]
    met += [r for r in rules_on(rules, period.end, PERIOD)
            if r.min_days is not None and r.min_days <= days <= (r.max_days or PERIOD_DAYS)]
    return [CodeUnits(r.code) for r in without_exclusions(met)]


def month_codes(*, month: dt.date, time: MonthTime, rules: RuleBook | Sequence[Rule]) -> list[CodeUnits]:
    """Management codes met in one calendar month (judged on its last day), exclusions applied.

    A first-block code needs its minutes (and an interactive communication if
    it says so); an additional code counts each full block of minutes beyond
    the code it adds to, and only when that code is reported.
    """
    in_force = rules_on(rules, month_last_day(month))
    firsts = [r for r in in_force if r.counted_per == MONTH and r.min_minutes is not None
              and time.minutes >= r.min_minutes and (time.interactive or not r.requires_interactive)]
    kept = without_exclusions(firsts)
    codes = [CodeUnits(r.code) for r in kept]
    for extra in (r for r in in_force if r.counted_per == MONTH_ADDITIONAL and r.min_minutes):
        base = next((k for k in kept if k.code == extra.adds_to), None)
        if base is None or any(_excluded(extra, k) for k in kept) or (
                extra.requires_interactive and not time.interactive):
            continue
        units = (time.minutes - (base.min_minutes or 0)) // extra.min_minutes
        if units > 0:
            codes.append(CodeUnits(extra.code, units))
    return sorted(codes)


@dataclass(frozen=True)
class MonthProgress:
    """Where this month's minutes stand: codes met so far, and the next threshold (None past the last rule)."""

    time: MonthTime
    codes: list[CodeUnits]
    next_minutes: int | None
    next_code: str | None
    needs_interactive: bool  # a code would be met but for an interactive communication
    thresholds: list[int] = field(default_factory=list)  # e.g. [10, 20, 40]: the first block of each code


def month_progress(*, month: dt.date, time: MonthTime, rules: RuleBook | Sequence[Rule]) -> MonthProgress:
    """This month's management time against the thresholds in force (10, 20, 40, 60 ... minutes in 2026)."""
    in_force = rules_on(rules, month_last_day(month))
    firsts = {r.code: r for r in in_force if r.counted_per == MONTH and r.min_minutes}
    steps = [(r.min_minutes, r.code) for r in firsts.values()]
    for extra in (r for r in in_force if r.counted_per == MONTH_ADDITIONAL and r.min_minutes):
        base = firsts.get(extra.adds_to)
        if base is None:
            continue
        # Enough blocks to go past the minutes logged: the next one is always listed.
        blocks = max(1, (time.minutes - base.min_minutes) // extra.min_minutes + 1)
        steps += [(base.min_minutes + extra.min_minutes * n, extra.code) for n in range(1, blocks + 1)]
    steps.sort()
    ahead = [(minutes, code) for minutes, code in steps if minutes > time.minutes]
    needs_interactive = not time.interactive and any(
        r.requires_interactive and time.minutes >= r.min_minutes for r in firsts.values())
    return MonthProgress(
        time=time, codes=month_codes(month=month, time=time, rules=rules),
        next_minutes=ahead[0][0] if ahead else None, next_code=ahead[0][1] if ahead else None,
        needs_interactive=needs_interactive,
        thresholds=sorted({minutes for minutes, _code in steps}),
    )


# ---------------------------------------------------------------------------
# Where a patient stands in the current period
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodStatus:
    """A period's standing on `today`: its days so far, the days still possible and what is needed.

    `full` is the highest device threshold in force (16 days), `partial` the
    lowest when there is a second one (2 days from 2026; None before).
    `days_left` counts the days still able to add data: the rest of the period
    after today, and today itself while it has none yet.
    """

    status: str
    days: int
    days_left: int
    full: int | None = None
    partial: int | None = None
    target: int | None = None  # the threshold the words talk about
    needed: int = 0  # more days to reach `target`

    @property
    def reachable(self) -> bool:
        return self.needed <= self.days_left


def period_status(*, period: Period, dates: set[dt.date], today: dt.date,
                  rules: RuleBook | Sequence[Rule]) -> PeriodStatus:
    """Sort a period's patient into one group (a hand-checkable order of rules):

    1. `full` days or more: ON_TRACK (reached);
    2. no day yet: NO_DATA;
    3. `full` still within reach: ON_TRACK when on pace (days so far x period
       length >= full x days already past), else AT_RISK (needs N more days
       in the M days left to reach `full`);
    4. out of reach but `partial` days or more: PARTIAL (2-15 days);
    5. otherwise AT_RISK towards `partial` (or `full` when there is none),
       which may be out of reach too (the words say so).
    """
    days = days_with_data(dates, period)
    thresholds = sorted({r.min_days for r in rules_on(rules, period.end, PERIOD) if r.min_days})
    if today > period.end:
        days_left, past = 0, period.length
    else:
        days_left = (period.end - today).days + (0 if today in dates else 1)
        past = (today - period.start).days
    if not thresholds:
        return PeriodStatus(NO_RULES, days, days_left)
    full = thresholds[-1]
    partial = thresholds[0] if len(thresholds) > 1 else None
    figures = {"days": days, "days_left": days_left, "full": full, "partial": partial}
    if days >= full:
        return PeriodStatus(ON_TRACK, target=full, **figures)
    if days == 0:
        return PeriodStatus(NO_DATA, target=full, needed=full, **figures)
    if full - days <= days_left:
        on_pace = days * period.length >= full * past
        return PeriodStatus(ON_TRACK if on_pace else AT_RISK, target=full, needed=full - days, **figures)
    if partial is not None and days >= partial:
        return PeriodStatus(PARTIAL, target=partial, **figures)
    target = partial if partial is not None else full
    return PeriodStatus(AT_RISK, target=target, needed=target - days, **figures)


def status_label(status: PeriodStatus) -> str:
    """The group's name: "On track for 16+ days", "2–15 days", "At risk", "No data"."""
    if status.status == ON_TRACK:
        return _("On track for %(n)s+ days") % {"n": status.full}
    if status.status == PARTIAL:
        return _("%(low)s–%(high)s days") % {"low": status.partial, "high": status.full - 1}
    return {AT_RISK: _("At risk"), NO_DATA: _("No data"), NO_RULES: _("No codes in force")}[status.status]


def status_words(status: PeriodStatus) -> str:
    """What the group means for this patient, in a sentence a therapist can act on."""
    days = ngettext("%(n)s day with data", "%(n)s days with data", status.days) % {"n": status.days}
    left = ngettext("%(n)s day left", "%(n)s days left", status.days_left) % {"n": status.days_left}
    if status.status == NO_RULES:
        return _("%(days)s. No device code is in force for this period: a site administrator adds the year's "
                 "codes in the admin.") % {"days": days}
    if status.status == ON_TRACK and status.needed == 0:
        return _("%(days)s: %(n)s or more reached.") % {"days": days, "n": status.full}
    if status.status == ON_TRACK:
        return _("%(days)s, on pace: %(needed)s more needed by the end of the period (%(left)s).") % {
            "days": days, "needed": status.needed, "left": left}
    if status.status == PARTIAL:
        return _("%(days)s: %(low)s–%(high)s reached; %(full)s is out of reach (%(left)s).") % {
            "days": days, "low": status.partial, "high": status.full - 1, "full": status.full, "left": left}
    if status.status == NO_DATA:
        return _("No data yet this period: %(n)s days needed in the %(left)s.") % {
            "n": status.needed, "left": left}
    if not status.reachable:
        return _("%(days)s: %(target)s can no longer be reached this period (%(left)s).") % {
            "days": days, "target": status.target, "left": left}
    needed = ngettext("%(n)s more day", "%(n)s more days", status.needed) % {"n": status.needed}
    return _("Needs %(needed)s with data in the %(left)s to reach %(target)s (%(days)s so far).") % {
        "needed": needed, "left": left, "target": status.target, "days": status.days}
