"""The flag rules F1 (low adherence) and F2 (improved): they always run, after the decision rule.

Also the 14-day adherence (`recent_training`) that F1 and the patient list share."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from protocols.engine.definitions import Context, Flag, Outcome, mean
from protocols.engine.messages import Message

# --------------------------------------------------------------------------
# Flag rules: always run (only F1 when there are no sessions)
# --------------------------------------------------------------------------


ADHERENCE_WINDOW_DAYS = 14


@dataclass(frozen=True)
class RecentTraining:
    """Training days in the 14 days up to today against the days the plan asks for in them.

    The one computation behind both the 14-day adherence a therapist reads on
    the patient list and the figure in a `low_adherence` flag (F1), so the two
    can never disagree.
    """

    trained: int  # distinct training days dated in [today-13, today]
    planned: Fraction  # frequency_per_week x the plan's active days in that window / 7

    @property
    def percent(self) -> int | None:
        """Whole per cent, half up; days beyond the plan are not credited (at most 100); None if none planned."""
        if self.planned == 0:
            return None
        share = Fraction(100) * min(self.trained, self.planned) / self.planned
        return int(share + Fraction(1, 2))

    def message(self) -> Message:
        params = {"trained": self.trained, "window": ADHERENCE_WINDOW_DAYS, "planned": self.planned}
        if self.percent is None:
            return Message("F1.low_adherence_none_planned", params)
        return Message("F1.low_adherence", {**params, "percent": self.percent})

    def sentence(self) -> str:
        """The adherence in a sentence, in the active language."""
        return self.message().render()


def recent_training(*, training_days: Iterable[dt.date], today: dt.date, frequency_per_week: int,
                    start: dt.date | None = None) -> RecentTraining:
    """Distinct training days in [today-13, today], and the days planned from `start` (if later) to today."""
    window_start = today - dt.timedelta(days=ADHERENCE_WINDOW_DAYS - 1)
    first = max(window_start, start) if start is not None else window_start
    active_days = max((today - first).days + 1, 0)
    trained = sum(1 for day in set(training_days) if window_start <= day <= today)
    return RecentTraining(trained=trained, planned=Fraction(frequency_per_week * active_days, 7))


def f1_low_adherence(c: Context) -> Outcome | None:
    """F1 — training days in [today-13, today] below adherence_min_fraction x 2 x frequency: warning.

    Training days are the distinct dates in `training_days` when given (v1.1: the
    plan's, any exercise or phase), else the distinct dates of completed
    sessions. Only once the plan has run for 14 days: from the assignment start
    if given, else from the earliest known date (a training day or a session).
    """
    days = c.data.training_days
    if days is None:
        days = frozenset(s.date for s in c.sessions if s.completed)
    known = days | {s.date for s in c.sessions}
    start = c.data.assignment_start or (min(known) if known else None)
    if start is None or (c.data.today - start).days < ADHERENCE_WINDOW_DAYS:
        return None
    recent = recent_training(training_days=days, today=c.data.today, frequency_per_week=c.data.frequency_per_week,
                             start=start)
    if recent.trained >= c.s.adherence_min_fraction * recent.planned:
        return None
    reason = recent.message()
    return Outcome("F1", reason, flag=Flag("low_adherence", "warning", reason))


def f2_improved(c: Context) -> Outcome | None:
    """F2 — mean next-morning pain over the last 7 days at least 2 points below baseline: info.

    A 2-point change on the NPRS is clinically important (Farrar 2001).
    """
    if c.data.baseline_pain < 2:
        return None
    recent = c.morning_values(6, 0)
    if len(recent) < 2 or mean(recent) > c.data.baseline_pain - 2:
        return None
    reason = Message("F2.improved", {"recent": mean(recent), "baseline": c.data.baseline_pain})
    return Outcome("F2", reason, flag=Flag("improved", "info", reason))
