"""The scoring service's contract: bad answers, rounding, the registry and the JSON shape."""

from decimal import Decimal
from fractions import Fraction

import pytest

from outcomes import instruments
from outcomes.scoring import InvalidAnswers, important_change, rounded, score


@pytest.mark.parametrize(("value", "expected"), [
    (Fraction(1, 20), "0.1"), (Fraction(-1, 20), "-0.1"), (Fraction(9375, 100), "93.8"),
    (Fraction(4999, 100000), "0.0"), (Fraction(575, 9), "63.9"), (Fraction(100), "100.0"),
])
def test_rounding_is_one_place_half_away_from_zero(value, expected):
    assert rounded(value) == Decimal(expected)


@pytest.mark.parametrize("answers", [
    {"X1": 1}, {1: 1}, {"P1": "2"}, {"P1": 2.0}, {"P1": True}, {"P1": -1}, {"P1": [1]},
])
def test_bad_answers_name_the_item(answers):
    with pytest.raises(InvalidAnswers) as error:
        score(instruments.get("koos"), answers)
    assert error.value.item_id == next(iter(answers))
    assert error.value.message


def test_answers_must_be_a_mapping():
    with pytest.raises(InvalidAnswers):
        score(instruments.get("sane"), [("SANE", 1)])


def test_unknown_instrument():
    with pytest.raises(instruments.UnknownInstrument):
        instruments.get("koos-99")
    with pytest.raises(instruments.UnknownInstrument):
        instruments.get(["koos"])


def test_registry_holds_every_instrument_in_outcomes_md_with_its_item_counts():
    counts = {i.id: len(i.items) for i in instruments.all_instruments()}
    assert counts == {"koos": 42, "koos-12": 12, "koos-pf": 11, "akps": 13, "ikdc": 19, "acl-rsi": 12,
                      "acl-rsi-6": 6, "lefs": 20, "tegner": 1, "sane": 1, "groc": 1, "psfs": 5,
                      "knee-pain-weekly": 2}
    assert {i.id for i in instruments.built_in_instruments()} == {"sane", "groc", "psfs", "knee-pain-weekly"}


def test_licensed_instruments_ship_no_wording():
    for instrument in instruments.licensed_instruments():
        for item in instrument.items:
            assert item.text is None and all(option.label is None for option in item.options), instrument.id


def test_built_ins_ship_backstep_wording():
    for instrument in instruments.built_in_instruments():
        assert all(item.text for item in instrument.items), instrument.id


def test_as_dict_keeps_values_exact_as_strings():
    result = score(instruments.get("koos"), {f"P{n}": 1 for n in range(1, 10)}).as_dict()
    assert result["instrument"] == "koos" and result["version"] == "1" and result["primary"] == "pain"
    assert result["scales"][0] == {"scale": "pain", "title": "Pain", "value": "75.0", "reason": None,
                                   "answered": 9, "required": 5}


def test_important_change_needs_a_first_score_and_is_inclusive():
    koos = instruments.get("koos")
    assert important_change(koos, "pain", None, Decimal(80)) is None
    assert important_change(koos, "pain", Decimal(50), Decimal(60)) == "improved"
    assert important_change(koos, "pain", Decimal(50), Decimal("40.0")) == "worse"
    assert important_change(koos, "pain", Decimal(50), Decimal("59.9")) is None
    with pytest.raises(KeyError):
        important_change(koos, "nope", Decimal(1), Decimal(2))


def test_a_clinic_may_set_its_own_important_change():
    koos = instruments.get("koos")
    own = koos.with_important_change({"pain": Decimal(15)})
    assert important_change(own, "pain", Decimal(50), Decimal(60)) is None
    assert important_change(own, "pain", Decimal(50), Decimal(65)) == "improved"
    assert important_change(koos, "pain", Decimal(50), Decimal(60)) == "improved"  # the default is unchanged
    assert own.item("P1") == koos.item("P1")
    with pytest.raises(KeyError):
        koos.with_important_change({"nope": Decimal(1)})
