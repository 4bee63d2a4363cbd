"""Adherence arithmetic, exactly as product.md defines it: pure, no database.

For one assignment and a window [start, end]:
- active days D: the days the assignment was active (start date to end date,
  or today) inside the window;
- per ISO week w: prescribed_w = sessions_per_week x active_days_w / 7 and
  done_w = distinct days of D in w with at least one completed session;
- adherence % = 100 x sum(min(done_w, prescribed_w)) / sum(prescribed_w), one
  decimal, null when sum(prescribed_w) is 0.

The report (`patients.adherence_report`; its totals summed in SQL by
`patients.adherence_sql` and rounded here), its API rows by week and the
weeks chart of the patient page all count with these functions. Sums run in
sevenths, which are whole numbers, so they stay exact without building a
Fraction per week.

(The 14-day figure of the patient list and of a low-adherence flag is another
one, the engine's: `protocols.engine.recent_training`.)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import NamedTuple

ActiveRange = tuple[dt.date, dt.date]


def to_decimal(value: Fraction, places: str) -> Decimal:
    """Round an exact fraction half up to `places` (e.g. "0.1")."""
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal(places), rounding=ROUND_HALF_UP)


def half_up(numerator: int, denominator: int, decimals: int) -> Decimal:
    """numerator / denominator (both >= 0, denominator > 0) rounded half up to `decimals`, exactly.

    Integer arithmetic: the same as `to_decimal(Fraction(numerator, denominator), ...)` (a property test holds
    them equal) without building a Fraction and two Decimals per figure, which a year-long report does
    thousands of times.
    """
    scale = 10 ** decimals
    return Decimal((2 * numerator * scale + denominator) // (2 * denominator)).scaleb(-decimals)


def percent(credited_sevenths: int, prescribed_sevenths: int) -> Decimal | None:
    """Adherence %: 100 x credited / prescribed, one decimal, half up; None when nothing was prescribed."""
    if prescribed_sevenths == 0:
        return None
    return half_up(100 * credited_sevenths, prescribed_sevenths, 1)


def mean(total: int, count: int) -> Decimal | None:
    """A mean of non-negative values as a report shows it (mean pain during): one decimal, half up; None
    without values."""
    return None if count == 0 else half_up(total, count, 1)


def prescribed_days(prescribed_sevenths: int) -> Decimal:
    """The prescribed training days as a report shows them: two decimals."""
    return half_up(prescribed_sevenths, 7, 2)


class WeekFigures(NamedTuple):
    """One ISO week of an assignment's active days. A named tuple: a year-long clinic report makes ~50,000."""

    week_start: dt.date
    active_days: int
    sessions_per_week: int
    done: int

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


class AdherenceTotals(NamedTuple):
    """The sums over an assignment's weeks: 7 x prescribed, 7 x credited, and the days done."""

    prescribed_sevenths: int
    credited_sevenths: int
    done: int

    @property
    def prescribed(self) -> Decimal:
        return prescribed_days(self.prescribed_sevenths)

    @property
    def adherence_pct(self) -> Decimal | None:
        return percent(self.credited_sevenths, self.prescribed_sevenths)


def adherence_pct(weeks: Iterable[WeekFigures]) -> Decimal | None:
    """Adherence % over these weeks."""
    weeks = list(weeks)
    return percent(sum(w.credited_sevenths for w in weeks), sum(w.prescribed_sevenths for w in weeks))


def active_range(*, start_date: dt.date, end_date: dt.date | None, window: ActiveRange,
                 today: dt.date) -> ActiveRange | None:
    """The active days D of an assignment (from `start_date` to `end_date`, or today) inside `window`, or None."""
    first = max(start_date, window[0])
    last = min(end_date or today, window[1])
    return (first, last) if first <= last else None


def monday_of(day: dt.date) -> dt.date:
    """The first day of `day`'s ISO week."""
    return day - dt.timedelta(days=day.weekday())


def done_by_week(training_days: Iterable[dt.date]) -> dict[dt.date, int]:
    """ISO week (its Monday) -> how many distinct days of `training_days` fall in it: done_w."""
    weeks: dict[dt.date, int] = {}
    for day in set(training_days):
        week = monday_of(day)
        weeks[week] = weeks.get(week, 0) + 1
    return weeks


def adherence_totals(*, sessions_per_week: int, active: ActiveRange | None,
                     done_by_week: dict[dt.date, int]) -> AdherenceTotals:
    """The sums over week_figures(), without building the weeks.

    The prescribed total is sessions_per_week x all active days, and only
    weeks with a training day can be credited.
    """
    if active is None:
        return AdherenceTotals(0, 0, 0)
    first, last = active[0].toordinal(), active[1].toordinal()
    credited = done_days = 0
    for week_start, done in done_by_week.items():
        monday = week_start.toordinal()
        days = min(monday + 6, last) - max(monday, first) + 1
        if days > 0:
            credited += min(7 * done, sessions_per_week * days)
            done_days += done
    return AdherenceTotals(sessions_per_week * (last - first + 1), credited, done_days)


def week_figures(*, sessions_per_week: int, active: ActiveRange | None,
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
