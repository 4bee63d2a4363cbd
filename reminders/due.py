"""What is due now, for one patient: pure Python, no database, no clock of its own.

The tick (reminders/services/tick.py) reads every patient's settings and day
in a fixed number of queries, then asks `due_now` with the moment converted
to the patient's own time zone. A reminder is due from its chosen time for
`GRACE` (a tick that runs late, or beat being down for a while, still sends
it; the delivery ledger makes sure it goes once a day), never in quiet hours,
and never for what the patient already did today.

DST: the chosen time is compared with the local wall clock. On the spring
day a time inside the skipped hour (02:30) goes at the first tick after the
jump (03:00); on the autumn day the repeated hour matches twice, and the
ledger's (patient, kind, local date, channel) key keeps it to one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

GRACE = dt.timedelta(hours=2)

TRAINING, CHECKIN, NUDGE = "training", "checkin", "nudge"


@dataclass(frozen=True)
class Choice:
    """A patient's reminder settings (their own, or their clinic's defaults)."""

    training_enabled: bool = True
    training_time: dt.time = dt.time(18, 0)
    training_weekdays: frozenset[int] = frozenset({0, 2, 4})
    checkin_enabled: bool = True
    checkin_time: dt.time = dt.time(8, 0)
    nudge_enabled: bool = True
    nudge_after_days: int = 3
    quiet_start: dt.time = dt.time(21, 30)
    quiet_end: dt.time = dt.time(7, 0)


@dataclass(frozen=True)
class Day:
    """What the patient has done, as of their local today."""

    plan_start: dt.date | None  # the active plan's start; None: no active plan, no reminders
    last_trained: dt.date | None = None  # the latest day with a completed session, up to today
    checked_in_today: bool = False
    week_done: int = 0  # distinct training days this ISO week
    week_planned: int = 7  # the plan's training days per week


def in_quiet_hours(moment: dt.time, start: dt.time, end: dt.time) -> bool:
    """Whether a wall-clock time is inside [start, end), which may run past midnight; start == end: none."""
    if start == end:
        return False
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end


def in_window(local_now: dt.datetime, at: dt.time) -> bool:
    """Whether the local wall clock is in [at, at + GRACE) on the same day."""
    now_minutes = local_now.hour * 60 + local_now.minute
    at_minutes = at.hour * 60 + at.minute
    return at_minutes <= now_minutes < at_minutes + GRACE.total_seconds() / 60


def days_without_training(day: Day, today: dt.date) -> int | None:
    """Days since the last completed session (or since the plan started, before any); None before the start."""
    since = day.last_trained or day.plan_start
    if since is None or since > today:
        return None
    return (today - since).days


def nudge_due(choice: Choice, day: Day, today: dt.date) -> bool:
    """On the Nth day without training, and every N days after while it lasts."""
    days = days_without_training(day, today)
    n = choice.nudge_after_days
    return choice.nudge_enabled and days is not None and days >= n and (days - n) % n == 0


def due_now(choice: Choice, day: Day, local_now: dt.datetime) -> list[str]:
    """The kinds of reminder due at `local_now` (an aware datetime in the patient's zone), in a stable order."""
    today = local_now.date()
    if day.plan_start is None or day.plan_start > today:
        return []
    if in_quiet_hours(local_now.time().replace(tzinfo=None), choice.quiet_start, choice.quiet_end):
        return []
    kinds = []
    trained_today = day.last_trained == today
    if choice.checkin_enabled and not day.checked_in_today and in_window(local_now, choice.checkin_time):
        kinds.append(CHECKIN)
    if not trained_today and in_window(local_now, choice.training_time):
        if nudge_due(choice, day, today):
            kinds.append(NUDGE)  # one message: the nudge stands in for that day's training reminder
        elif (choice.training_enabled and today.weekday() in choice.training_weekdays
              and day.week_done < day.week_planned):
            kinds.append(TRAINING)
    return kinds
