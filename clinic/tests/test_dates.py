"""clinic.dates: the one rule for dates a clinic could mean."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from clinic.dates import (
    BIRTH_DATES,
    MEASUREMENT_DATES,
    PLAN_DATES,
    REPORT_DATES,
    SURGERY_DATES,
    ClinicDateValidator,
    sane_clinic_date,
)

TODAY = dt.date(2026, 12, 3)


@pytest.mark.parametrize(("within", "low", "high"), [
    (PLAN_DATES, dt.date(2021, 12, 3), dt.date(2028, 12, 3)),
    (SURGERY_DATES, dt.date(1996, 12, 3), dt.date(2027, 12, 3)),
    (MEASUREMENT_DATES, dt.date(2021, 12, 3), TODAY),
    (BIRTH_DATES, dt.date(1906, 12, 3), TODAY),
    (REPORT_DATES, dt.date(2006, 12, 3), dt.date(2028, 12, 3)),
])
def test_each_range_takes_its_ends_and_refuses_a_day_beyond(within, low, high):
    for inside in (low, TODAY, high):
        assert sane_clinic_date(inside, "start_date", today=TODAY, within=within) == inside
    for outside in (low - dt.timedelta(days=1), high + dt.timedelta(days=1), dt.date.min, dt.date.max):
        with pytest.raises(ValidationError) as raised:
            sane_clinic_date(outside, "start_date", today=TODAY, within=within)
        assert list(raised.value.message_dict) == ["start_date"]


def test_the_message_shows_the_range():
    with pytest.raises(ValidationError) as raised:
        sane_clinic_date(dt.date(1, 1, 1), "start_date", today=TODAY)
    assert raised.value.message_dict == {
        "start_date": ["Enter a date from 2021-12-03 to 2028-12-03 (5 years back, 2 years ahead)."]}
    assert MEASUREMENT_DATES.message(TODAY) == "Enter a date from 2021-12-03 to 2026-12-03 (5 years back, not in " \
                                               "the future)."
    assert SURGERY_DATES.message(TODAY).endswith("(30 years back, 1 year ahead).")


def test_a_range_that_ends_today_says_plainly_when_a_date_is_in_the_future():
    with pytest.raises(ValidationError) as raised:
        sane_clinic_date(dt.date(2026, 12, 4), "date", today=TODAY, within=MEASUREMENT_DATES)
    assert raised.value.message_dict == {"date": ["A measurement cannot be dated in the future."]}
    with pytest.raises(ValidationError) as raised:
        sane_clinic_date(dt.date(2020, 1, 1), "date", today=TODAY, within=MEASUREMENT_DATES)
    assert raised.value.message_dict["date"][0].startswith("Enter a date from 2021-12-03 to 2026-12-03")


def test_29_february_counts_to_28_february_in_other_years():
    assert PLAN_DATES.bounds(dt.date(2028, 2, 29)) == (dt.date(2023, 2, 28), dt.date(2030, 2, 28))


def test_the_field_validator_uses_today_and_names_no_field(settings):
    validator = ClinicDateValidator(PLAN_DATES)
    validator(dt.date.today())
    with pytest.raises(ValidationError) as raised:
        validator(dt.date(9999, 12, 31))
    assert raised.value.messages[0].startswith("Enter a date from ")
    assert validator == ClinicDateValidator(PLAN_DATES) and validator != ClinicDateValidator(SURGERY_DATES)
