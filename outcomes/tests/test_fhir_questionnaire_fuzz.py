"""Whatever a file holds, reading and mapping it either works or says why: never another exception."""

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from outcomes import instruments
from outcomes.demo_wording import questionnaire_with_test_wording
from outcomes.fhir_questionnaire import QuestionnaireImportError, map_wording, match_instrument, parse

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=30)
FIELDS = ("linkId", "text", "type", "answerOption", "item", "code", "valueCoding", "valueInteger", "extension")


def read(raw: bytes, confirmed=None) -> None:
    try:
        parsed = parse(raw)
        map_wording(parsed, match_instrument(parsed, confirmed))
    except QuestionnaireImportError as refusal:
        assert refusal.message


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes(raw):
    read(raw)


@settings(max_examples=200, deadline=None)
@given(JSON_VALUES)
def test_any_json(value):
    read(json.dumps(value).encode())
    read(json.dumps({"resourceType": "Questionnaire", "item": value}).encode(), "lefs")


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([i.id for i in instruments.licensed_instruments()]), st.data())
def test_a_real_questionnaire_with_one_field_broken(instrument_id, data):
    resource = questionnaire_with_test_wording(instrument_id)
    item = data.draw(st.sampled_from(resource["item"]))
    item[data.draw(st.sampled_from(FIELDS))] = data.draw(JSON_VALUES)
    read(json.dumps(resource).encode())
    read(json.dumps(resource).encode(), instrument_id)
