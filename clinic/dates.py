"""Dates a clinic could mean: one rule for every date a person enters, on a form or through the API.

A date such as 0001-01-01 or 9999-12-31 is a typing slip or junk, never a
clinical fact, and date arithmetic on it (plan weeks, "the last 14 days")
overflows. The services refuse it, naming the field (they are the source of
truth); forms and serializers check the same rule first, so the message
appears beside the field, and date inputs get it as their min and max.

The ranges, counted from today in the clinic's time zone:

- plan dates (assignment start and end): 5 years back to 2 years ahead. A plan
  starts within days of being entered; five years covers transcribing an old
  course of rehabilitation from paper notes, two years ahead any scheduling;
- surgery date: 30 years back to 1 year ahead. Rehabilitation after an ACL
  reconstruction decades ago (a re-injury) is real; so is a patient booked
  for surgery who starts before it;
- measurement dates: 5 years back to today, like plan dates, never ahead;
- date of birth: 120 years back to today;
- adherence report windows: 20 years back to 2 years ahead. A report reads
  stored plans, which start up to 5 years before they are entered, so this
  covers 15 years of use; no plan can start after today + 2 years.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def _years_from(day: dt.date, years: int) -> dt.date:
    """The same day `years` later (earlier if negative); 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class ClinicDateRange:
    years_back: int
    years_ahead: int
    # For ranges that end today: what to say about a date after it, more plainly than the range.
    future_message: str = ""

    def bounds(self, today: dt.date) -> tuple[dt.date, dt.date]:
        return _years_from(today, -self.years_back), _years_from(today, self.years_ahead)

    def problem(self, value: dt.date, today: dt.date) -> str | None:
        """Why `value` is not a date of this range (None if it is)."""
        low, high = self.bounds(today)
        if low <= value <= high:
            return None
        return self.future_message if value > high and self.future_message else self.message(today)

    def message(self, today: dt.date) -> str:
        low, high = self.bounds(today)
        values = {"low": low.isoformat(), "high": high.isoformat(), "back": self.years_back, "ahead": self.years_ahead}
        if not self.years_ahead:
            return _("Enter a date from %(low)s to %(high)s (%(back)d years back, not in the future).") % values
        return ngettext("Enter a date from %(low)s to %(high)s (%(back)d years back, %(ahead)d year ahead).",
                        "Enter a date from %(low)s to %(high)s (%(back)d years back, %(ahead)d years ahead).",
                        self.years_ahead) % values


PLAN_DATES = ClinicDateRange(years_back=5, years_ahead=2)
SURGERY_DATES = ClinicDateRange(years_back=30, years_ahead=1)
MEASUREMENT_DATES = ClinicDateRange(years_back=5, years_ahead=0,
                                    future_message="A measurement cannot be dated in the future.")
BIRTH_DATES = ClinicDateRange(years_back=120, years_ahead=0, future_message="A date of birth cannot be in the future.")
REPORT_DATES = ClinicDateRange(years_back=20, years_ahead=2)


def sane_clinic_date(value: dt.date, field: str, *, today: dt.date, within: ClinicDateRange = PLAN_DATES) -> dt.date:
    """Return `value` if it lies in `within` around `today`; else raise ValidationError({field: the range})."""
    problem = within.problem(value, today)
    if problem:
        raise ValidationError({field: problem}, code="date_range")
    return value


@deconstructible
class ClinicDateValidator:
    """The same rule as a field validator for forms and serializers, from today in the request's time zone.

    Requests run in their clinic's zone (clinic.tenancy); a day's difference at
    the edge of a years-wide range is settled by the service, which uses the
    clinic's own today.
    """

    def __init__(self, within: ClinicDateRange):
        self.within = within

    def __call__(self, value: dt.date) -> None:
        problem = self.within.problem(value, timezone.localdate())
        if problem:
            raise ValidationError(problem, code="date_range")

    def __eq__(self, other) -> bool:
        return isinstance(other, ClinicDateValidator) and other.within == self.within


def limit_form_date(field, within: ClinicDateRange) -> None:
    """Give a form's date field the range: checked on submit, and as the date picker's min and max."""
    field.validators.append(ClinicDateValidator(within))
    low, high = within.bounds(timezone.localdate())
    field.widget.attrs.update(min=low.isoformat(), max=high.isoformat())
