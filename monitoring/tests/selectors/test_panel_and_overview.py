"""The patient panel's and the clinic list's reads: what they hold, in how many queries."""

from __future__ import annotations

import datetime as dt

import pytest

from clinic.tenancy import resolve_actor
from monitoring import periods
from monitoring.selectors import clinic_overview, patient_panel
from monitoring.services import enrolment_end, time_entry_create, timer_start
from monitoring.tests.support import D, aware, checkins_on, enrolled, patient_on_plan, sessions_on

pytestmark = pytest.mark.django_db
TODAY = D(2026, 3, 20)


def test_a_patient_never_enrolled_costs_one_query(world, django_assert_num_queries):
    with django_assert_num_queries(1):
        panel = patient_panel(patient=world.patient_a1, user=world.therapist_a, today=TODAY)
    assert (panel.has_plan, panel.episode, panel.timer, panel.running) == (True, None, None, False)


def test_an_enrolled_patient_costs_five_and_shows_the_period_the_month_and_the_timer(world,
                                                                                      django_assert_num_queries):
    patient, plan = patient_on_plan(world.clinic_a, world.therapist_a, start=D(2026, 2, 1), first_name="Zia")
    enrolled(world, patient, D(2026, 2, 10))  # periods 10 Feb-11 Mar, 12 Mar-10 Apr
    sessions_on(plan, D(2026, 3, 12), D(2026, 3, 13))
    checkins_on(patient, D(2026, 3, 13), D(2026, 3, 14))
    time_entry_create(patient=patient, author=world.therapist_a, date=D(2026, 3, 2), minutes=21,
                      activity="Call", interactive=True, today=TODAY)
    time_entry_create(patient=patient, author=world.therapist_a, date=D(2026, 2, 20), minutes=30,
                      activity="Review", interactive=False, today=TODAY)
    other, _plan = patient_on_plan(world.clinic_a, world.therapist_a, start=D(2026, 2, 1), first_name="Yan")
    enrolled(world, other, D(2026, 2, 10))
    timer_start(user=world.therapist_a, patient=other, now=aware(2026, 3, 20, 9))
    with django_assert_num_queries(5):
        panel = patient_panel(patient=patient, user=world.therapist_a, today=TODAY)
    assert panel.running and (panel.period.number, panel.period.start) == (2, D(2026, 3, 12))
    # 12, 13, 14 March: 3 days; 8 days past (12-19 March): 3 x 30 = 90 < 16 x 8 = 128, so at risk.
    assert (panel.status.status, panel.status.days, panel.status.days_left) == (periods.AT_RISK, 3, 22)
    assert panel.progress.time == periods.MonthTime(21, True) and [str(c) for c in panel.progress.codes] == [
        "98980"]
    assert [e.minutes for e in panel.entries] == [21]  # this month's only
    assert panel.timer.patient_name.startswith("Yan") and not panel.timer_here


def test_the_clinic_list_holds_episodes_running_today(world):
    def patient(name):
        return patient_on_plan(world.clinic_a, world.therapist_a, start=D(2026, 2, 1), first_name=name,
                               last_name="Test")[0]

    running, ended, later = patient("Run"), patient("End"), patient("Late")
    enrolled(world, running, D(2026, 3, 1))
    episode = enrolled(world, ended, D(2026, 3, 1))
    enrolment_end(episode=episode, last_day=D(2026, 3, 10), ended_by=world.therapist_a, today=TODAY)
    enrolled(world, later, D(2026, 3, 19))
    rows = clinic_overview(actor=resolve_actor(world.therapist_a), today=TODAY)
    assert [r.patient.first_name for r in rows] == ["Late", "Run"]  # both no data; by last, then first name
    assert clinic_overview(actor=resolve_actor(world.therapist_a), today=D(2026, 3, 18))[0].patient == running
    assert clinic_overview(actor=resolve_actor(world.therapist_b), today=TODAY) == []
    assert rows[1].period.start == D(2026, 3, 1) and rows[1].status.days_left == 11
    assert dt.date(2026, 3, 1) == periods.month_of(TODAY)
