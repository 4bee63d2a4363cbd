"""Outcome questionnaires over FHIR: Questionnaire, QuestionnaireResponse and the score Observations.

Valid R4B, references resolving in $everything, a fixed number of queries per page, licensed wording kept to
the clinic that imported it, a patient's own only, and a not-scorable score said as such.
"""

from __future__ import annotations

import json

import pytest

from fhir.tests.fhir_world import answer, answer_sane, fill, validate
from outcomes.models import ImportedQuestionnaire, QuestionnaireResponse
from tests.api.support import api  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

FHIR = "/fhir/R4/"


@pytest.fixture
def answered(world):
    fill(world)
    answer(world)
    return world


def _bundle(client, url, **params) -> dict:
    response = client.get(f"{FHIR}{url}", params)
    assert response.status_code == 200, response.content
    body = response.json()
    validate(body)
    return body


def _resources(bundle) -> list[dict]:
    return [entry["resource"] for entry in bundle["entry"]]


def _by_id(bundle) -> dict[str, dict]:
    return {resource["id"]: resource for resource in _resources(bundle)}


def test_questionnaires_of_the_clinic_built_ins_and_its_licensed_import(answered, api):
    questionnaires = _by_id(_bundle(api("therapist_a"), "Questionnaire"))
    assert {"sane-1", "groc-1", "psfs-1", "knee-pain-weekly-1", "koos-pf-1"} == set(questionnaires)
    for resource in questionnaires.values():
        validate(resource)
    sane = questionnaires["sane-1"]
    assert sane["url"].endswith("/fhir/Questionnaire/sane") and sane["version"] == "1"
    assert sane["item"][0]["type"] == "integer"
    groc = questionnaires["groc-1"]["item"][0]
    assert groc["type"] == "choice" and len(groc["answerOption"]) == 15
    option = groc["answerOption"][0]["valueCoding"]
    assert option["code"] == "-7" and option["display"] and option["extension"][0]["valueDecimal"] == -7
    pain = questionnaires["knee-pain-weekly-1"]["item"][0]
    assert pain["code"][0] == {"system": "http://loinc.org", "code": "72514-3"}
    imported = ImportedQuestionnaire.objects.get(clinic=answered.clinic_a)
    koos_pf = questionnaires["koos-pf-1"]
    assert f"/clinic/{answered.clinic_a.slug}/Questionnaire/koos-pf" in koos_pf["url"]
    assert koos_pf["item"][0]["text"] == imported.wording["PF1"]["text"]
    read = api("key_a").get(f"{FHIR}Questionnaire/koos-pf-1")
    assert read.status_code == 200 and read.json() == koos_pf


def test_the_koos_panel_carries_its_loinc_code(world, api):
    from outcomes.demo_wording import import_test_wording

    import_test_wording(world.clinic_a, instrument_id="koos")
    koos = api("admin_a").get(f"{FHIR}Questionnaire/koos-1").json()
    validate(koos)
    assert {"system": "http://loinc.org", "code": "72091-2"} in koos["code"]


def test_licensed_wording_never_reaches_another_clinic(answered, api):
    imported = ImportedQuestionnaire.objects.get(clinic=answered.clinic_a)
    texts = [entry["text"] for entry in imported.wording.values()]
    for caller in ("therapist_b", "key_b", "patient_b1"):
        client = api(caller)
        bundle = _bundle(client, "Questionnaire")
        assert "koos-pf-1" not in _by_id(bundle)
        assert client.get(f"{FHIR}Questionnaire/koos-pf-1").status_code == 404
        dumped = json.dumps(bundle) + json.dumps(_bundle(client, "QuestionnaireResponse"))
        assert not any(text in dumped for text in texts)
    responses = _by_id(_bundle(api("therapist_b"), "QuestionnaireResponse"))
    assert {r["subject"]["reference"] for r in responses.values()} == {f"Patient/{answered.patient_b1.pk}"}


def test_responses_answers_and_psfs_activities(answered, api):
    responses = _resources(_bundle(api("key_a"), "QuestionnaireResponse"))
    assert len(responses) == 4  # A1's four submitted; A2's draft is not a response yet
    by_questionnaire = {r["questionnaire"].split("/")[-1]: r for r in responses}
    psfs = by_questionnaire["psfs|1"]
    assert psfs["status"] == "completed" and psfs["authored"].endswith("+00:00")
    assert [(i["linkId"], i["text"], i["answer"][0]["valueInteger"]) for i in psfs["item"]] == [
        ("A1", "Climbing stairs", 4), ("A2", "Kneeling to garden", 7)]
    assert psfs["basedOn"] == [{"reference": f"CarePlan/{answered.assignment_a1.pk}"}]
    koos_pf = by_questionnaire["koos-pf|1"]
    assert f"/clinic/{answered.clinic_a.slug}/" in koos_pf["questionnaire"]
    assert all("text" not in item and "display" not in item["answer"][0]["valueCoding"] for item in koos_pf["item"])


def test_scores_are_survey_observations_and_a_missing_one_says_why(answered, api):
    client = api("therapist_a")
    response = QuestionnaireResponse.objects.get(patient=answered.patient_a1, instrument_id="knee-pain-weekly")
    worst = client.get(f"{FHIR}Observation/score-{response.pk}-knee-pain-weekly-worst").json()
    average = client.get(f"{FHIR}Observation/score-{response.pk}-knee-pain-weekly-average").json()
    for observation in (worst, average):
        validate(observation)
        assert observation["category"][0]["coding"][0]["code"] == "survey"
        assert observation["derivedFrom"] == [{"reference": f"QuestionnaireResponse/{response.pk}"}]
        assert observation["code"]["coding"][0] == {"system": "http://loinc.org", "code": "72514-3",
                                                    "display": observation["code"]["text"]}
    assert worst["valueQuantity"]["value"] == 6 and worst["valueQuantity"]["code"] == "{score}"
    assert "valueQuantity" not in average
    assert average["dataAbsentReason"]["coding"][0]["code"] == "unknown"
    assert average["note"][0]["text"]
    scores = _bundle(client, "Observation", code="72514-3", patient=answered.patient_a1.pk)
    assert {r["id"] for r in _resources(scores)} >= {worst["id"], average["id"]}
    sane = _bundle(client, "Observation", code="sane-sane")
    assert [r["valueQuantity"]["value"] for r in _resources(sane)] == [70]


def test_a_patient_sees_only_their_own(answered, api):
    client = api("patient_a2")
    assert _bundle(client, "QuestionnaireResponse")["total"] == 0
    assert _bundle(client, "Questionnaire")["total"] == 0  # A2 answered none
    mine = api("patient_a1")
    assert _bundle(mine, "QuestionnaireResponse")["total"] == 4
    assert {r["id"] for r in _resources(_bundle(mine, "Questionnaire"))} == {
        "koos-pf-1", "sane-1", "psfs-1", "knee-pain-weekly-1"}
    other = QuestionnaireResponse.objects.get(patient=answered.patient_b1)
    assert mine.get(f"{FHIR}QuestionnaireResponse/{other.pk}").status_code == 404


def test_everything_holds_the_questionnaires_and_every_reference_resolves(answered, api,
                                                                         django_assert_max_num_queries):
    client = api("therapist_a")
    client.get(f"{FHIR}metadata")
    # A query per source the patient has data in: questionnaires and scores only for the 4 instruments answered.
    with django_assert_max_num_queries(40):
        bundle = _bundle(client, f"Patient/{answered.patient_a1.pk}/$everything")
    resources = _resources(bundle)
    present = {f"{r['resourceType']}/{r['id']}" for r in resources}
    canonicals = {f"{r['url']}|{r['version']}" for r in resources if r["resourceType"] == "Questionnaire"}
    responses = [r for r in resources if r["resourceType"] == "QuestionnaireResponse"]
    assert len(responses) == 4
    for resource in responses:
        assert resource["questionnaire"] in canonicals
        assert resource["subject"]["reference"] in present
        assert all(ref["reference"] in present for ref in resource.get("basedOn", []))
    scores = [r for r in resources if r["id"].startswith("score-")]
    assert len(scores) == 5  # koos-pf, sane, psfs, pain worst and average
    assert all(s["derivedFrom"][0]["reference"] in present for s in scores)


@pytest.mark.parametrize("fhir_type", ["Questionnaire", "QuestionnaireResponse", "Observation"])
def test_a_page_costs_the_same_whatever_its_size(world, api, fhir_type, django_assert_max_num_queries):
    fill(world, sessions=60)
    answer(world)
    answer_sane(world, 55)
    client = api("key_a")
    client.get(f"{FHIR}metadata")  # the key's first use is recorded once; not part of a page's cost
    params = {"code": "sane-sane"} if fhir_type == "Observation" else {}
    available = 5 if fhir_type == "Questionnaire" else 50  # clinic A has 4 built-ins and KOOS-PF
    used = {}
    for count in (5, 50):
        with django_assert_max_num_queries(30) as queries:
            response = client.get(f"{FHIR}{fhir_type}", {"_count": count, **params})
        assert response.status_code == 200 and len(response.json()["entry"]) == min(count, available)
        used[count] = len(queries)
    assert used[5] == used[50]


def test_another_clinics_own_import_shows_its_own_wording_only(answered, api):
    from outcomes.demo_wording import import_test_wording

    theirs = import_test_wording(answered.clinic_b, instrument_id="koos-pf")
    theirs.wording = {item_id: {**entry, "text": f"Clinic B asks {item_id}"}
                      for item_id, entry in theirs.wording.items()}
    theirs.save(update_fields=["wording"])
    ours = ImportedQuestionnaire.objects.get(clinic=answered.clinic_a)
    seen_by_b = api("key_b").get(f"{FHIR}Questionnaire/koos-pf-1").json()
    validate(seen_by_b)
    assert seen_by_b["item"][0]["text"] == "Clinic B asks PF1"
    assert f"/clinic/{answered.clinic_b.slug}/" in seen_by_b["url"]
    assert not any(entry["text"] in json.dumps(seen_by_b) for entry in ours.wording.values())
    seen_by_a = api("key_a").get(f"{FHIR}Questionnaire/koos-pf-1").json()
    assert "Clinic B asks" not in json.dumps(seen_by_a)


def test_koos_symptoms_score_carries_its_loinc_code(world, api):
    from fhir.tests.fhir_world import submitted_response
    from outcomes import instruments
    from outcomes.demo_wording import import_test_wording

    import_test_wording(world.clinic_a, instrument_id="koos")
    koos = instruments.get("koos")
    response = submitted_response(world.patient_a1, world.assignment_a1, "koos", {i: 1 for i in koos.item_ids})
    client = api("therapist_a")
    symptoms = client.get(f"{FHIR}Observation/score-{response.pk}-koos-symptoms").json()
    validate(symptoms)
    assert symptoms["code"]["coding"][0]["code"] == "72101-9" and symptoms["valueQuantity"]["value"] == 75
    found = _bundle(client, "Observation", code="http://loinc.org|72101-9")
    assert [r["id"] for r in _resources(found)] == [symptoms["id"]]
    pain = client.get(f"{FHIR}Observation/score-{response.pk}-koos-pain").json()
    assert [c["code"] for c in pain["code"]["coding"]] == ["koos-pain"]  # no verified LOINC code for the subscale


def test_the_capability_statement_lists_the_outcome_types(world, api):
    statement = api("anonymous").get(f"{FHIR}metadata").json()
    types = {r["type"]: {p["name"] for p in r.get("searchParam", [])} for r in statement["rest"][0]["resource"]}
    assert types["Questionnaire"] == {"_id", "_lastUpdated"}
    assert types["QuestionnaireResponse"] == {"_id", "_lastUpdated", "patient", "date"}
    assert types["Observation"] >= {"patient", "date", "code", "_lastUpdated"}
