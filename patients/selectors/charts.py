"""The pain and training charts of the patient page and of the patient's own progress page."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from patients.adherence import WeekFigures
from patients.models import AssignedLadderStep, MorningCheckIn, Patient, SessionLog, StepVersion
from protocols.wording import format_level


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
    return date_format(day, "j M" if day.year == dt.date.today().year else "SHORT_DATE_FORMAT")


def pain_history(*, patient: Patient, today: dt.date, weeks: int = 8) -> dict:
    """The patient's own chart: pain of every session of the last `weeks` weeks, as their therapist sees it."""
    return pain_by_day(sessions=SessionLog.objects.filter(patient=patient), patient=patient,
                       start=today - dt.timedelta(weeks=weeks), end=today)


def weeks_chart(weeks: list[WeekFigures], sessions_per_week: int) -> dict:
    """Whole days only: the days done each week as bars, the plan's training days a week as a line."""
    return {
        "labels": [_("week of %(day)s") % {"day": day_in_words(w.week_start)} for w in weeks],
        "done": [w.done for w in weeks],
        "planned": [sessions_per_week for _w in weeks],
    }


def step_changes(history: list[StepVersion], ladders: dict[int, list[AssignedLadderStep]]) -> list[dict]:
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
