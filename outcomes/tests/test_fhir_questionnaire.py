"""Reading FHIR Questionnaires defensively and mapping them onto instruments (pure, no database)."""

import copy
import json

import pytest

from outcomes import fhir_questionnaire, instruments
from outcomes.demo_wording import questionnaire_with_test_wording
from outcomes.fhir_questionnaire import (
    MAX_BYTES,
    NeedsConfirmation,
    QuestionnaireImportError,
    map_wording,
    match_instrument,
    parse,
)
from outcomes.instruments.base import Instrument, Scale, choice_item
from outcomes.tests.fixtures import fixture_bytes


def as_bytes(resource) -> bytes:
    return json.dumps(resource).encode()


def test_koos_pf_fixture_matches_by_link_ids_inside_a_group_skipping_display_items():
    parsed = parse(fixture_bytes("koos_pf_test_wording.json"))
    instrument = match_instrument(parsed)
    assert instrument.id == "koos-pf"
    wording = map_wording(parsed, instrument)
    assert list(wording) == [f"PF{n}" for n in range(1, 12)]
    assert wording["PF3"]["options"]["4"] == "Extreme (test)"
    assert "Test wording" in wording["PF3"]["text"]


def test_akps_fixture_takes_values_from_the_ordinal_extension():
    parsed = parse(fixture_bytes("akps_test_wording.json"))
    instrument = match_instrument(parsed)
    assert instrument.id == "akps"
    assert map_wording(parsed, instrument)["K3"]["options"] == {"5": "Choice a (test)", "3": "Choice b (test)",
                                                                "2": "Choice c (test)", "0": "Choice d (test)"}


def test_koos_matches_by_its_loinc_panel_code():
    resource = questionnaire_with_test_wording("koos")
    for question in resource["item"]:
        question["linkId"] = "x-" + question["linkId"]
    assert match_instrument(parse(as_bytes(resource))).id == "koos"


def test_unmatched_link_ids_need_the_admin_to_confirm_then_map_by_order():
    parsed = parse(fixture_bytes("lefs_unmatched_linkids.json"))
    with pytest.raises(NeedsConfirmation):
        match_instrument(parsed)
    lefs = match_instrument(parsed, "lefs")
    wording = map_wording(parsed, lefs)
    assert wording["L20"]["text"].startswith("Test activity 20")
    assert wording["L1"]["options"] == {str(v): str(v) for v in range(5)}


def test_confirming_a_built_in_or_unknown_instrument_is_refused():
    parsed = parse(fixture_bytes("lefs_unmatched_linkids.json"))
    with pytest.raises(QuestionnaireImportError, match="built in"):
        match_instrument(parsed, "sane")
    with pytest.raises(QuestionnaireImportError, match="no instrument"):
        match_instrument(parsed, "nope")


def test_a_missing_question_is_refused_with_the_counts():
    resource = questionnaire_with_test_wording("koos-pf")
    del resource["item"][4]
    parsed = parse(as_bytes(resource))
    with pytest.raises(QuestionnaireImportError, match="10 questions; KOOS-PF .* has 11 items"):
        map_wording(parsed, match_instrument(parsed, "koos-pf"))


def test_an_answer_count_that_differs_names_the_item():
    resource = questionnaire_with_test_wording("koos-pf")
    del resource["item"][6]["answerOption"][4]
    parsed = parse(as_bytes(resource))
    with pytest.raises(QuestionnaireImportError) as error:
        map_wording(parsed, match_instrument(parsed))
    assert error.value.item_id == "PF7"
    assert "Item PF7 has 4 answers" in error.value.message


def test_answer_values_that_differ_name_the_item():
    resource = questionnaire_with_test_wording("akps")
    resource["item"][2]["answerOption"][2]["valueCoding"]["code"] = "1"  # walking is 5/3/2/0
    parsed = parse(as_bytes(resource))
    with pytest.raises(QuestionnaireImportError) as error:
        map_wording(parsed, match_instrument(parsed))
    assert error.value.item_id == "K3" and "0, 2, 1, 5" in error.value.message


@pytest.mark.parametrize(("raw", "message"), [
    (b"", "empty"),
    (b"{not json", "not valid JSON"),
    (b"\xff\xfe\x00", "not UTF-8"),
    (b"[1, 2]", "not a FHIR Questionnaire"),
    (b'{"resourceType": "Patient"}', "not a FHIR Questionnaire (resourceType: 'Patient')"),
    (b'{"resourceType": "Questionnaire"}', "no items"),
    (b'{"resourceType": "Questionnaire", "item": "x"}', "no items"),
    (b'{"resourceType": "Questionnaire", "item": [{"type": "display", "linkId": "d", "text": "t"}]}',
     "no questions"),
    (b'{"resourceType": "Questionnaire", "item": [1]}', "not an object"),
    (b'{"resourceType": "Questionnaire", "item": [{"text": "t"}]}', "Question 1 has no linkId"),
    (b'{"resourceType": "Questionnaire", "item": [{"linkId": "a"}]}', "Item a has no text"),
    (b'{"resourceType": "Questionnaire", "item": [{"linkId": "a", "text": 5}]}', "not a string"),
    (b'{"resourceType": "Questionnaire", "item": [{"linkId": "a", "text": "t", '
     b'"answerOption": [{"valueString": "x"}]}]}',
     "no value Backstep can score"),
    (b"[" * 5000 + b"]" * 5000, "nested too deeply"),
    (b'{"resourceType": "Questionnaire", "x": NaN, "item": []}', "not valid JSON"),
    (b'{"resourceType": "Questionnaire", "x": Infinity}', "not valid JSON"),
    (b'{"resourceType": "Questionnaire", "title": "a\\u0000b", "item": []}', "NUL character"),
    (b'{"resourceType": "Questionnaire", "a\\u0000": 1}', "NUL character"),
    (b'{"resourceType": "Questionnaire", "x": 1' + b"0" * 5000 + b"}", "not valid JSON"),
    (b'{"a":' * 30 + b"1" + b"}" * 30, "nested too deeply"),
])
def test_malformed_or_hostile_files_get_a_clear_error(raw, message):
    with pytest.raises(QuestionnaireImportError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse(raw)


def test_a_huge_file_is_refused_before_it_is_parsed():
    with pytest.raises(QuestionnaireImportError, match="too large"):
        parse(b" " * (MAX_BYTES + 1))


def test_too_many_questions_are_refused():
    resource = {"resourceType": "Questionnaire",
                "item": [{"linkId": f"q{n}", "text": "t", "type": "choice"} for n in range(400)]}
    with pytest.raises(QuestionnaireImportError, match="more than 300 questions"):
        parse(as_bytes(resource))


def test_every_licensed_instrument_round_trips_through_its_test_wording():
    for instrument in instruments.licensed_instruments():
        parsed = parse(as_bytes(questionnaire_with_test_wording(instrument.id)))
        assert match_instrument(parsed, None if instrument.id != "acl-rsi-6" else instrument.id) is not None
        wording = map_wording(parsed, instrument)
        assert set(wording) == set(instrument.item_ids)


def test_parsing_does_not_change_the_resource():
    resource = questionnaire_with_test_wording("koos-pf")
    before = copy.deepcopy(resource)
    parse(as_bytes(resource))
    assert resource == before


CODED = Instrument(
    id="coded", version="1", title="Coded", licensed=True,
    items=(choice_item("C1", (0, 1), code="1111-1"), choice_item("C2", (0, 1, 2), code="2222-2")),
    scales=(Scale(id="total", title="Total", item_ids=("C1", "C2"), method="sum", min_answered=2,
                  minimum=0, maximum=3),),
    primary_scale_id="total")


def coded_questionnaire() -> dict:
    """The two questions in the other order, under other linkIds, each carrying its item's LOINC code."""
    return {"resourceType": "Questionnaire", "item": [
        {"linkId": "x", "text": "Second (test)", "code": [{"system": "http://loinc.org", "code": "2222-2"}],
         "answerOption": [{"valueInteger": v} for v in (0, 1, 2)]},
        {"linkId": "y", "text": "First (test)", "code": [{"system": "http://loinc.org", "code": "1111-1"}],
         "answerOption": [{"valueInteger": v} for v in (0, 1)]}]}


def test_items_match_and_map_by_their_loinc_codes(monkeypatch):
    monkeypatch.setattr(fhir_questionnaire.instruments, "licensed_instruments", lambda: (CODED,))
    parsed = parse(as_bytes(coded_questionnaire()))
    assert match_instrument(parsed) is CODED
    wording = map_wording(parsed, CODED)
    assert wording["C1"]["text"] == "First (test)" and wording["C2"]["text"] == "Second (test)"


def test_a_code_on_two_questions_does_not_match(monkeypatch):
    monkeypatch.setattr(fhir_questionnaire.instruments, "licensed_instruments", lambda: (CODED,))
    resource = coded_questionnaire()
    resource["item"][1]["code"] = resource["item"][0]["code"]
    with pytest.raises(NeedsConfirmation):
        match_instrument(parse(as_bytes(resource)))
