"""Stored scores read back (outcomes.reports): a patient's series and the clinic's mean change over a period."""

import datetime as dt
from decimal import Decimal

import pytest

from outcomes.reports import clinic_outcomes, patient_outcomes

pytestmark = pytest.mark.django_db


def test_patient_series_change_and_judgement(world, ask, submit):
    ask("sane")
    ask("groc")
    start = world.assignment_a1.start_date
    submit("sane", {"SANE": 50}, day=start)
    submit("sane", {"SANE": 55}, day=start + dt.timedelta(weeks=1))
    submit("groc", {"GROC": 3}, day=start)
    series = {s.instrument.id: s for s in patient_outcomes(patient=world.patient_a1)}
    assert series["sane"].change == Decimal("5.0") and series["sane"].judged is None
    assert series["sane"].threshold == Decimal(10)
    assert series["groc"].change is None and series["groc"].judged == "improved"  # the rating itself
    assert series["sane"].chart()["values"] == ["50.0", "55.0"]
    assert patient_outcomes(patient=world.patient_a2) == []


def test_clinic_mean_change_counts_follow_ups_inside_the_period_only(world, ask, submit):
    ask("sane")
    ask("sane", assignment=world.assignment_a2)
    start = world.assignment_a1.start_date
    submit("sane", {"SANE": 40}, day=start)
    submit("sane", {"SANE": 70}, day=start + dt.timedelta(weeks=2))
    submit("sane", {"SANE": 60}, patient=world.patient_a2, day=start)
    submit("sane", {"SANE": 50}, patient=world.patient_a2, day=start + dt.timedelta(weeks=1))
    whole = clinic_outcomes(clinic=world.clinic_a, start=start, end=start + dt.timedelta(weeks=3))
    assert [(r.instrument.id, r.baseline, r.followed_up, r.mean_change, r.improved, r.worse) for r in whole] == [
        ("sane", 2, 2, Decimal("10.0"), 1, 1)]
    # A period after A2's follow-up: only A1's counts.
    late = clinic_outcomes(clinic=world.clinic_a, start=start + dt.timedelta(days=10),
                           end=start + dt.timedelta(weeks=3))
    assert (late[0].baseline, late[0].followed_up, late[0].mean_change) == (2, 1, Decimal("30.0"))
    assert clinic_outcomes(clinic=world.clinic_b, start=start, end=start + dt.timedelta(weeks=3)) == []
