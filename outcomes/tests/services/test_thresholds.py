"""A clinic's own change thresholds (outcomes.services.threshold_set / threshold_reset), the selectors that apply
them, and the outcome flags, the patient's series and the clinic's outcomes page judged by them."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from outcomes import instruments, scoring, selectors
from outcomes.models import ClinicThreshold
from outcomes.reports import clinic_outcomes, patient_outcomes
from outcomes.services import threshold_reset, threshold_set
from patients.models import Flag

pytestmark = pytest.mark.django_db


def test_set_changes_the_one_row_and_reset_goes_back_to_the_default(world):
    row = threshold_set(world.clinic_a, world.admin_a, "sane", "sane", "15")
    assert row.important_change == Decimal("15.0") and row.changed_by == world.admin_a
    threshold_set(world.clinic_a, world.admin_a, "sane", "sane", Decimal("12.5"))
    assert ClinicThreshold.objects.get().important_change == Decimal("12.5")
    assert selectors.clinic_instrument(world.clinic_a, "sane").primary.important_change == Decimal("12.5")
    assert threshold_reset(world.clinic_a, world.admin_a, "sane", "sane") is True
    assert not ClinicThreshold.objects.exists()
    assert selectors.clinic_instrument(world.clinic_a, "sane").primary.important_change == Decimal(10)
    assert threshold_reset(world.clinic_a, world.admin_a, "sane", "sane") is False


@pytest.mark.parametrize(("instrument_id", "scale_id", "words"), [
    ("lefs", "total", "published threshold"),  # verified: Binkley 1999
    ("koos-pf", "pf", "published threshold"),  # verified: Crossley 2018
    ("tegner", "level", "no threshold"),
    ("nope", "total", "no scale"),
    ("koos", "nope", "no scale"),
])
def test_verified_unknown_and_unjudged_scales_are_refused_in_words(world, instrument_id, scale_id, words):
    for write in (lambda: threshold_set(world.clinic_a, world.admin_a, instrument_id, scale_id, 5),
                  lambda: threshold_reset(world.clinic_a, world.admin_a, instrument_id, scale_id)):
        with pytest.raises(ValidationError) as refused:
            write()
        assert words in str(refused.value.message_dict["scale"])
    assert not ClinicThreshold.objects.exists()


@pytest.mark.parametrize(("instrument_id", "value", "words"), [
    ("sane", 0, "more than 0"), ("sane", -1, "more than 0"), ("sane", "100.1", "at most 100"),
    ("groc", 8, "at most 7"), ("psfs", "10.5", "at most 10"), ("sane", "1.25", "one decimal"),
    ("sane", "abc", "a number"), ("sane", "NaN", "more than 0"), ("sane", "Infinity", "more than 0"),
])
def test_values_out_of_range_are_refused(world, instrument_id, value, words):
    with pytest.raises(ValidationError) as refused:
        threshold_set(world.clinic_a, world.admin_a, instrument_id, instrument_id, value)
    assert words in str(refused.value.message_dict["value"])
    assert not ClinicThreshold.objects.exists()


def test_a_clinic_reads_only_its_own_thresholds(world):
    threshold_set(world.clinic_a, world.admin_a, "koos", "pain", 15)
    assert selectors.clinic_instrument(world.clinic_a, "koos").scale("pain").important_change == Decimal(15)
    assert selectors.clinic_instrument(world.clinic_b, "koos").scale("pain").important_change == Decimal(10)
    rows = {(r.instrument.id, r.scale.id): r for r in selectors.threshold_rows(world.clinic_b)}
    assert rows[("koos", "pain")].own is None and rows[("koos", "pain")].in_use == Decimal(10)
    mine = {(r.instrument.id, r.scale.id): r for r in selectors.threshold_rows(world.clinic_a)}
    assert mine[("koos", "pain")].own == Decimal(15) and mine[("koos", "symptoms")].own is None
    assert not mine[("lefs", "total")].editable and mine[("groc", "groc")].editable


def test_groc_takes_the_value_as_its_cut_off_either_way(world):
    threshold_set(world.clinic_a, world.admin_a, "groc", "groc", 5)
    groc = selectors.clinic_instrument(world.clinic_a, "groc")
    assert scoring.important_change(groc, "groc", None, Decimal(4)) is None
    assert scoring.important_change(groc, "groc", None, Decimal(5)) == "improved"
    assert scoring.important_change(groc, "groc", None, Decimal(-5)) == "worse"
    assert scoring.important_change(instruments.get("groc"), "groc", None, Decimal(4)) == "improved"


def test_a_stale_row_for_a_verified_scale_is_never_applied(world):
    ClinicThreshold.objects.create(clinic=world.clinic_a, instrument_id="lefs", scale_id="total",
                                   important_change=Decimal(20))
    assert selectors.clinic_instrument(world.clinic_a, "lefs").primary.important_change == Decimal(9)


def test_clinic_instrument_is_one_query(world, django_assert_num_queries):
    with django_assert_num_queries(1):
        selectors.clinic_instrument(world.clinic_a, "koos")


def sane_twice(ask, submit, world, first: int, latest: int):
    ask("sane")
    start = world.assignment_a1.start_date
    submit("sane", {"SANE": first}, day=start)
    submit("sane", {"SANE": latest}, day=start + dt.timedelta(days=7))


def test_the_flag_uses_the_default_without_a_clinic_threshold(world, ask, submit):
    sane_twice(ask, submit, world, 40, 52)  # +12 >= the default 10
    assert Flag.objects.get(kind="outcome_improved").evidence["change"] == "12.0"


def test_the_flag_uses_the_clinic_threshold(world, ask, submit):
    threshold_set(world.clinic_a, world.admin_a, "sane", "sane", 15)
    sane_twice(ask, submit, world, 40, 52)  # +12 < the clinic's 15
    assert not Flag.objects.filter(kind__startswith="outcome").exists()


def test_another_clinics_threshold_changes_nothing_here(world, ask, submit):
    threshold_set(world.clinic_b, world.therapist_b, "sane", "sane", 15)
    sane_twice(ask, submit, world, 40, 52)
    assert Flag.objects.filter(kind="outcome_improved").exists()


def test_the_patient_series_and_the_clinic_page_judge_by_the_clinic_threshold(world, ask, submit):
    sane_twice(ask, submit, world, 40, 52)
    start = world.assignment_a1.start_date
    [series] = patient_outcomes(patient=world.patient_a1)
    assert series.judged == "improved" and series.threshold == Decimal(10)
    [row] = clinic_outcomes(clinic=world.clinic_a, start=start, end=start + dt.timedelta(weeks=2))
    assert row.improved == 1
    threshold_set(world.clinic_a, world.admin_a, "sane", "sane", 15)
    [series] = patient_outcomes(patient=world.patient_a1)
    assert series.judged is None and series.threshold == Decimal(15)
    [row] = clinic_outcomes(clinic=world.clinic_a, start=start, end=start + dt.timedelta(weeks=2))
    assert row.improved == 0 and row.mean_change == Decimal("12.0")
