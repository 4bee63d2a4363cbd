"""The adherence report's floor: its one SQL statement, run on a raw cursor.

The statement is the production one (`patients.adherence_sql`, which
`GET /api/v1/reports/adherence/` runs for its totals): per assignment, the
sums of 7 x prescribed_w and 7 x min(done_w, prescribed_w) over the ISO weeks
of the active days, the days done, pain sum and count, the newest session,
the current ladder step and the open flags, exact in sevenths. The floor is
that statement executed and fetched, nothing else, so report_ratio measures
what the API adds: the ORM and the tenancy filter compiled into it, rounding,
rows, DRF serialisation, JSON or CSV, HTTP, authentication and audit.
`floor_figures` rounds with `patients.adherence`, the one place for the formula.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import connection
from django.db.models import Q

from patients.adherence import AdherenceTotals, mean
from patients.adherence_sql import ReportFigures, report_statement
from patients.models import Assignment


def floor_statement(*, clinic_id: int, start: dt.date, end: dt.date, today: dt.date) -> tuple[str, list]:
    """The report's statement for every assignment of the clinic the report lists (as an API key sees it)."""
    assignments = Assignment.objects.filter(patient__clinic_id=clinic_id).filter(
        Q(status=Assignment.Status.ACTIVE) | Q(start_date__lte=end, end_date__isnull=True)
        | Q(start_date__lte=end, end_date__gte=start))
    return report_statement(assignments, start=start, end=end, today=today)


def adherence_floor(*, clinic_id: int, start: dt.date, end: dt.date, today: dt.date) -> list[tuple]:
    """Run the one-statement report with a raw cursor; returns its rows as the database gives them."""
    sql, params = floor_statement(clinic_id=clinic_id, start=start, end=end, today=today)
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
    """assignment id -> the compared figures, rounded by `patients.adherence` and normalised (dates as ISO text)."""
    figures = {}
    for row in map(ReportFigures._make, rows):
        totals = AdherenceTotals(row.prescribed_sevenths, row.credited_sevenths, row.done_days)
        figures[row.assignment_id] = (
            totals.prescribed, int(totals.done), totals.adherence_pct, mean(row.pain_total, row.pain_count),
            _date(row.last_session_date), row.current_step, int(row.open_flags))
    return figures


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
