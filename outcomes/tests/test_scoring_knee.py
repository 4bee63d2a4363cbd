"""Hand-computed scores for the knee instruments: KOOS, KOOS-12, KOOS-PF and the AKPS (outcomes.md)."""

from decimal import Decimal

import pytest

from outcomes import instruments
from outcomes.scoring import InvalidAnswers, score


def answers(prefix, values, start=1):
    return {f"{prefix}{n}": value for n, value in enumerate(values, start=start)}


def values(score_set):
    return {s.scale_id: s.value for s in score_set.scales}


KOOS = instruments.get("koos")


def test_koos_full_form_scores_each_subscale_100_minus_mean_times_25():
    full = {**answers("P", [1, 2, 1, 2, 1, 2, 1, 2, 1]), **answers("S", [2] * 7), **answers("A", [1] * 17),
            **answers("SP", [4, 4, 3, 3, 2]), **answers("Q", [3, 2, 2, 1])}
    result = score(KOOS, full)
    # Pain: mean 13/9 -> 100 - 36.11 = 63.89; sport: mean 16/5 = 3.2 -> 20.
    assert values(result) == {"pain": Decimal("63.9"), "symptoms": Decimal("50.0"), "adl": Decimal("75.0"),
                              "sport": Decimal("20.0"), "qol": Decimal("50.0")}
    assert result.primary.scale_id == "pain"
    assert result.get("adl").answered == 17 and result.get("adl").required == 9


def test_koos_missing_items_half_of_each_subscale_is_enough():
    partial = {**answers("P", [0, 1, 1, 0, 2]), **answers("P", [None] * 4, start=6),
               **answers("S", [1, 1, 1]), **answers("SP", [1, 1, 0]), **answers("Q", [1, 2])}
    result = score(KOOS, partial)
    assert result.get("pain").value == Decimal("80.0")  # 5 of 9: mean 0.8
    assert result.get("symptoms").value is None  # 3 of 7, needs 4
    assert result.get("symptoms").reason == "Only 3 of 7 items answered; at least 4 are needed."
    assert result.get("adl").value is None and result.get("adl").answered == 0
    assert result.get("sport").value == Decimal("83.3")  # mean 2/3 -> 83.33
    assert result.get("qol").value == Decimal("62.5")  # 2 of 4: mean 1.5


def test_koos_one_answer_short_is_not_scorable_and_rounds_half_up():
    assert score(KOOS, answers("P", [0, 1, 1, 0])).get("pain").value is None
    # QOL mean 1/4 -> 100 - 6.25 = 93.75 -> 93.8 (half away from zero)
    assert score(KOOS, answers("Q", [1, 0, 0, 0])).get("qol").value == Decimal("93.8")


def test_koos_refuses_a_value_outside_0_to_4():
    with pytest.raises(InvalidAnswers) as error:
        score(KOOS, {"P1": 5})
    assert error.value.item_id == "P1"


KOOS_12 = instruments.get("koos-12")


def test_koos_12_full_form_summary_is_the_mean_of_the_three_scales():
    full = {**answers("P", [1, 1, 2, 2]), **answers("F", [0, 0, 1, 1]), **answers("Q", [4, 3, 2, 3])}
    result = score(KOOS_12, full)
    assert values(result) == {"pain": Decimal("62.5"), "function": Decimal("87.5"), "qol": Decimal("25.0"),
                              "summary": Decimal("58.3")}  # 175 / 3 = 58.33
    assert result.primary.scale_id == "summary"


def test_koos_12_two_items_per_scale_or_no_summary():
    result = score(KOOS_12, {**answers("P", [2, 3]), "F1": 1, **answers("Q", [0, 0, 0, 0])})
    assert result.get("pain").value == Decimal("37.5")
    assert result.get("function").value is None
    assert result.get("summary").value is None
    assert "function" in result.get("summary").reason


KOOS_PF = instruments.get("koos-pf")


def test_koos_pf_full_form():
    result = score(KOOS_PF, answers("PF", [0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 1]))
    assert result.primary.value == Decimal("52.3")  # mean 21/11 -> 100 - 47.73 = 52.27


def test_koos_pf_needs_6_of_11():
    assert score(KOOS_PF, answers("PF", [1, 1, 1, 1, 1, 2])).primary.value == Decimal("70.8")  # mean 7/6
    unscored = score(KOOS_PF, answers("PF", [1, 1, 1, 1, 1])).primary
    assert unscored.value is None and unscored.answered == 5 and unscored.required == 6


AKPS = instruments.get("akps")
AKPS_FORM = [3, 5, 2, 8, 3, 6, 7, 4, 8, 6, 6, 5, 3]


def test_akps_sums_the_points_of_each_answer():
    assert score(AKPS, answers("K", AKPS_FORM)).primary.value == Decimal("66.0")
    best = [points[0] for points in instruments.knee.AKPS_POINTS]
    assert score(AKPS, answers("K", best)).primary.value == Decimal("100.0")


def test_akps_scores_complete_forms_only():
    missing = answers("K", AKPS_FORM)
    missing["K7"] = None
    result = score(AKPS, missing).primary
    assert result.value is None and result.reason == "Only 12 of 13 items answered; at least 13 are needed."


def test_akps_answers_are_the_item_points():
    with pytest.raises(InvalidAnswers) as error:
        score(AKPS, {"K3": 4})  # walking is worth 5/3/2/0
    assert error.value.item_id == "K3" and "5" in error.value.message
