"""The remote-monitoring panel on the staff patient page: enrol, the timer across reloads and patients, time."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clinic.clock import clinic_today
from monitoring.models import RunningTimer, TimeEntry
from monitoring.services import enrolment_end, time_entry_create, timer_start
from monitoring.tests.support import checkins_on, enrolled, patient_on_plan, sessions_on
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def page(client, patient) -> str:
    response = client.get(reverse("patients:detail", args=[patient.pk]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def today(world):
    return clinic_today(world.clinic_a)


@pytest.fixture
def staff(client, world):
    client.force_login(world.therapist_a)
    return client


def test_enrol_from_the_panel(staff, world, today):
    body = page(staff, world.patient_a1)
    assert 'id="monitoring"' in body and "Enrol in remote monitoring" in body and "never submits claims" in body
    response = staff.post(reverse("monitoring:enrol", args=[world.patient_a1.pk]),
                          {"rtm-enrol-setup_date": (today - dt.timedelta(days=3)).isoformat()})
    assert response.status_code == 302 and response["Location"].endswith("#monitoring")
    body = page(staff, world.patient_a1)
    assert "Period 1:" in body and "Start the timer" in body and "Enrolled in remote monitoring from" in body


def test_a_patient_without_a_plan_is_told_to_get_one_first(staff, world):
    body = page(staff, PatientFactory(clinic=world.clinic_a, therapist=world.therapist_a))
    assert "assign a protocol first" in body and "rtm-enrol-setup_date" not in body


def test_the_timer_survives_a_reload_and_moves_between_patients(staff, world, today):
    a, b = world.patient_a1, world.patient_a2
    for patient in (a, b):
        enrolled(world, patient, today - dt.timedelta(days=3), today=today)
    timer_start(user=world.therapist_a, patient=a, now=timezone.now() - dt.timedelta(minutes=5, seconds=7))
    body = page(staff, a)  # as after a reload: the server knows the timer
    assert "Timer running" in body and "0:05:0" in body and 'data-rtm-elapsed="30' in body
    assert "js/rtm-timer.js" in body
    other = page(staff, b)
    assert "Your timer is running on Alma Ashby" in other and "stops that one and saves its minutes" in other
    response = staff.post(reverse("monitoring:timer-start", args=[b.pk]), follow=True)
    text = response.content.decode()
    assert "Your timer on Alma Ashby was stopped and 5 minutes saved" in text
    assert list(RunningTimer.objects.values_list("patient", flat=True)) == [b.pk]
    assert TimeEntry.objects.get(patient=a).minutes == 5
    response = staff.post(reverse("monitoring:timer-stop", args=[b.pk]),
                          {"rtm-stop-activity": "Video call", "rtm-stop-interactive": "yes"}, follow=True)
    # Stopped within seconds of starting: under half a minute saves nothing, and the page says so.
    assert "ran for less than half a minute: nothing was saved" in response.content.decode()
    assert not RunningTimer.objects.exists() and not TimeEntry.objects.filter(patient=b).exists()


def test_stopping_with_a_bad_form_keeps_the_timer_running(staff, world, today):
    enrolled(world, world.patient_a1, today, today=today)
    timer_start(user=world.therapist_a, patient=world.patient_a1)
    response = staff.post(reverse("monitoring:timer-stop", args=[world.patient_a1.pk]),
                          {"rtm-stop-activity": "", "rtm-stop-interactive": "maybe"})
    assert response.status_code == 400 and "is-invalid" in response.content.decode()
    assert RunningTimer.objects.exists()


def test_an_ended_episode_offers_a_new_one(staff, world, today):
    episode = enrolled(world, world.patient_a1, today - dt.timedelta(days=5), today=today)
    enrolment_end(episode=episode, last_day=today - dt.timedelta(days=1), ended_by=world.therapist_a, today=today)
    body = page(staff, world.patient_a1)
    assert "has ended" in body and "Enrol in remote monitoring" in body


def test_the_panel_reads_a_fixed_number_of_queries_however_long_the_history(staff, world, today):
    patient, plan = world.patient_a1, world.assignment_a1
    enrolled(world, patient, today - dt.timedelta(days=20), today=today)
    sessions_on(plan, today)  # the patient page's own session list then reads the same with more history
    url = reverse("patients:detail", args=[patient.pk])
    staff.get(url)
    with CaptureQueriesContext(connection) as few:
        staff.get(url)
    for back in range(1, 15):
        day = today - dt.timedelta(days=back)
        sessions_on(plan, day)
        checkins_on(patient, day)
        if day.month == today.month:
            time_entry_create(patient=patient, author=world.therapist_a, date=day, minutes=3, activity="Review",
                              interactive=back % 2 == 0, today=today)
    with CaptureQueriesContext(connection) as many:
        staff.get(url)
    assert len(many) == len(few)
    # The enrolled panel's own reads: the facts (timer, episode, plan), the episode, the days, the month's
    # entries, the rules.
    unenrolled = patient_on_plan(world.clinic_a, world.therapist_a, start=today)[0]
    staff.get(reverse("patients:detail", args=[unenrolled.pk]))
    with CaptureQueriesContext(connection) as bare:
        staff.get(reverse("patients:detail", args=[unenrolled.pk]))
    assert len(few) - len(bare) <= 4 + 1  # (and one of the patient page's own: it lists a session)
