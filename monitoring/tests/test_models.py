"""The billing codes as data: what the migration loads, and what a site administrator may save."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from monitoring import periods
from monitoring.models import BillingCode, code_list
from monitoring.selectors import rule_book
from monitoring.tests.support import D

pytestmark = pytest.mark.django_db


def test_the_migration_loads_the_2026_codes_and_those_before():
    in_2026 = {r.code: r for r in periods.rules_on(rule_book(), D(2026, 6, 1))}
    assert set(in_2026) == {"98975", "98977", "98985", "98979", "98980", "98981"}
    assert (in_2026["98977"].min_days, in_2026["98977"].max_days) == (16, 30)
    assert (in_2026["98985"].min_days, in_2026["98985"].max_days, in_2026["98985"].excludes) == (
        2, 15, frozenset({"98977"}))
    assert (in_2026["98979"].min_minutes, in_2026["98979"].requires_interactive, in_2026["98979"].excludes) == (
        10, True, frozenset({"98980", "98981"}))
    assert (in_2026["98981"].counted_per, in_2026["98981"].min_minutes, in_2026["98981"].adds_to) == (
        periods.MONTH_ADDITIONAL, 20, "98980")
    assert in_2026["98975"].min_days is None  # interop.md states no threshold (the vendors' 2 days is unverified)
    in_2025 = {r.code: r for r in periods.rules_on(rule_book(), D(2025, 6, 1))}
    assert set(in_2025) == {"98975", "98977", "98980", "98981"} and in_2025["98975"].min_days == 16


def code(**values) -> BillingCode:
    defaults = {"code": "98977", "description": "Device supply", "counted_per": "period", "min_days": 16,
                "effective_from": D(2027, 1, 1)}
    return BillingCode(**{**defaults, **values})


def test_next_januarys_row_is_saved_once_the_old_one_is_closed():
    with pytest.raises(ValidationError) as error:
        code().full_clean()  # the 2026 row is still open-ended
    assert "effective_from" in error.value.message_dict
    BillingCode.objects.filter(code="98977", effective_to__isnull=True).update(effective_to=D(2026, 12, 31))
    code().full_clean()


@pytest.mark.parametrize("values, field", [
    ({"min_days": None}, "min_days"),
    ({"counted_per": "month", "min_days": None}, "min_minutes"),
    ({"counted_per": "month_additional", "min_days": None, "min_minutes": 20}, "adds_to"),
    ({"adds_to": "98980"}, "adds_to"),
    ({"max_days": 10}, "max_days"),
    ({"effective_to": D(2026, 12, 1)}, "effective_to"),
    ({"code": "9897"}, "code"),
    ({"excludes": "98980; drop table"}, "excludes"),
    ({"min_days": 31}, "min_days"),
])
def test_what_a_row_needs(values, field):
    BillingCode.objects.filter(code="98977").update(effective_to=D(2026, 12, 31))
    with pytest.raises(ValidationError) as error:
        code(**values).full_clean()
    assert field in error.value.message_dict


def test_code_lists_read_spaces_and_commas():
    assert code_list("98980, 98981") == code_list("98980 98981") == frozenset({"98980", "98981"})
    assert code_list("") == frozenset()
