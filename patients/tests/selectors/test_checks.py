"""The engine's input read from the database: next-morning check-ins, the sessions that can matter, measurements."""

import datetime as dt

import pytest

from patients.selectors import engine_inputs
from patients.services import measurement_record
from patients.tests.support import TODAY, session, walk

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


def test_engine_input_maps_next_morning_checkins_and_latest_measurement(world):
    session(world, 3, morning=1)
    session(world, 3, morning=None)  # same day: the same check-in applies to both sessions
    session(world, 1)
    measurement_record(patient=world.patient_a1, date=TODAY - dt.timedelta(days=9), recorded_by=world.therapist_a,
                       effusion="1+", quad_lsi_pct=60)
    measurement_record(patient=world.patient_a1, date=TODAY - dt.timedelta(days=2), recorded_by=world.therapist_a,
                       effusion="trace")
    (checked,) = engine_inputs(exercises=[walk(world.assignment_a1)], today=TODAY)
    data = checked.engine_input
    assert [s["pain_next_morning"] for s in data["sessions"]] == [1, 1, None]
    assert data["measurements"] == [{"date": str(TODAY - dt.timedelta(days=2)), "effusion": "trace",
                                     "quad_lsi_pct": None, "hop_lsi_pct": None, "rom_pct": None,
                                     "running_signoff": False}]
    assert data["baseline_pain"] == 2 and data["assignment_start"] == str(world.assignment_a1.start_date)
    assert len(data["ladder"]) == 3 and data["current_step"] == 0


def test_engine_input_keeps_only_sessions_that_can_matter(world):
    for days_ago in range(40, 14, -1):
        session(world, days_ago)
    session(world, 2)
    (checked,) = engine_inputs(exercises=[walk(world.assignment_a1)], today=TODAY, lookback_sessions=3)
    dates = [s["date"] for s in checked.engine_input["sessions"]]
    assert dates == [str(TODAY - dt.timedelta(days=d)) for d in (17, 16, 15, 2)]


def test_a_future_dated_measurement_is_ignored(world):
    from patients.models import Measurement

    Measurement.objects.create(patient=world.patient_a1, date=TODAY + dt.timedelta(days=365), effusion="3+")
    measurement_record(patient=world.patient_a1, date=TODAY, recorded_by=world.therapist_a, effusion="trace")
    (checked,) = engine_inputs(exercises=[walk(world.assignment_a1)], today=TODAY)
    assert checked.engine_input["measurements"][0]["effusion"] == "trace"
