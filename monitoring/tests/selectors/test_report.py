"""The billing report (selectors.rtm_report) on hand-worked patients: every figure is derived in the comments."""

from __future__ import annotations

import datetime as dt

import pytest

from clinic.tenancy import resolve_actor
from monitoring import periods
from monitoring.models import Enrolment
from monitoring.selectors import rtm_report
from monitoring.services import enrolment_end, enrolment_start, time_entry_create
from monitoring.tests.support import D, aware, checkins_on, days_from, patient_on_plan, sessions_on

pytestmark = pytest.mark.django_db


def codes(row) -> list[str]:
    return [str(c) for c in row.codes]


def report(world, start, end, today, **filters):
    return rtm_report(actor=resolve_actor(world.therapist_a), start=start, end=end, today=today, **filters)


def time(patient, world, day, minutes, interactive, today):
    return time_entry_create(patient=patient, author=world.therapist_a, date=day, minutes=minutes,
                             activity="Reviewed the data", interactive=interactive, today=today)


@pytest.fixture
def ada(world):
    """Set up 15 Jan 2026: periods 15 Jan-13 Feb, 14 Feb-15 Mar, 16 Mar-14 Apr; today 20 March."""
    today = D(2026, 3, 20)
    patient, plan = patient_on_plan(world.clinic_a, world.therapist_a, start=D(2026, 1, 1), ref="ADA")
    enrolment_start(patient=patient, setup_date=D(2026, 1, 15), enrolled_by=world.therapist_a, today=D(2026, 1, 15))
    # Period 1: sessions on 15-30 Jan (16 days), a check-in on 20 Jan too (the same day: still one), and a
    # session the patient logged on their own day 13 Feb that reached the server at 02:00 UTC on 14 Feb.
    sessions_on(plan, *days_from(D(2026, 1, 15), 16))
    checkins_on(patient, D(2026, 1, 20))
    sessions_on(plan, D(2026, 2, 13), logged_at=aware(2026, 2, 14, 2))
    # Period 2: check-ins on 14-23 Feb (10 days). Period 3 so far: a session on 16 and 17 March.
    checkins_on(patient, *days_from(D(2026, 2, 14), 10))
    sessions_on(plan, D(2026, 3, 16), D(2026, 3, 17))
    # Outside every period: before the set-up.
    sessions_on(plan, D(2026, 1, 14))
    # Time: January 25 min with a call (98980); February 12 min with a call (98979); March 45 min, one call
    # (98980 + 98981: (45 - 20) // 20 = 1).
    time(patient, world, D(2026, 1, 20), 15, True, today)
    time(patient, world, D(2026, 1, 31), 10, False, today)
    time(patient, world, D(2026, 2, 20), 12, True, today)
    time(patient, world, D(2026, 3, 2), 30, False, today)
    time(patient, world, D(2026, 3, 18), 15, True, today)
    return patient, today


def test_periods_days_and_codes_of_one_episode(world, ada):
    patient, today = ada
    rows = report(world, D(2026, 1, 1), D(2026, 3, 31), today)
    assert [(r.period.number, r.period.start, r.period.end) for r in rows] == [
        (1, D(2026, 1, 15), D(2026, 2, 13)), (2, D(2026, 2, 14), D(2026, 3, 15)), (3, D(2026, 3, 16), D(2026, 4, 14))]
    # 16 + 1 (13 Feb, the patient's day, though received on the 14th) = 17; 10; 2 so far.
    assert [r.days for r in rows] == [17, 10, 2]
    assert [r.in_progress for r in rows] == [False, False, True]
    # January's codes on period 1, February's on period 2, March's on period 3 (the last touching each month).
    assert codes(rows[0]) == ["98975", "98977", "98980"]
    assert codes(rows[1]) == ["98979", "98985"]
    assert codes(rows[2]) == ["98980", "98981", "98985"]
    months = [[(m.month, m.minutes, m.interactive, m.listed_here) for m in r.months] for r in rows]
    assert months == [
        [(D(2026, 1, 1), 25, True, True), (D(2026, 2, 1), 12, True, False)],
        [(D(2026, 2, 1), 12, True, True), (D(2026, 3, 1), 45, True, False)],
        [(D(2026, 3, 1), 45, True, True), (D(2026, 4, 1), 0, False, True)],
    ]


def test_a_window_lists_the_periods_that_overlap_it_and_keeps_each_month_on_its_row(world, ada):
    _patient, today = ada
    # 1-10 March overlaps period 2 only; its March minutes are listed on period 3 whatever the window.
    rows = report(world, D(2026, 3, 1), D(2026, 3, 10), today)
    assert [r.period.number for r in rows] == [2]
    assert codes(rows[0]) == ["98979", "98985"]


def test_re_enrolment_truncation_and_the_rules_of_each_year(world):
    """Ben: episode 1 from 1 Oct 2025, unenrolled after 10 Nov; episode 2 from 20 Dec 2025 across the new year."""
    patient, plan = patient_on_plan(world.clinic_a, world.therapist_a, start=D(2025, 10, 1), ref="BEN")
    first = enrolment_start(patient=patient, setup_date=D(2025, 10, 1), enrolled_by=world.therapist_a,
                            today=D(2025, 10, 1))
    sessions_on(plan, *days_from(D(2025, 10, 1), 10))  # period 1: 10 days
    sessions_on(plan, *days_from(D(2025, 11, 1), 5))  # period 2 (31 Oct - 10 Nov): 5 days
    time(patient, world, D(2025, 11, 5), 15, True, D(2025, 11, 10))
    enrolment_end(episode=first, last_day=D(2025, 11, 10), ended_by=world.therapist_a, today=D(2025, 11, 12))
    second = enrolment_start(patient=patient, setup_date=D(2025, 12, 20), enrolled_by=world.therapist_a,
                             today=D(2025, 12, 20))
    sessions_on(plan, *days_from(D(2025, 12, 20), 10, step=2))  # 20 Dec, 22 Dec, ... 7 Jan: 10 days
    time(patient, world, D(2025, 12, 22), 15, True, D(2026, 2, 1))
    time(patient, world, D(2026, 1, 10), 15, True, D(2026, 2, 1))

    rows = report(world, D(2025, 10, 1), D(2026, 1, 31), D(2026, 2, 1))
    got = [(r.episode.pk, r.period.number, r.period.start, r.period.end, r.period.end_reason, r.days, codes(r))
           for r in rows]
    assert got == [
        # 2025's rules: 98977 needs 16 days and there is no 2-15 code; the set-up needs 16 days too.
        (first.pk, 1, D(2025, 10, 1), D(2025, 10, 30), None, 10, []),
        # Cut short by unenrolment: 11 days. November's 15 min with a call: no code before 2026 (98980 needs 20).
        (first.pk, 2, D(2025, 10, 31), D(2025, 11, 10), periods.UNENROLLED, 5, []),
        # A new episode, a new set-up: judged on 20 Dec 2025 (16 days needed: not met); the device code on
        # 18 Jan 2026, so 2026's 98985. December's 15 minutes: no code under 2025's rules.
        (second.pk, 1, D(2025, 12, 20), D(2026, 1, 18), None, 10, ["98985"]),
        # January is listed on the last period touching it: 19 Jan - 17 Feb, 98979 (15 min with a call, 2026).
        (second.pk, 2, D(2026, 1, 19), D(2026, 2, 17), None, 0, ["98979"]),
    ]
    assert Enrolment.objects.filter(patient=patient).count() == 2


def test_the_plan_ending_mid_period_truncates_the_last_period(world):
    patient, plan = patient_on_plan(world.clinic_a, world.therapist_a, start=D(2026, 3, 1), ref="CY")
    enrolment_start(patient=patient, setup_date=D(2026, 3, 1), enrolled_by=world.therapist_a, today=D(2026, 3, 1))
    sessions_on(plan, D(2026, 4, 1), D(2026, 4, 3), D(2026, 4, 9))
    sessions_on(plan, D(2026, 4, 12))  # after the plan ended: not in any period
    type(plan).objects.filter(pk=plan.pk).update(end_date=D(2026, 4, 10), status="completed")
    rows = report(world, D(2026, 3, 1), D(2026, 5, 1), D(2026, 5, 1))
    assert [(r.period.start, r.period.end, r.period.length, r.period.end_reason, r.days, codes(r)) for r in rows] == [
        (D(2026, 3, 1), D(2026, 3, 30), 30, None, 0, ["98975"]),
        (D(2026, 3, 31), D(2026, 4, 10), 11, periods.PLAN_ENDED, 3, ["98985"]),
    ]


def test_filters_and_scoping(world, ada):
    patient, today = ada
    other, _plan = patient_on_plan(world.clinic_a, world.admin_a, start=D(2026, 1, 1), ref="OTHER")
    enrolment_start(patient=other, setup_date=D(2026, 3, 1), enrolled_by=world.admin_a, today=D(2026, 3, 1))
    window = (D(2026, 3, 1), D(2026, 3, 31), today)
    assert {r.patient.pk for r in report(world, *window)} == {patient.pk, other.pk}
    assert {r.patient.pk for r in report(world, *window, therapist_id=world.admin_a.pk)} == {other.pk}
    assert {r.patient.pk for r in report(world, *window, patient_id=patient.pk)} == {patient.pk}
    clinic_b = rtm_report(actor=resolve_actor(world.therapist_b), start=window[0], end=window[1], today=today)
    assert clinic_b == []


@pytest.mark.parametrize("count", [1, 20])
def test_the_report_reads_with_four_queries_whatever_the_number_of_patients(world, count,
                                                                              django_assert_num_queries):
    for n in range(count):
        patient, plan = patient_on_plan(world.clinic_a, world.therapist_a, start=D(2026, 1, 1))
        setup = D(2026, 1, 5 + n)
        enrolment_start(patient=patient, setup_date=setup, enrolled_by=world.therapist_a, today=D(2026, 2, 1))
        sessions_on(plan, setup, setup + dt.timedelta(days=1))
        time(patient, world, setup, 20, True, D(2026, 2, 1))
    actor = resolve_actor(world.therapist_a)
    # The episodes, the days with data (one UNION), the minutes per month, the rules.
    with django_assert_num_queries(4):
        rows = rtm_report(actor=actor, start=D(2026, 1, 1), end=D(2026, 1, 31), today=D(2026, 3, 1))
    assert len(rows) == count  # period 1 of each (set up 5-24 January) covers the rest of January
