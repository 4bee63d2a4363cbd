"""The adherence report's figures as ONE SQL statement per database vendor (issue 21, part 3).

For every assignment of a queryset and a window it returns, in one pass, what
product.md's definition needs (and `patients.adherence` implements in
Python): the sums of 7 x prescribed_w and 7 x min(done_w, prescribed_w) over
the ISO weeks of the active days D, the days done, the pain-during sum and
count in D, the newest session up to the window's end, the open flags and the
first ladder exercise of the current phase with its current load.

Everything stays a whole number (sevenths): the rounding to the figures a
report shows is done once, in `patients.adherence`. Prescribed is
sessions_per_week x |D| (a week's share is its active days), and only weeks
with a training day can be credited, so the statement never builds the weeks
(as `patients.adherence.adherence_totals`).

`patients.adherence_report.adherence_totals_report` is what the API serves;
`bench.floor` runs the same statement on a raw cursor as the report's floor.
The assignments come in as a queryset (`scope_queryset` stays the one tenancy
filter), compiled into the statement as a subquery.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import NamedTuple

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet

from protocols.models import LADDER_KINDS

LADDER_KINDS_SQL = "(" + ", ".join(f"'{kind}'" for kind in sorted(LADDER_KINDS)) + ")"
# The columns the assignments' queryset is compiled with (a derived table named `asg`).
ASSIGNMENT_COLUMNS = ("id", "patient_id", "sessions_per_week", "start_date", "end_date", "protocol_name",
                      "condition")


class ReportFigures(NamedTuple):
    """One row of the statement, in its column order. Dates may come back as ISO text (SQLite)."""

    assignment_id: int
    patient_id: int
    external_ref: str
    therapist_first_name: str | None
    therapist_last_name: str | None
    therapist_email: str | None
    protocol_name: str
    condition: str
    prescribed_sevenths: int
    credited_sevenths: int
    done_days: int
    pain_total: int
    pain_count: int
    last_session_date: dt.date | str | None
    current_step: int | None
    step_speed: object
    step_incline: object
    step_duration: int | None
    open_flags: int


# The same in both dialects: one row per assignment, joined to its parts, in the report's order.
_SELECT = """SELECT a.id, a.patient_id, p.external_ref, u.first_name, u.last_name, u.email,
       a.protocol_name, a.condition,
       CASE WHEN a.first_day <= a.last_day THEN a.spw * {active_days} ELSE 0 END AS prescribed7,
       COALESCE(ad.credited7, 0), COALESCE(ad.done_days, 0),
       COALESCE(pain.total, 0), COALESCE(pain.n, 0),
       ls.last_date, st.current_step, st.speed_kmh, st.incline_pct, st.duration_min,
       COALESCE(f.n, 0)
FROM a
JOIN patients_patient p ON p.id = a.patient_id
LEFT JOIN clinic_user u ON u.id = p.therapist_id
LEFT JOIN adherence ad ON ad.assignment_id = a.id
LEFT JOIN pain ON pain.assignment_id = a.id
LEFT JOIN last_session ls ON ls.assignment_id = a.id
LEFT JOIN open_flags f ON f.assignment_id = a.id
LEFT JOIN step st ON st.assignment_id = a.id
ORDER BY p.last_name, p.first_name, p.id, a.start_date, a.id"""

# Also the same in both: the newest session, the open flags.
_LAST_AND_FLAGS = """last_session AS (
    -- The newest of each exercise (one backward read of the (exercise, date) index), then the latest of those.
    SELECT e.assignment_id,
           MAX((SELECT MAX(sl.date) FROM patients_sessionlog sl WHERE sl.exercise_id = e.id AND sl.date <= %(end)s))
               AS last_date
    FROM patients_assignedexercise e
    WHERE e.assignment_id IN (SELECT id FROM a)
    GROUP BY e.assignment_id
),
open_flags AS (
    SELECT e.assignment_id, COUNT(*) AS n
    FROM patients_flag f JOIN patients_assignedexercise e ON e.id = f.exercise_id
    WHERE e.assignment_id IN (SELECT id FROM a) AND f.status IN ('open', 'acknowledged')
    GROUP BY e.assignment_id
)"""

POSTGRESQL = f"""
WITH a AS MATERIALIZED (
    SELECT asg.id, asg.patient_id, asg.sessions_per_week AS spw, asg.start_date, asg.end_date,
           asg.protocol_name, asg.condition,
           GREATEST(asg.start_date, %(start)s::date) AS first_day,
           LEAST(COALESCE(asg.end_date, %(today)s::date), %(end)s::date) AS last_day
    FROM (%(assignments)s) asg
),
s AS MATERIALIZED (
    SELECT e.assignment_id, sl.date, sl.completed, sl.pain_during
    FROM patients_sessionlog sl
    JOIN patients_assignedexercise e ON e.id = sl.exercise_id
    JOIN a ON a.id = e.assignment_id
    WHERE sl.date >= %(start)s::date AND sl.date <= LEAST(%(end)s::date, %(today)s::date)
      AND sl.date >= a.start_date AND (a.end_date IS NULL OR sl.date <= a.end_date)
),
done AS (
    SELECT assignment_id, date - (EXTRACT(ISODOW FROM date)::int - 1) AS monday, COUNT(DISTINCT date) AS days
    FROM s WHERE completed GROUP BY 1, 2
),
adherence AS (
    SELECT d.assignment_id,
           SUM(LEAST(7 * d.days, a.spw * (LEAST(d.monday + 6, a.last_day) - GREATEST(d.monday, a.first_day) + 1)))
               ::bigint AS credited7,
           SUM(d.days)::bigint AS done_days
    FROM done d JOIN a ON a.id = d.assignment_id
    GROUP BY d.assignment_id
),
pain AS (
    SELECT assignment_id, SUM(pain_during)::bigint AS total, COUNT(*) AS n FROM s GROUP BY assignment_id
),
{_LAST_AND_FLAGS.replace("%(end)s", "%(end)s::date")},
phase AS (
    SELECT DISTINCT ON (pv.assignment_id) pv.assignment_id, pv.phase_id
    FROM patients_phaseversion pv WHERE pv.assignment_id IN (SELECT id FROM a)
    ORDER BY pv.assignment_id, pv.created_at DESC, pv.id DESC
),
step AS (
    SELECT DISTINCT ON (e.assignment_id) e.assignment_id, e.current_step,
           ls.speed_kmh, ls.incline_pct, ls.duration_min
    FROM phase
    JOIN patients_assignedexercise e ON e.phase_id = phase.phase_id AND e.kind IN {LADDER_KINDS_SQL}
    LEFT JOIN patients_assignedladderstep ls ON ls.exercise_id = e.id AND ls."order" = e.current_step
    ORDER BY e.assignment_id, e."order", e.id
)
{_SELECT.format(active_days="(a.last_day - a.first_day + 1)")}
"""  # nosec B608 -- built from this module's constants; the window and the assignments' query go as parameters

# SQLite keeps dates as ISO text: min()/max() compare them, date() moves them, julianday() counts days.
_MONDAY = "date({d}, '-' || ((CAST(strftime('%%w', {d}) AS INTEGER) + 6) %% 7) || ' days')"
_DAYS = "CAST(julianday({last}) - julianday({first}) + 1 AS INTEGER)"

SQLITE = f"""
WITH a AS MATERIALIZED (
    SELECT asg.id, asg.patient_id, asg.sessions_per_week AS spw, asg.start_date, asg.end_date,
           asg.protocol_name, asg.condition,
           max(asg.start_date, %(start)s) AS first_day,
           min(COALESCE(asg.end_date, %(today)s), %(end)s) AS last_day
    FROM (%(assignments)s) asg
),
s AS MATERIALIZED (
    SELECT e.assignment_id, sl.date, sl.completed, sl.pain_during
    FROM patients_sessionlog sl
    JOIN patients_assignedexercise e ON e.id = sl.exercise_id
    JOIN a ON a.id = e.assignment_id
    WHERE sl.date >= %(start)s AND sl.date <= min(%(end)s, %(today)s)
      AND sl.date >= a.start_date AND (a.end_date IS NULL OR sl.date <= a.end_date)
),
done AS (
    SELECT assignment_id, {_MONDAY.format(d="date")} AS monday, COUNT(DISTINCT date) AS days
    FROM s WHERE completed GROUP BY 1, 2
),
adherence AS (
    SELECT d.assignment_id,
           SUM(min(7 * d.days, a.spw * {_DAYS.format(last="min(date(d.monday, '+6 days'), a.last_day)",
                                                     first="max(d.monday, a.first_day)")})) AS credited7,
           SUM(d.days) AS done_days
    FROM done d JOIN a ON a.id = d.assignment_id
    GROUP BY d.assignment_id
),
pain AS (
    SELECT assignment_id, SUM(pain_during) AS total, COUNT(*) AS n FROM s GROUP BY assignment_id
),
{_LAST_AND_FLAGS},
phase AS (
    SELECT assignment_id, phase_id FROM (
        SELECT pv.assignment_id, pv.phase_id,
               ROW_NUMBER() OVER (PARTITION BY pv.assignment_id ORDER BY pv.created_at DESC, pv.id DESC) AS n
        FROM patients_phaseversion pv WHERE pv.assignment_id IN (SELECT id FROM a)
    ) WHERE n = 1
),
step AS (
    SELECT assignment_id, current_step, speed_kmh, incline_pct, duration_min FROM (
        SELECT e.assignment_id, e.current_step, ls.speed_kmh, ls.incline_pct, ls.duration_min,
               ROW_NUMBER() OVER (PARTITION BY e.assignment_id ORDER BY e."order", e.id) AS n
        FROM phase
        JOIN patients_assignedexercise e ON e.phase_id = phase.phase_id AND e.kind IN {LADDER_KINDS_SQL}
        LEFT JOIN patients_assignedladderstep ls ON ls.exercise_id = e.id AND ls."order" = e.current_step
    ) WHERE n = 1
)
{_SELECT.format(active_days=_DAYS.format(last="a.last_day", first="a.first_day"))}
"""  # nosec B608 -- as POSTGRESQL above

STATEMENTS = {"postgresql": POSTGRESQL, "sqlite": SQLITE}
_NAMED = re.compile(r"%\((\w+)\)s")


def report_statement(assignments: QuerySet, *, start: dt.date, end: dt.date, today: dt.date,
                     using: str = "default") -> tuple[str, list] | None:
    """The statement and its positional parameters for these assignments and window (None when the
    queryset is empty by construction, e.g. an actor without a clinic)."""
    vendor = connections[using].vendor
    statement = STATEMENTS[vendor]  # PostgreSQL or SQLite: clinic/settings.py refuses any other database
    try:
        sub_sql, sub_params = assignments.order_by().values(*ASSIGNMENT_COLUMNS).query.sql_with_params()
    except EmptyResultSet:
        return None
    # SQLite is given dates as the ISO text it stores (its min()/max() compare text).
    dates = {"start": start, "end": end, "today": today}
    if vendor == "sqlite":
        dates = {name: day.isoformat() for name, day in dates.items()}
    params: list = []

    def positional(match: re.Match) -> str:
        name = match.group(1)
        if name == "assignments":
            params.extend(sub_params)
            return sub_sql
        params.append(dates[name])
        return "%s"

    return _NAMED.sub(positional, statement), params


def report_figures(assignments: QuerySet, *, start: dt.date, end: dt.date, today: dt.date,
                   using: str = "default") -> list[ReportFigures]:
    """Run the statement (one query) and return its rows, in the report's order."""
    statement = report_statement(assignments, start=start, end=end, today=today, using=using)
    if statement is None:
        return []
    with connections[using].cursor() as cursor:
        cursor.execute(*statement)
        return [ReportFigures(*row) for row in cursor.fetchall()]
