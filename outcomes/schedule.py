"""When a questionnaire is due: a pure function of a schedule rule and the plan's dates (no database).

An occasion is a date on which the rule asks for the questionnaire: the
plan's start, every N weeks after it, each phase change, and the plan's end
(the date it ended, else its planned end). The questionnaire is due on the
latest occasion on or before today until it is answered for that occasion;
a newer occasion replaces an older unanswered one, so a patient is never
asked the same questionnaire twice on one screen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    """The schedule of one instrument on one plan."""

    instrument_id: str
    at_start: bool = True
    every_weeks: int | None = None
    at_phase_change: bool = False
    at_end: bool = False


@dataclass(frozen=True)
class PlanDates:
    """The dates of a plan the rules read: its start, its phase changes after the first phase, its end (the day it
    ended, else its planned end) and the day it ended (None while it runs: every-N-weeks goes on past the
    planned end while the patient is still on the plan)."""

    start: dt.date
    phase_changes: tuple[dt.date, ...] = ()
    end: dt.date | None = None
    ended_on: dt.date | None = None


def occasions(rule: Rule, plan: PlanDates, *, through: dt.date) -> list[dt.date]:
    """Every date up to `through` on which `rule` asks for its questionnaire, oldest first, without repeats."""
    dates: set[dt.date] = set()
    if rule.at_start:
        dates.add(plan.start)
    if rule.every_weeks:
        step = dt.timedelta(weeks=rule.every_weeks)
        day = plan.start + step
        last = min(through, plan.ended_on) if plan.ended_on else through
        while day <= last:
            dates.add(day)
            day += step
    if rule.at_phase_change:
        dates.update(d for d in plan.phase_changes if d > plan.start)
    if rule.at_end and plan.end:
        dates.add(plan.end)
    return sorted(d for d in dates if plan.start <= d <= through)


def due_occasion(rule: Rule, plan: PlanDates, *, today: dt.date, answered: Iterable[dt.date] = ()) -> dt.date | None:
    """The occasion the patient should answer today, or None when nothing is due (or it is answered)."""
    found = occasions(rule, plan, through=today)
    if not found:
        return None
    latest = found[-1]
    return None if latest in set(answered) else latest
