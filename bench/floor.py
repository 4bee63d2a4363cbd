"""The adherence report as ONE SQL query: the floor the API's time is compared with.

It computes every row of GET /api/v1/reports/adherence/ for a clinic and a
window exactly as product.md defines it (and patients/adherence.py implements
it): active days D per assignment, per ISO week prescribed_w =
sessions_per_week x active_days_w / 7 and done_w = distinct days with a
completed session, adherence = 100 x sum(min(done_w, prescribed_w)) /
sum(prescribed_w). To stay exact it works in sevenths (7 x prescribed_w is an
integer) and rounds half up with integer arithmetic, so its figures equal the
API's to the last decimal. Also: mean pain during (one decimal), last session
date, the current ladder step of the current phase, and open flags.

One statement for PostgreSQL (generate_series, DISTINCT ON) and one for
SQLite (a recursive CTE for the weeks, ROW_NUMBER for "newest").
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import connection

LADDER_KINDS_SQL = "('retro_treadmill_walk', 'retro_treadmill_run')"
# The same in both dialects: one row per assignment, joined to its parts, in the API's order.
_REPORT_ROWS = """FROM a
JOIN patients_assignment asg ON asg.id = a.id
JOIN patients_patient p ON p.id = a.patient_id
LEFT JOIN clinic_user u ON u.id = p.therapist_id
LEFT JOIN adherence ad ON ad.assignment_id = a.id
LEFT JOIN pain ON pain.assignment_id = a.id
LEFT JOIN last_session ls ON ls.assignment_id = a.id
LEFT JOIN open_flags f ON f.assignment_id = a.id
LEFT JOIN step st ON st.assignment_id = a.id
ORDER BY p.last_name, p.first_name, p.id, a.start_date, a.id"""

POSTGRESQL = f"""
WITH a AS MATERIALIZED (
    SELECT a.id, a.patient_id, a.sessions_per_week AS spw, a.start_date, a.end_date,
           GREATEST(a.start_date, %(start)s::date) AS first_day,
           LEAST(COALESCE(a.end_date, %(today)s::date), %(end)s::date) AS last_day
    FROM patients_assignment a
    JOIN patients_patient p ON p.id = a.patient_id
    WHERE p.clinic_id = %(clinic)s
      AND (a.status = 'active' OR (a.start_date <= %(end)s::date
                                   AND (a.end_date IS NULL OR a.end_date >= %(start)s::date)))
),
weeks AS (
    SELECT a.id AS assignment_id, w.monday,
           a.spw * (LEAST(w.monday + 6, a.last_day) - GREATEST(w.monday, a.first_day) + 1) AS prescribed7
    FROM a
    CROSS JOIN LATERAL (
        SELECT d::date AS monday
        FROM generate_series(a.first_day - (EXTRACT(ISODOW FROM a.first_day)::int - 1), a.last_day,
                             interval '7 days') AS d
    ) w
    WHERE a.first_day <= a.last_day
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
    SELECT w.assignment_id, SUM(w.prescribed7)::bigint AS prescribed7,
           SUM(LEAST(7 * COALESCE(d.days, 0), w.prescribed7))::bigint AS credited7,
           SUM(COALESCE(d.days, 0))::bigint AS done_days
    FROM weeks w LEFT JOIN done d ON d.assignment_id = w.assignment_id AND d.monday = w.monday
    GROUP BY w.assignment_id
),
pain AS (
    SELECT assignment_id, SUM(pain_during)::bigint AS total, COUNT(*) AS n FROM s GROUP BY assignment_id
),
last_session AS (
    SELECT e.assignment_id, MAX(sl.date) AS last_date
    FROM patients_sessionlog sl JOIN patients_assignedexercise e ON e.id = sl.exercise_id
    WHERE e.assignment_id IN (SELECT id FROM a) AND sl.date <= %(end)s::date
    GROUP BY e.assignment_id
),
open_flags AS (
    SELECT e.assignment_id, COUNT(*) AS n
    FROM patients_flag f JOIN patients_assignedexercise e ON e.id = f.exercise_id
    WHERE e.assignment_id IN (SELECT id FROM a) AND f.status IN ('open', 'acknowledged')
    GROUP BY e.assignment_id
),
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
SELECT a.id, p.id, p.external_ref,
       COALESCE(NULLIF(TRIM(u.first_name || ' ' || u.last_name), ''), u.email) AS therapist,
       asg.protocol_name, asg.condition,
       ROUND(((200 * COALESCE(ad.prescribed7, 0) + 7) / 14) / 100.0, 2) AS prescribed,
       COALESCE(ad.done_days, 0) AS completed_days,
       CASE WHEN ad.prescribed7 > 0
            THEN ROUND(((2000 * ad.credited7 + ad.prescribed7) / (2 * ad.prescribed7)) / 10.0, 1) END AS adherence_pct,
       CASE WHEN pain.n > 0 THEN ROUND(((20 * pain.total + pain.n) / (2 * pain.n)) / 10.0, 1) END AS mean_pain_during,
       ls.last_date, st.current_step, st.speed_kmh, st.incline_pct, st.duration_min,
       COALESCE(f.n, 0) AS open_flags
{_REPORT_ROWS}
"""  # nosec B608 -- built from this module's constants; clinic, dates and window go as parameters

# SQLite keeps dates as ISO text: min()/max() compare them, date() moves them, julianday() counts days.
_MONDAY = "date({d}, '-' || ((CAST(strftime('%%w', {d}) AS INTEGER) + 6) %% 7) || ' days')"

SQLITE = f"""
WITH RECURSIVE a AS (
    SELECT a.id, a.patient_id, a.sessions_per_week AS spw, a.start_date, a.end_date,
           max(a.start_date, %(start)s) AS first_day,
           min(COALESCE(a.end_date, %(today)s), %(end)s) AS last_day
    FROM patients_assignment a
    JOIN patients_patient p ON p.id = a.patient_id
    WHERE p.clinic_id = %(clinic)s
      AND (a.status = 'active' OR (a.start_date <= %(end)s AND (a.end_date IS NULL OR a.end_date >= %(start)s)))
),
weeks(assignment_id, monday, first_day, last_day, spw) AS (
    SELECT id, {_MONDAY.format(d="first_day")}, first_day, last_day, spw FROM a WHERE first_day <= last_day
    UNION ALL
    SELECT assignment_id, date(monday, '+7 days'), first_day, last_day, spw
    FROM weeks WHERE date(monday, '+7 days') <= last_day
),
prescribed AS (
    SELECT assignment_id, monday,
           spw * CAST(julianday(min(date(monday, '+6 days'), last_day)) - julianday(max(monday, first_day)) + 1
                      AS INTEGER) AS prescribed7
    FROM weeks
),
s AS (
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
    SELECT w.assignment_id, SUM(w.prescribed7) AS prescribed7,
           SUM(min(7 * COALESCE(d.days, 0), w.prescribed7)) AS credited7,
           SUM(COALESCE(d.days, 0)) AS done_days
    FROM prescribed w LEFT JOIN done d ON d.assignment_id = w.assignment_id AND d.monday = w.monday
    GROUP BY w.assignment_id
),
pain AS (
    SELECT assignment_id, SUM(pain_during) AS total, COUNT(*) AS n FROM s GROUP BY assignment_id
),
last_session AS (
    SELECT e.assignment_id, MAX(sl.date) AS last_date
    FROM patients_sessionlog sl JOIN patients_assignedexercise e ON e.id = sl.exercise_id
    WHERE e.assignment_id IN (SELECT id FROM a) AND sl.date <= %(end)s
    GROUP BY e.assignment_id
),
open_flags AS (
    SELECT e.assignment_id, COUNT(*) AS n
    FROM patients_flag f JOIN patients_assignedexercise e ON e.id = f.exercise_id
    WHERE e.assignment_id IN (SELECT id FROM a) AND f.status IN ('open', 'acknowledged')
    GROUP BY e.assignment_id
),
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
SELECT a.id, p.id, p.external_ref,
       COALESCE(NULLIF(TRIM(u.first_name || ' ' || u.last_name), ''), u.email) AS therapist,
       asg.protocol_name, asg.condition,
       ((200 * COALESCE(ad.prescribed7, 0) + 7) / 14) / 100.0 AS prescribed,
       COALESCE(ad.done_days, 0) AS completed_days,
       CASE WHEN ad.prescribed7 > 0
            THEN ((2000 * ad.credited7 + ad.prescribed7) / (2 * ad.prescribed7)) / 10.0 END AS adherence_pct,
       CASE WHEN pain.n > 0 THEN ((20 * pain.total + pain.n) / (2 * pain.n)) / 10.0 END AS mean_pain_during,
       ls.last_date, st.current_step, st.speed_kmh, st.incline_pct, st.duration_min,
       COALESCE(f.n, 0) AS open_flags
{_REPORT_ROWS}
"""  # nosec B608 -- as POSTGRESQL above


def adherence_floor(*, clinic_id: int, start: dt.date, end: dt.date, today: dt.date) -> list[tuple]:
    """Run the one-query report with a raw cursor; returns its rows as the database gives them."""
    if connection.vendor == "postgresql":
        sql, params = POSTGRESQL, {"clinic": clinic_id, "start": start, "end": end, "today": today}
    elif connection.vendor == "sqlite":
        sql, params = SQLITE, {"clinic": clinic_id, "start": start.isoformat(), "end": end.isoformat(),
                               "today": today.isoformat()}
    else:
        raise NotImplementedError(f"no floor query for {connection.vendor}")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# The figures compared between the API and the floor, per assignment.
COMPARED = ("prescribed", "completed_days", "adherence_pct", "mean_pain_during", "last_session_date",
            "current_step", "open_flags")


def _decimal(value, places: str) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal(places))


def _date(value) -> str | None:
    return None if value is None else (value.isoformat() if isinstance(value, dt.date) else str(value))


def floor_figures(rows: list[tuple]) -> dict[int, tuple]:
    """assignment id -> the compared figures, normalised (decimals quantised, dates as ISO text)."""
    return {
        row[0]: (_decimal(row[6], "0.01"), int(row[7]), _decimal(row[8], "0.1"), _decimal(row[9], "0.1"),
                 _date(row[10]), row[11], int(row[15]))
        for row in rows
    }


def api_figures(rows: list[dict]) -> dict[int, tuple]:
    """The same figures from the API's JSON rows (parsed with parse_float=Decimal)."""
    return {
        row["assignment_id"]: (_decimal(row["prescribed"], "0.01"), int(row["completed_days"]),
                               _decimal(row["adherence_pct"], "0.1"), _decimal(row["mean_pain_during"], "0.1"),
                               row["last_session_date"], row["current_step"], int(row["open_flags"]))
        for row in rows
    }


def mismatches(api: dict[int, tuple], floor: dict[int, tuple], limit: int = 5) -> list[str]:
    """Human-readable differences between the API's and the floor's figures (empty when they agree)."""
    problems = []
    if set(api) != set(floor):
        problems.append(f"assignments differ: only in API {sorted(set(api) - set(floor))[:limit]}, "
                        f"only in floor {sorted(set(floor) - set(api))[:limit]}")
    for assignment_id in sorted(set(api) & set(floor)):
        if api[assignment_id] != floor[assignment_id]:
            diff = {name: (a, f) for name, a, f in zip(COMPARED, api[assignment_id], floor[assignment_id]) if a != f}
            problems.append(f"assignment {assignment_id}: {diff} (API, floor)")
            if len(problems) >= limit:
                break
    return problems
