"""The management timer (services.timer_start / timer_stop): on the server, one per person, never two patients."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from clinic.models import Clinic
from monitoring.models import RunningTimer
from monitoring.services import elapsed_minutes, enrolment_start, timer_start, timer_stop
from monitoring.tests.support import D, aware, entries, patient_on_plan

pytestmark = pytest.mark.django_db
START = aware(2026, 3, 10, 9)  # 09:00 UTC, 09:00 in London (winter time)


@pytest.fixture
def two(world):
    """Patients A and B of clinic A, both enrolled from 1 March 2026."""
    made = []
    for ref in ("A", "B"):
        patient, _plan = patient_on_plan(world.clinic_a, world.therapist_a, start=D(2026, 3, 1), ref=ref)
        enrolment_start(patient=patient, setup_date=D(2026, 3, 1), enrolled_by=world.therapist_a,
                        today=D(2026, 3, 1))
        made.append(patient)
    return made


def later(minutes: float) -> dt.datetime:
    return START + dt.timedelta(minutes=minutes)


@pytest.mark.parametrize("seconds, minutes", [(0, 0), (29, 0), (30, 1), (749, 12), (750, 13), (-5, 0)])
def test_minutes_round_half_up(seconds, minutes):
    assert elapsed_minutes(START, START + dt.timedelta(seconds=seconds)) == minutes


def test_start_then_stop_saves_the_minutes_with_what_was_done(world, two):
    a, _b = two
    timer_start(user=world.therapist_a, patient=a, now=START)
    stopped = timer_stop(user=world.therapist_a, patient=a, activity="  Video call about the next step ",
                         interactive=True, now=later(12.5))
    assert stopped.minutes == 13 and not RunningTimer.objects.exists()
    assert entries(a) == [(D(2026, 3, 10), 13, True, "timer")]
    assert stopped.entry.activity == "Video call about the next step" and stopped.entry.author == world.therapist_a


def test_starting_on_another_patient_stops_the_first_and_saves_its_minutes(world, two):
    a, b = two
    timer_start(user=world.therapist_a, patient=a, now=START)
    started = timer_start(user=world.therapist_a, patient=b, now=later(7))
    assert started.stopped.patient == a and started.stopped.minutes == 7
    assert entries(a) == [(D(2026, 3, 10), 7, False, "timer")]  # not interactive unless someone says so
    assert list(RunningTimer.objects.values_list("user", "patient")) == [(world.therapist_a.pk, b.pk)]


def test_starting_twice_on_one_patient_keeps_one_timer(world, two):
    a, _b = two
    first = timer_start(user=world.therapist_a, patient=a, now=START)
    again = timer_start(user=world.therapist_a, patient=a, now=later(3))
    assert again.already_running and again.timer.started_at == first.timer.started_at
    assert RunningTimer.objects.count() == 1 and entries(a) == []


def test_each_staff_member_has_their_own_timer(world, two):
    a, _b = two
    timer_start(user=world.therapist_a, patient=a, now=START)
    timer_start(user=world.admin_a, patient=a, now=later(1))
    timer_stop(user=world.admin_a, patient=a, activity="Reviewed the data", interactive=False, now=later(6))
    assert RunningTimer.objects.get().user == world.therapist_a
    assert entries(a) == [(D(2026, 3, 10), 5, False, "timer")]


def test_under_half_a_minute_saves_nothing_and_four_hours_at_most(world, two):
    a, _b = two
    timer_start(user=world.therapist_a, patient=a, now=START)
    assert timer_stop(user=world.therapist_a, patient=a, activity="x", interactive=False,
                      now=later(0.4)).entry is None
    timer_start(user=world.therapist_a, patient=a, now=START)
    forgotten = timer_stop(user=world.therapist_a, patient=a, activity="x", interactive=False, now=later(600))
    assert (forgotten.minutes, forgotten.capped) == (240, True)


def test_the_entry_is_dated_by_the_clinic_day_the_timer_started(world, two):
    a, _b = two
    Clinic.objects.filter(pk=world.clinic_a.pk).update(timezone="America/New_York")
    a.clinic.refresh_from_db()
    # 03:00 UTC on 1 April is 23:00 on 31 March in New York (UTC-4 since 8 March): March's minutes.
    timer_start(user=world.therapist_a, patient=a, now=aware(2026, 4, 1, 3))
    timer_stop(user=world.therapist_a, patient=a, activity="x", interactive=False, now=aware(2026, 4, 1, 3, 20))
    assert entries(a) == [(D(2026, 3, 31), 20, False, "timer")]
    # And 03:00 UTC on 1 March was 22:00 on 28 February there: before the set-up, so no timer at all.
    with pytest.raises(ValidationError, match="Enrol the patient"):
        timer_start(user=world.therapist_a, patient=a, now=aware(2026, 3, 1, 3))


def test_the_timer_needs_an_enrolled_patient_and_stopping_needs_a_running_timer(world):
    patient, _plan = patient_on_plan(world.clinic_a, world.therapist_a, start=D(2026, 3, 1))
    with pytest.raises(ValidationError, match="Enrol the patient"):
        timer_start(user=world.therapist_a, patient=patient, now=START)
    with pytest.raises(ValidationError, match="not running"):
        timer_stop(user=world.therapist_a, patient=patient, activity="x", interactive=False, now=START)
