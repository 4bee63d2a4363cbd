"""The pain and training-day charts: one pain-by-day series for both charts, dates in words, whole days."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.urls import reverse

from patients.models import MorningCheckIn
from patients.selectors import day_in_words, pain_history, patient_overview
from patients.services import assignment_create, clinic_today, step_change
from protocols.models import Protocol
from protocols.services import library_install
from tests.api.support import walk
from tests.factories import PatientFactory, SessionLogFactory

pytestmark = pytest.mark.django_db


def test_next_morning_pain_is_on_the_sessions_day_on_both_charts(world):
    today = clinic_today(world.clinic_a)
    session_day = today - dt.timedelta(days=3)
    SessionLogFactory(exercise=walk(world.assignment_a1), date=session_day, pain_during=4, pain_after=2)
    MorningCheckIn.objects.create(patient=world.patient_a1, date=session_day + dt.timedelta(days=1), pain=3,
                                  client_uuid=uuid.uuid4())
    mine = pain_history(patient=world.patient_a1, today=today)
    therapists = patient_overview(patient=world.patient_a1, today=today).chart
    for chart in (mine, therapists):
        assert chart["dates"] == [session_day.isoformat()]
        assert (chart["during"], chart["after"], chart["morning"]) == ([4], [2], [3])
        assert chart["labels"] == [day_in_words(session_day)]
    assert {key: mine[key] for key in mine} == {key: therapists[key] for key in mine}


def test_axis_dates_are_in_words():
    assert day_in_words(dt.date(dt.date.today().year, 3, 2)) == "2 Mar"
    assert day_in_words(dt.date(2001, 12, 28)) == "28 Dec 2001"


def test_planned_training_days_are_whole_days_and_weeks_are_in_words(world):
    today = clinic_today(world.clinic_a)
    weeks = patient_overview(patient=world.patient_a1, today=today).chart["weeks"]
    # The plan started 21 days ago, usually mid-week: the first and last weeks are partial, never fractional.
    assert weeks["planned"] == [world.assignment_a1.sessions_per_week] * len(weeks["labels"])
    assert all(isinstance(n, int) for n in weeks["planned"] + weeks["done"])
    assert weeks["labels"][0].startswith("week of ") and "-" not in weeks["labels"][0]
    assert "prescribed" not in weeks


def test_step_changes_say_up_or_down(world):
    today = clinic_today(world.clinic_a)
    exercise = walk(world.assignment_a1)
    step_change(exercise=exercise, step=2, effective_date=today - dt.timedelta(days=5), source="therapist",
                reason="Two levels up.")
    step_change(exercise=exercise, step=1, effective_date=today - dt.timedelta(days=2), source="engine",
                reason="Pain above 5.")
    changes = patient_overview(patient=world.patient_a1, today=today).chart["changes"]
    size = exercise.ladder_steps.count()
    assert [(c["level"], c["direction"]) for c in changes] == [
        (f"level 3 of {size}", "up"), (f"level 2 of {size}", "down")]


def test_the_step_history_has_one_starting_line_for_the_whole_plan(client, world):
    """The built-in ACL protocol has three treadmill ladders; the history once said "starting step" three times."""
    library_install()
    patient = PatientFactory(clinic=world.clinic_a, therapist=world.therapist_a, condition="acl",
                             surgery_date=dt.date.today() - dt.timedelta(weeks=8))
    assignment = assignment_create(patient=patient, start_date=dt.date.today() - dt.timedelta(days=10),
                                   protocol=Protocol.objects.get(slug="acl-retro-incline-phases-1-3"),
                                   baseline_pain=1)
    assert assignment.exercises.filter(current_step__isnull=False).count() == 3
    client.force_login(world.therapist_a)
    body = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "Starting step of the assigned protocol." not in body
    assert body.count("Plan assigned: every treadmill ladder starts at its first level.") == 1
