"""The phone's log form: what each exercise kind logs, the dates it offers, and nothing chosen is lost."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal

import pytest
from django.urls import reverse

from patients.models import SessionLog
from patients.services import assignment_create, clinic_today
from protocols.models import Protocol
from protocols.services import library_install
from tests.factories import PatientFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


def quad_sets(world):
    return world.assignment_a1.exercises.get(order=1, phase__order=0)  # 3 sets of 10 (make_protocol)


def form(world, **overrides) -> dict:
    """A post as the phone sends it; fields of other exercises keep their plan values, as on the page."""
    data = {"exercise": quad_sets(world).pk, "date": clinic_today(world.clinic_a).isoformat(), "completed": "yes",
            "duration_min": "10", "speed_kmh": "2.5", "incline_pct": "0", "sets": "3", "reps": "8",
            "hold_seconds": "", "pain_during": "2", "pain_after": "1", "rpe": "5", "notes": "",
            "client_uuid": str(uuid.uuid4())}
    data.update(overrides)
    return data


def test_a_strength_exercise_logs_sets_and_reps_not_minutes(client, world):
    client.force_login(world.patient_a1.user)
    response = client.post(reverse("patients:log-session"), form(world))
    session = SessionLog.objects.get()
    assert (session.sets, session.reps, session.hold_seconds) == (3, 8, None)
    # The treadmill's fields were hidden for this exercise: their leftover values are not saved.
    assert (session.duration_min, session.speed_kmh, session.incline_pct) == (None, None, None)
    saved = client.get(response.url).content.decode()
    assert "3 sets of 8 reps" in saved and "None" not in saved
    # The message fits the kind: only treadmill levels are checked after each session.
    assert "Your therapist sees this session with your plan" in saved
    assert "Your next level will show" not in saved


def test_sets_are_required_for_a_strength_exercise_and_minutes_for_the_treadmill(client, world):
    client.force_login(world.patient_a1.user)
    refused = client.post(reverse("patients:log-session"), form(world, sets="", reps=""))
    body = refused.content.decode()
    assert body.count("Enter what you did") == 2 and not SessionLog.objects.exists()
    walk = world.assignment_a1.exercises.get(order=0, phase__order=0)
    client.post(reverse("patients:log-session"), form(world, exercise=walk.pk, duration_min=""))
    assert not SessionLog.objects.exists()
    client.post(reverse("patients:log-session"), form(world, exercise=walk.pk))
    assert SessionLog.objects.get().sets is None and SessionLog.objects.get().duration_min == 10


def test_the_log_page_offers_each_exercise_what_it_logs(client, world):
    client.force_login(world.patient_a1.user)
    page = client.get(reverse("patients:log-session")).context
    walk, quads = world.assignment_a1.exercises.get(order=0), quad_sets(world)
    walk_values = page["prefill"][walk.pk]
    assert list(walk_values) == ["exercise", "duration_min", "speed_kmh", "incline_pct"]
    assert [Decimal(walk_values[name]) for name in ("duration_min", "speed_kmh", "incline_pct")] == [10, 2.5, 0]
    assert page["prefill"][quads.pk] == {"exercise": str(quads.pk), "sets": "3", "reps": "10"}


def test_the_date_list_starts_at_the_plans_start(client, world):
    patient = PatientFactory(clinic=world.clinic_a, therapist=world.therapist_a, user=UserFactory())
    today = clinic_today(world.clinic_a)
    assignment_create(patient=patient, protocol=world.assignment_a1.protocol, start_date=today - dt.timedelta(days=3),
                      baseline_pain=2)
    client.force_login(patient.user)
    choices = client.get(reverse("patients:log-session")).context["form"].fields["date"].choices
    assert [value for value, _label in choices] == [(today - dt.timedelta(days=n)).isoformat() for n in range(4)]
    # A plan that started long ago: today and the 14 days before it, as before.
    client.force_login(world.patient_a1.user)
    assert len(client.get(reverse("patients:log-session")).context["form"].fields["date"].choices) == 15


def checked(body: str, name: str) -> list[str]:
    return re.findall(rf'name="{name}"[^>]*value="([^"]+)"[^>]*checked', body)


def test_a_refused_form_comes_back_with_every_choice_kept(client, world):
    client.force_login(world.patient_a1.user)
    walk = world.assignment_a1.exercises.get(order=0, phase__order=0)
    data = form(world, exercise=walk.pk, duration_min="0", completed="no", pain_during="4", pain_after="3", rpe="7",
                notes="Knee clicked twice.", date=(clinic_today(world.clinic_a) - dt.timedelta(days=2)).isoformat())
    body = client.post(reverse("patients:log-session"), data).content.decode()
    assert not SessionLog.objects.exists()
    assert checked(body, "pain_during") == ["4"] and checked(body, "pain_after") == ["3"]
    assert checked(body, "rpe") == ["7"] and checked(body, "completed") == ["no"]
    assert "Knee clicked twice.</textarea>" in body
    assert f'<option value="{data["date"]}" selected>' in body
    assert f'value="{data["client_uuid"]}"' in body  # the same entry when it is sent again
    # No radio opts out of the browser keeping its value when the patient goes back to the page.
    assert 'autocomplete="off"' not in body


def test_the_same_form_sent_again_with_changes_points_to_the_saved_entry(client, world):
    client.force_login(world.patient_a1.user)
    data = form(world)
    client.post(reverse("patients:log-session"), data)
    body = client.post(reverse("patients:log-session"), {**data, "pain_during": "4"}).content.decode()
    session = SessionLog.objects.get()
    assert session.pain_during == 2
    assert reverse("patients:session-saved", args=[session.pk]) in body and "correct it for 24 hours" in body
    assert checked(body, "pain_during") == ["4"]


def test_every_page_writes_a_wall_sit_in_words(client, world):
    """The built-in PFP protocol's wall sit (3 sets, 30-second holds, no reps) on the phone, patient page, handout."""
    library_install()
    patient = PatientFactory(clinic=world.clinic_a, therapist=world.therapist_a, user=UserFactory())
    assignment_create(patient=patient, protocol=Protocol.objects.get(slug="pfp-retro-incline-6-weeks"),
                      start_date=clinic_today(world.clinic_a), baseline_pain=2)
    client.force_login(patient.user)
    today = client.get(reverse("patients:today")).content.decode()
    assert "3 holds of 30 seconds" in today and "3 sets of 10 reps, holding each for 5 seconds" in today
    client.force_login(world.therapist_a)
    for name in ("patients:detail", "patients:handout"):
        body = client.get(reverse(name, args=[patient.pk])).content.decode()
        assert "3 holds of 30 seconds" in body and "None" not in body, name
