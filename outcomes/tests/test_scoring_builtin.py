"""Hand-computed scores for the built-ins: SANE, GROC, PSFS and the weekly knee pain."""

from decimal import Decimal

import pytest

from outcomes import instruments
from outcomes.scoring import InvalidAnswers, important_change, score

SANE = instruments.get("sane")
GROC = instruments.get("groc")
PSFS = instruments.get("psfs")
PAIN = instruments.get("knee-pain-weekly")


def test_sane_is_the_percentage():
    assert score(SANE, {"SANE": 73}).primary.value == Decimal("73.0")
    assert score(SANE, {"SANE": None}).primary.value is None
    with pytest.raises(InvalidAnswers):
        score(SANE, {"SANE": 101})


def test_sane_important_change_is_10_points_by_default():
    assert important_change(SANE, "sane", Decimal(60), Decimal(70)) == "improved"
    assert important_change(SANE, "sane", Decimal(60), Decimal(69)) is None
    assert important_change(SANE, "sane", Decimal(60), Decimal(50)) == "worse"


def test_groc_is_itself_a_change_rating():
    assert score(GROC, {"GROC": -5}).primary.value == Decimal("-5.0")
    assert important_change(GROC, "groc", None, Decimal(3)) == "improved"
    assert important_change(GROC, "groc", Decimal(7), Decimal(2)) is None  # the first rating is irrelevant
    assert important_change(GROC, "groc", None, Decimal(-3)) == "worse"
    with pytest.raises(InvalidAnswers):
        score(GROC, {"GROC": 8})


def test_groc_has_backstep_wording_for_every_value():
    (item,) = GROC.items
    assert [option.value for option in item.options] == list(range(-7, 8))
    assert all(option.label for option in item.options)


def test_psfs_mean_of_the_named_activities():
    assert score(PSFS, {"A1": 3, "A2": 6, "A3": 4}).primary.value == Decimal("4.3")  # 13 / 3
    assert score(PSFS, {"A1": 3, "A2": None, "A3": None, "A4": None, "A5": None}).primary.value == Decimal("3.0")
    assert score(PSFS, {}).primary.value is None
    with pytest.raises(InvalidAnswers):
        score(PSFS, {"A6": 3})


def test_psfs_important_change_is_2_points_on_the_mean():
    assert important_change(PSFS, "psfs", Decimal("4.3"), Decimal("6.3")) == "improved"
    assert important_change(PSFS, "psfs", Decimal("4.3"), Decimal("6.2")) is None


def test_weekly_pain_lower_is_better():
    result = score(PAIN, {"worst": 7, "average": 4})
    assert (result.get("worst").value, result.get("average").value) == (Decimal("7.0"), Decimal("4.0"))
    assert important_change(PAIN, "average", Decimal(6), Decimal(4)) == "improved"
    assert important_change(PAIN, "average", Decimal(4), Decimal(6)) == "worse"


def test_weekly_pain_one_missing_still_scores_the_other():
    result = score(PAIN, {"worst": 5})
    assert result.get("worst").value == Decimal("5.0") and result.get("average").value is None
