"""Entries: session logging (once per client_uuid, dated within 14 days, the level of its own day) and check-ins."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from patients.models import SessionLog
from patients.services import checkin_record, session_log_create, step_change
from patients.tests.support import TODAY, walk  # TODAY: the world fixture's plans started three weeks ago

pytestmark = pytest.mark.django_db


def log(world, **overrides):
    kwargs = dict(patient=world.patient_a1, exercise=walk(world.assignment_a1), date=TODAY, today=TODAY,
                  duration_min=10, pain_during=2, pain_after=1, speed_kmh=Decimal("2.5"), incline_pct=Decimal("0"))
    kwargs.update(overrides)
    return session_log_create(**kwargs)


def test_session_log_is_saved_once_per_client_uuid(world):
    key = uuid.uuid4()
    first = log(world, client_uuid=key)
    again = log(world, client_uuid=key)
    assert first.created and not again.created
    assert first.session.pk == again.session.pk
    assert SessionLog.objects.filter(client_uuid=key).count() == 1
    assert first.session.step == 0  # the step in force on the session date


def test_same_uuid_with_different_content_is_refused(world):
    key = uuid.uuid4()
    log(world, client_uuid=key)
    with pytest.raises(ValidationError) as err:
        log(world, client_uuid=key, pain_during=4)
    assert "client_uuid" in err.value.message_dict
    assert SessionLog.objects.get(client_uuid=key).pain_during == 2


@pytest.mark.parametrize(("date", "ok"), [(TODAY, True), (TODAY - dt.timedelta(days=14), True),
                                          (TODAY - dt.timedelta(days=15), False),
                                          (TODAY + dt.timedelta(days=1), False)])
def test_session_dates_back_to_14_days_never_future(world, date, ok):
    if ok:
        assert log(world, date=date).created
    else:
        with pytest.raises(ValidationError) as err:
            log(world, date=date)
        assert "date" in err.value.message_dict


def test_session_before_the_plan_started_is_refused(world):
    world.assignment_a1.start_date = TODAY - dt.timedelta(days=2)
    world.assignment_a1.save()
    with pytest.raises(ValidationError) as err:
        log(world, date=TODAY - dt.timedelta(days=3))
    assert "date" in err.value.message_dict


def test_session_for_another_patients_exercise_is_refused(world):
    with pytest.raises(ValidationError) as err:
        log(world, exercise=walk(world.assignment_a2))
    assert "exercise" in err.value.message_dict


@pytest.mark.parametrize("field", ["pain_during", "pain_after", "rpe"])
def test_session_pain_out_of_range_names_the_field(world, field):
    with pytest.raises(ValidationError) as err:
        log(world, **{field: 11})
    assert field in err.value.message_dict


def test_checkin_once_per_day_second_updates(world):
    first, created = checkin_record(patient=world.patient_a1, date=TODAY, today=TODAY, pain=3)
    second, created_again = checkin_record(patient=world.patient_a1, date=TODAY, today=TODAY, pain=1)
    assert created and not created_again
    assert first.pk == second.pk and second.pain == 1


def test_back_dated_session_records_the_step_of_its_own_day(world):
    exercise = walk(world.assignment_a1)
    step_change(exercise=exercise, step=1, effective_date=TODAY - dt.timedelta(days=3), source="therapist",
                reason="Two green sessions")
    step_change(exercise=exercise, step=2, effective_date=TODAY, source="therapist", reason="Two more")
    assert log(world, date=TODAY - dt.timedelta(days=5)).session.step == 0
    assert log(world, date=TODAY - dt.timedelta(days=2)).session.step == 1
    assert log(world, date=TODAY).session.step == 2


def test_checkin_that_loses_an_insert_race_becomes_an_update(world, monkeypatch):
    from patients.models import MorningCheckIn

    checkin_record(patient=world.patient_a1, date=TODAY, today=TODAY, pain=2)
    real = MorningCheckIn.objects.select_for_update
    calls = {"n": 0}

    def first_lookup_misses(*args, **kwargs):
        # The first look-up sees no row (the other request has not committed yet); the insert then collides.
        calls["n"] += 1
        queryset = real(*args, **kwargs)
        return queryset.none() if calls["n"] == 1 else queryset

    monkeypatch.setattr(MorningCheckIn.objects, "select_for_update", first_lookup_misses)
    checkin, created = checkin_record(patient=world.patient_a1, date=TODAY, today=TODAY, pain=4)
    assert not created and checkin.pain == 4
    assert calls["n"] == 2
    assert MorningCheckIn.objects.count() == 1
