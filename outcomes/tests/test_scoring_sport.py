"""Hand-computed scores for IKDC, ACL-RSI (12 and 6), LEFS and Tegner (outcomes.md)."""

from decimal import Decimal

import pytest

from outcomes import instruments
from outcomes.scoring import InvalidAnswers, important_change, score

IKDC = instruments.get("ikdc")
IKDC_FORM = {"I1": 2, "I2": 3, "I3": 4, "I4": 3, "I5": 2, "I6": 1, "I7": 4, "I8": 1,
             "I9a": 4, "I9b": 3, "I9c": 3, "I9d": 2, "I9e": 2, "I9f": 1, "I9g": 1, "I9h": 0, "I9i": 4,
             "I10": 7, "I10a": 9}


def test_ikdc_full_form_sum_over_87():
    # Items 2 and 3 reversed: 10 - 3 = 7 and 10 - 4 = 6. Sum 53 of 87 -> 60.92; item 10a not scored.
    result = score(IKDC, IKDC_FORM).primary
    assert result.value == Decimal("60.9")
    assert result.answered == 18


def test_ikdc_reverse_scores_items_2_and_3():
    no_pain = score(IKDC, {**IKDC_FORM, "I2": 0, "I3": 0}).primary.value  # 53 - 7 - 6 + 20 = 60 -> 68.97
    worst_pain = score(IKDC, {**IKDC_FORM, "I2": 10, "I3": 10}).primary.value  # 53 - 13 = 40 -> 45.98
    assert (no_pain, worst_pain) == (Decimal("69.0"), Decimal("46.0"))


def test_ikdc_two_missing_items_divide_by_the_answered_maximum():
    partial = {**IKDC_FORM, "I9a": None, "I6": None}
    del partial["I10a"]
    assert score(IKDC, partial).primary.value == Decimal("58.5")  # 48 / 82 = 58.54


def test_ikdc_three_missing_items_is_not_scorable():
    partial = {k: v for k, v in IKDC_FORM.items() if k not in ("I9a", "I6", "I1")}
    result = score(IKDC, partial).primary
    assert result.value is None and result.reason == "Only 15 of 18 items answered; at least 16 are needed."


def test_ikdc_item_10a_is_asked_but_never_counted():
    without = {k: v for k, v in IKDC_FORM.items() if k != "I10a"}
    assert score(IKDC, without).primary.value == score(IKDC, {**IKDC_FORM, "I10a": 0}).primary.value


def test_ikdc_important_change_is_11_5_points():
    assert important_change(IKDC, "total", Decimal("50.0"), Decimal("61.5")) == "improved"
    assert important_change(IKDC, "total", Decimal("50.0"), Decimal("61.4")) is None


ACL_RSI = instruments.get("acl-rsi")
RSI_FORM = [50, 60, 70, 80, 40, 30, 100, 0, 50, 60, 70, 90]


def test_acl_rsi_mean_of_12_items():
    form = {f"R{n}": v for n, v in enumerate(RSI_FORM, start=1)}
    assert score(ACL_RSI, form).primary.value == Decimal("58.3")  # 700 / 12


def test_acl_rsi_complete_forms_only_and_steps_of_10():
    form = {f"R{n}": v for n, v in enumerate(RSI_FORM[:11], start=1)}
    assert score(ACL_RSI, form).primary.value is None
    with pytest.raises(InvalidAnswers):
        score(ACL_RSI, {"R1": 55})


def test_acl_rsi_short_form_and_its_context_is_never_a_flag():
    short = instruments.get("acl-rsi-6")
    result = score(short, {f"R{n}": v for n, v in enumerate([60, 70, 50, 40, 80, 30], start=1)}).primary
    assert result.value == Decimal("55.0")
    assert "Webster" in short.primary.context
    assert important_change(short, "total", Decimal("20"), Decimal("90")) is None
    with pytest.raises(InvalidAnswers):
        score(short, {"R7": 50})


LEFS = instruments.get("lefs")


def test_lefs_sum_of_20_items():
    form = {f"L{n}": v for n, v in enumerate([4] * 10 + [3] * 5 + [1] * 5, start=1)}
    assert score(LEFS, form).primary.value == Decimal("60.0")
    assert important_change(LEFS, "total", Decimal("51"), Decimal("60")) == "improved"  # 9 points


def test_lefs_complete_forms_only():
    form = {f"L{n}": 4 for n in range(1, 20)}
    assert score(LEFS, form).primary.value is None


TEGNER = instruments.get("tegner")


def test_tegner_is_the_level_and_change_is_never_judged():
    assert score(TEGNER, {"T1": 6}).primary.value == Decimal("6.0")
    assert score(TEGNER, {}).primary.reason == "Not answered."
    assert important_change(TEGNER, "level", Decimal(1), Decimal(9)) is None
    with pytest.raises(InvalidAnswers):
        score(TEGNER, {"T1": 11})
