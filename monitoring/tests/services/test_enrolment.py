"""Enrolling and unenrolling (services.enrolment_start / enrolment_end)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from monitoring.models import Enrolment, RunningTimer, TimeEntry
from monitoring.services import enrolment_end, enrolment_start, time_entry_create, timer_start
from monitoring.tests.support import D, aware, patient_on_plan
from patients.models import Assignment
from patients.services import assignment_create
from tests.factories import PatientFactory, make_protocol

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada(world):
    return patient_on_plan(world.clinic_a, world.therapist_a, start=D(2026, 1, 1))


TODAY = D(2026, 6, 1)


def enrol(world, patient, day, today=TODAY):
    return enrolment_start(patient=patient, setup_date=day, enrolled_by=world.therapist_a, today=today)


def messages(error) -> str:
    return " ".join(m for ms in error.value.message_dict.values() for m in ms)


def test_enrolling_starts_an_episode_on_the_set_up_date(world, ada):
    patient, plan = ada
    episode = enrol(world, patient, D(2026, 2, 1))
    assert (episode.setup_date, episode.assignment, episode.last_day, episode.enrolled_by) == (
        D(2026, 2, 1), plan, None, world.therapist_a)


@pytest.mark.parametrize("day, words", [
    (D(2026, 6, 2), "future"),
    (D(2025, 12, 31), "before the plan started (2026-01-01)"),
])
def test_set_up_dates_are_checked(world, ada, day, words):
    with pytest.raises(ValidationError) as error:
        enrol(world, ada[0], day)
    assert words in messages(error)


def test_a_patient_without_a_running_plan_cannot_be_enrolled(world):
    patient = PatientFactory(clinic=world.clinic_a, therapist=world.therapist_a)
    with pytest.raises(ValidationError) as error:
        enrol(world, patient, D(2026, 2, 1))
    assert "Assign a plan first" in messages(error)


def test_one_episode_at_a_time(world, ada):
    enrol(world, ada[0], D(2026, 2, 1))
    with pytest.raises(ValidationError) as error:
        enrol(world, ada[0], D(2026, 3, 1))
    assert "already runs from 2026-02-01" in messages(error)


def test_re_enrolment_after_unenrolling_is_a_new_episode(world, ada):
    patient, _plan = ada
    first = enrol(world, patient, D(2026, 2, 1))
    enrolment_end(episode=first, last_day=D(2026, 2, 20), ended_by=world.therapist_a, today=D(2026, 3, 1))
    with pytest.raises(ValidationError):  # overlapping the first episode's days
        enrol(world, patient, D(2026, 2, 20))
    second = enrol(world, patient, D(2026, 2, 21))
    assert second.pk != first.pk and Enrolment.objects.filter(patient=patient).count() == 2
    first.refresh_from_db()
    assert (first.last_day, first.ended_by) == (D(2026, 2, 20), world.therapist_a)


def test_enrolling_a_new_plan_closes_the_episode_of_the_plan_that_ended(world, ada):
    patient, plan = ada
    first = enrol(world, patient, D(2026, 2, 1))
    Assignment.objects.filter(pk=plan.pk).update(end_date=D(2026, 3, 10), status="completed")
    new_plan = assignment_create(patient=patient, protocol=make_protocol(), start_date=D(2026, 3, 15),
                                 baseline_pain=2)
    second = enrol(world, patient, D(2026, 3, 15))
    first.refresh_from_db()
    assert first.last_day == D(2026, 3, 10) and second.assignment == new_plan


def test_unenrolling_checks_its_day_and_stops_running_timers(world, ada):
    patient, _plan = ada
    episode = enrol(world, patient, D(2026, 2, 1), today=D(2026, 2, 1))
    for last_day, words in ((D(2026, 1, 31), "before the set-up date"), (D(2026, 6, 2), "future")):
        with pytest.raises(ValidationError) as error:
            enrolment_end(episode=episode, last_day=last_day, ended_by=world.therapist_a, today=D(2026, 6, 1))
        assert words in messages(error)
    time_entry_create(patient=patient, author=world.therapist_a, date=D(2026, 3, 5), minutes=5, activity="Call",
                      interactive=True, today=D(2026, 6, 1))
    with pytest.raises(ValidationError) as error:
        enrolment_end(episode=episode, last_day=D(2026, 3, 1), ended_by=world.therapist_a, today=D(2026, 6, 1))
    assert "1 management-time entry is dated after this day" in messages(error)
    timer_start(user=world.admin_a, patient=patient, now=aware(2026, 3, 6, 10))
    enrolment_end(episode=episode, last_day=D(2026, 3, 6), ended_by=world.therapist_a, today=D(2026, 6, 1),
                  now=aware(2026, 3, 6, 10, 20))
    assert not RunningTimer.objects.exists()
    saved = TimeEntry.objects.get(author=world.admin_a)
    assert (saved.date, saved.minutes, saved.source) == (D(2026, 3, 6), 20, "timer")
    with pytest.raises(ValidationError):
        enrolment_end(episode=episode, last_day=D(2026, 3, 6), ended_by=world.therapist_a, today=D(2026, 6, 1))
