"""The one-statement report (patients.adherence_sql) against the pure computation and the ORM report (issue 21).

Property tests (hypothesis) over random plans: start and end dates mid-week,
sessions per week 1 to 7, completed and stopped sessions, several a day and
on several exercises, windows cutting weeks, ended and running plans, today
before, inside or after the window. The SQL figures must equal
`patients.adherence.week_figures` / `adherence_totals` computed in Python
from the same sessions, and every field must equal the ORM report's
(`adherence_report`, which the API still uses by week). They run on SQLite,
and on PostgreSQL when DATABASE_URL is set.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clinic.tenancy import resolve_actor
from patients.adherence import (
    active_range,
    adherence_pct,
    adherence_totals,
    done_by_week,
    mean,
    prescribed_days,
    week_figures,
)
from patients.adherence_report import adherence_report, adherence_totals_report
from patients.models import Assignment, Flag
from patients.services import assignment_create
from tests.factories import PatientFactory, SessionLogFactory, make_protocol

pytestmark = pytest.mark.django_db
D = dt.date
BASE = D(2026, 3, 4)  # a Wednesday: offsets from it start and end plans and windows mid-week

session = st.tuples(st.integers(-30, 75), st.booleans(), st.integers(0, 10), st.integers(0, 1))
plan = st.fixed_dictionaries({
    "start": st.integers(-40, 40),
    "length": st.one_of(st.none(), st.integers(0, 60)),  # None: running (no end date)
    "ended": st.booleans(),  # with an end date: completed, or still active with a planned end
    "spw": st.integers(1, 7),
    "sessions": st.lists(session, max_size=25),
    "step": st.integers(0, 2),
    "flags": st.lists(st.sampled_from(["open", "acknowledged", "resolved"]), max_size=2),
})
scenario = st.fixed_dictionaries({
    "plans": st.lists(plan, min_size=1, max_size=4),
    "window_start": st.integers(-30, 40),
    "window_days": st.integers(1, 90),
    "today": st.integers(-10, 80),
})

PROPERTY_SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                             suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _day(offset: int) -> dt.date:
    return BASE + dt.timedelta(days=offset)


def _make(world, protocol, plans) -> list[tuple[Assignment, list]]:
    made = []
    for n, spec in enumerate(plans):
        patient = PatientFactory(clinic=world.clinic_a, therapist=world.therapist_a if n % 2 else world.admin_a,
                                 external_ref=f"P{n}", last_name=f"Z{n % 2}")
        assignment = assignment_create(patient=patient, protocol=protocol, start_date=_day(spec["start"]),
                                       baseline_pain=2, sessions_per_week=spec["spw"])
        if spec["length"] is not None:
            status = "completed" if spec["ended"] else "active"
            Assignment.objects.filter(pk=assignment.pk).update(end_date=_day(spec["start"] + spec["length"]),
                                                               status=status)
            assignment.refresh_from_db()
        exercises = list(assignment.exercises.order_by("order"))
        exercises[0].current_step = spec["step"]
        exercises[0].save(update_fields=["current_step"])
        for kind, status in zip(("pain_red", "morning_pain"), spec["flags"], strict=False):
            Flag.objects.create(patient=patient, exercise=exercises[0], kind=kind, severity="warning",
                                status=status, resolved_at=timezone.now() if status == "resolved" else None)
        sessions = []
        for offset, completed, pain, which in spec["sessions"]:
            sessions.append(SessionLogFactory(exercise=exercises[which % len(exercises)], date=_day(offset),
                                              completed=completed, pain_during=pain))
        made.append((assignment, sessions))
    return made


def _expected(assignment: Assignment, sessions: list, start: dt.date, end: dt.date, today: dt.date):
    """product.md through patients.adherence, from the sessions themselves (no database)."""
    active = active_range(start_date=assignment.start_date, end_date=assignment.end_date, window=(start, end),
                          today=today)
    in_d = [s for s in sessions if start <= s.date <= min(end, today) and s.date >= assignment.start_date
            and (assignment.end_date is None or s.date <= assignment.end_date)]
    done = done_by_week(s.date for s in in_d if s.completed)
    weeks = week_figures(sessions_per_week=assignment.sessions_per_week, active=active, done_by_week=done)
    totals = adherence_totals(sessions_per_week=assignment.sessions_per_week, active=active, done_by_week=done)
    # The two pure ways agree, and the report's figures are the weeks' sums.
    assert totals.prescribed_sevenths == sum(w.prescribed_sevenths for w in weeks)
    assert totals.credited_sevenths == sum(w.credited_sevenths for w in weeks)
    assert totals.done == sum(w.done for w in weeks)
    last = max((s.date for s in sessions if s.date <= end), default=None)
    return (prescribed_days(sum(w.prescribed_sevenths for w in weeks)), sum(w.done for w in weeks),
            adherence_pct(weeks), mean(sum(s.pain_during for s in in_d), len(in_d)), last)


def _reported(assignment: Assignment, start: dt.date, end: dt.date, today: dt.date) -> bool:
    """Whether a report lists the assignment: active now, or overlapping the window."""
    return (assignment.status == "active" or
            (assignment.start_date <= end and (assignment.end_date is None or assignment.end_date >= start)))


@PROPERTY_SETTINGS
@given(case=scenario)
def test_sql_figures_equal_the_pure_computation_and_the_orm_report(world, case):
    with transaction.atomic():
        protocol = make_protocol(clinic=world.clinic_a)
        made = _make(world, protocol, case["plans"])
        start = _day(case["window_start"])
        end = start + dt.timedelta(days=case["window_days"] - 1)
        today = _day(case["today"])
        actor = resolve_actor(world.therapist_a)
        ours = {a.pk for a, _s in made}
        rows = [r for r in adherence_totals_report(actor=actor, start=start, end=end, today=today)
                if r.assignment_id in ours]
        by_id = {r.assignment_id: r for r in rows}
        assert set(by_id) == {a.pk for a, _s in made if _reported(a, start, end, today)}
        for assignment, sessions in made:
            if assignment.pk in by_id:
                row = by_id[assignment.pk]
                figures = (row.prescribed, row.completed_days, row.adherence_pct, row.mean_pain_during,
                           row.last_session_date)
                assert figures == _expected(assignment, sessions, start, end, today), assignment.pk
        # Every field, and the order, as the ORM report gives them.
        orm = [r for r in adherence_report(actor=actor, start=start, end=end, today=today)
               if r.assignment.pk in ours]
        assert [_orm_fields(r) for r in orm] == [_sql_fields(r) for r in rows]
        transaction.set_rollback(True)


def _orm_fields(row) -> tuple:
    a = row.assignment
    return (a.pk, a.patient_id, a.patient.external_ref, str(a.patient.therapist) if a.patient.therapist else None,
            a.protocol_name, a.condition, row.prescribed, row.completed_days, row.adherence_pct,
            row.mean_pain_during, row.last_session_date, row.current_step, row.current_step_words, row.open_flags)


def _sql_fields(row) -> tuple:
    return (row.assignment_id, row.patient_id, row.external_ref, row.therapist, row.protocol, row.condition,
            row.prescribed, row.completed_days, row.adherence_pct, row.mean_pain_during, row.last_session_date,
            row.current_step, row.current_step_words, row.open_flags)


def test_hand_computed_rounding_half_up(world):
    """One training day of two prescribed is 50.0; a mean pain of 1/4 = 0.25 rounds half up to 0.3."""
    protocol = make_protocol(clinic=world.clinic_a)
    patient = PatientFactory(clinic=world.clinic_a, therapist=world.therapist_a, external_ref="HALF")
    # Monday 2 March to Sunday 8 March, 2 a week: prescribed 2.
    assignment = assignment_create(patient=patient, protocol=protocol, start_date=D(2026, 3, 2), baseline_pain=2,
                                   sessions_per_week=2)
    exercise = assignment.exercises.get(order=0)
    for pain in (0, 0, 1):  # three sessions, one training day
        SessionLogFactory(exercise=exercise, date=D(2026, 3, 3), pain_during=pain)
    SessionLogFactory(exercise=exercise, date=D(2026, 3, 5), pain_during=0, completed=False)  # not a training day
    rows = adherence_totals_report(actor=resolve_actor(world.therapist_a), start=D(2026, 3, 2), end=D(2026, 3, 8),
                                   today=D(2026, 3, 31), patient_id=patient.pk)
    assert [(r.prescribed, r.completed_days, r.adherence_pct, r.mean_pain_during) for r in rows] == [
        (Decimal("2.00"), 1, Decimal("50.0"), Decimal("0.3"))]


@pytest.mark.parametrize("plans", [3, 30])
def test_the_statement_is_one_query_whatever_the_number_of_plans(world, plans):
    """The same single query on PostgreSQL and SQLite, for 3 plans or 30."""
    protocol = make_protocol(clinic=world.clinic_a)
    for n in range(plans):
        patient = PatientFactory(clinic=world.clinic_a, therapist=world.therapist_a)
        assignment = assignment_create(patient=patient, protocol=protocol, start_date=D(2026, 2, 1), baseline_pain=1)
        SessionLogFactory(exercise=assignment.exercises.get(order=0), date=D(2026, 3, 5 + n % 7))
    actor = resolve_actor(world.therapist_a)
    with CaptureQueriesContext(connection) as captured:
        rows = adherence_totals_report(actor=actor, start=D(2026, 3, 4), end=D(2026, 3, 17), today=D(2026, 3, 31))
    assert len(captured) == 1
    assert len(rows) >= plans


def test_an_actor_without_a_clinic_gets_no_rows_and_no_query(world):
    from clinic.tenancy import Actor

    with CaptureQueriesContext(connection) as captured:
        rows = adherence_totals_report(actor=Actor(user=None, clinic=None), start=D(2026, 3, 4), end=D(2026, 3, 17),
                                       today=D(2026, 3, 31))
    assert rows == [] and len(captured) == 0


@given(numerator=st.integers(0, 10**7), denominator=st.integers(1, 10**5), decimals=st.integers(0, 3))
def test_integer_half_up_equals_the_fraction_rounding(numerator, denominator, decimals):
    """patients.adherence rounds the report's figures with integers; the same digits and places as rounding the
    exact fraction half up with Decimal (halves included: 1/8 -> 0.13, 1/4 -> 0.3)."""
    from fractions import Fraction

    from patients.adherence import half_up, to_decimal

    places = "1" if decimals == 0 else "0." + "0" * (decimals - 1) + "1"
    expected = to_decimal(Fraction(numerator, denominator), places)
    got = half_up(numerator, denominator, decimals)
    assert got == expected and got.as_tuple() == expected.as_tuple()
    assert half_up(1, 8, 2) == Decimal("0.13") and half_up(1, 4, 1) == Decimal("0.3")
