"""Search and read: Bundles, paging, filters, errors as OperationOutcome, and who sees what."""

from __future__ import annotations

import pytest

from fhir.registry import FHIR_TYPES, RESOURCE_TYPES
from fhir.tests.fhir_world import crowd, fill, validate
from patients.models import Patient
from tests.api.support import api  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

FHIR = "/fhir/R4/"


def _bundle(client, url, **params) -> dict:
    response = client.get(url, params)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/fhir+json"
    body = response.json()
    validate(body)
    return body


def _ids(bundle) -> list[str]:
    return [entry["resource"]["id"] for entry in bundle["entry"]]


def _outcome(response, status: int) -> str:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/fhir+json"
    body = response.json()
    validate(body)
    return body["issue"][0]["code"]


@pytest.fixture
def filled(world):
    fill(world)
    return world


def test_search_pages_through_every_observation_with_links(filled, api):
    client = api("therapist_a")
    first = _bundle(client, f"{FHIR}Observation", _count=3)
    assert first["total"] == 9  # 4 sessions, 1 check-in, 4 measured values (patient A1; A2 has none)
    seen, page = [], first
    while True:
        seen += _ids(page)
        relations = {link["relation"]: link["url"] for link in page["link"]}
        if "next" not in relations:
            break
        page = _bundle(client, relations["next"].split("testserver", 1)[1])
        assert "previous" in {link["relation"] for link in page["link"]}
    assert len(seen) == len(set(seen)) == 9
    for entry in first["entry"]:
        assert entry["fullUrl"] == f"http://testserver{FHIR}Observation/{entry['resource']['id']}"


def test_count_is_capped_and_zero_gives_the_total_only(filled, api):
    client = api("therapist_a")
    assert _bundle(client, f"{FHIR}Observation", _count=100000)["link"][0]["url"].count("_count=200") == 1
    only_total = _bundle(client, f"{FHIR}Observation", _count=0)
    assert only_total["total"] == 9 and only_total["entry"] == []


def test_filters_by_patient_code_and_date(filled, api):
    client = api("admin_a")
    a1 = filled.patient_a1.pk
    assert _bundle(client, f"{FHIR}Observation", patient=f"Patient/{filled.patient_a2.pk}")["total"] == 0
    sessions = _bundle(client, f"{FHIR}Observation", patient=a1, code="http://loinc.org|55411-3")
    assert sessions["total"] == 4 and all(i.startswith("session-") for i in _ids(sessions))
    pain = _bundle(client, f"{FHIR}Observation", code="72514-3")
    assert _ids(pain) == [f"checkin-{filled.patient_a1.checkins.get().pk}"]
    today = filled.patient_a1.sessions.order_by("-date").first().date
    recent = _bundle(client, f"{FHIR}Observation", code="55411-3", date=[f"ge{today}", f"le{today}"])
    assert recent["total"] == 2  # the walk and the quad sets logged today
    assert _bundle(client, f"{FHIR}Flag", date=f"gt{today}")["total"] == 1  # the flag still active


def test_last_updated_filters(filled, api):
    client = api("key_a")
    assert _bundle(client, f"{FHIR}Patient", _lastUpdated="gt2000-01-01")["total"] == 2
    assert _bundle(client, f"{FHIR}Patient", _lastUpdated="lt2000-01-01T00:00:00Z")["total"] == 0


def test_read_every_type_and_other_clinics_are_not_found(filled, api):
    client = api("therapist_a")
    for entry_type in ("Patient", "CarePlan", "Observation", "Flag", "Organization", "Practitioner",
                       "PlanDefinition", "ActivityDefinition"):
        bundle = _bundle(client, f"{FHIR}{entry_type}")
        assert bundle["entry"], entry_type
        resource = bundle["entry"][0]["resource"]
        response = client.get(f"{FHIR}{entry_type}/{resource['id']}")
        assert response.status_code == 200 and response.json() == resource
    other = api("therapist_b")
    assert _outcome(other.get(f"{FHIR}Patient/{filled.patient_a1.pk}"), 404) == "not-found"
    assert _outcome(other.get(f"{FHIR}Organization/{filled.clinic_a.pk}"), 404) == "not-found"
    assert _outcome(other.get(f"{FHIR}Patient/{filled.patient_a1.pk}/$everything"), 404) == "not-found"


def test_no_bundle_holds_another_clinics_data(filled, api):
    client = api("therapist_b")
    for entry_type in ("Patient", "CarePlan", "Observation", "Flag", "Organization", "Practitioner"):
        bundle = _bundle(client, f"{FHIR}{entry_type}", _count=200)
        for entry in bundle["entry"]:
            resource = entry["resource"]
            assert resource.get("subject", {}).get("reference", f"Patient/{filled.patient_b1.pk}") == \
                f"Patient/{filled.patient_b1.pk}"
            assert resource.get("managingOrganization", {}).get("reference", "x") in (
                "x", f"Organization/{filled.clinic_b.pk}")
        # Clinic A's people by full name and e-mail: a clinic-B staff member Faker happens to call
        # "Paul Avery" is not patient Arlo Avery.
        text = str(bundle)
        for person in (filled.patient_a1, filled.patient_a2, filled.admin_a, filled.therapist_a):
            assert f"{person.first_name} {person.last_name}" not in text
        for email in ("a1@a.test", "a2@a.test", "admin@a.test", "therapist@a.test"):
            assert email not in text


def test_a_patient_sees_only_their_own(filled, api):
    client = api("patient_a2")
    assert _ids(_bundle(client, f"{FHIR}Patient")) == [str(filled.patient_a2.pk)]
    assert _bundle(client, f"{FHIR}Observation")["total"] == 0
    assert _bundle(client, f"{FHIR}Observation", patient=filled.patient_a1.pk)["total"] == 0
    assert _outcome(client.get(f"{FHIR}Patient/{filled.patient_a1.pk}"), 404) == "not-found"
    own = api("patient_a1")
    assert _bundle(own, f"{FHIR}Flag")["total"] == 2
    assert _bundle(own, f"{FHIR}Observation")["total"] == 9


@pytest.mark.parametrize("params, words", [
    ({"colour": "blue"}, "no search parameter"),
    ({"date": "2026-13-01"}, "date must be a date"),
    ({"date": "yesterday"}, "date must be a date"),
    ({"_lastUpdated": "ge2026-01-01T10:00"}, "_lastUpdated must be a date"),
    ({"_count": "-1"}, "_count must be a whole number"),
    ({"patient": "Group/1"}, "patient must be"),
    ({"code": "http://loinc.org|"}, "code must be"),
])
def test_bad_searches_are_400_operation_outcomes(filled, api, params, words):
    response = api("therapist_a").get(f"{FHIR}Observation", params)
    assert _outcome(response, 400) == "invalid"
    assert words in response.json()["issue"][0]["diagnostics"]


def test_lenient_handling_ignores_unknown_parameters(filled, api):
    response = api("therapist_a").get(f"{FHIR}Patient", {"colour": "blue"}, HTTP_PREFER="handling=lenient")
    assert response.status_code == 200 and "colour" not in response.json()["link"][0]["url"]


def test_errors_are_operation_outcomes(filled, api):
    assert _outcome(api("anonymous").get(f"{FHIR}Patient"), 401) == "login"
    assert _outcome(api("revoked_key_a").get(f"{FHIR}Patient"), 401) == "login"
    assert _outcome(api("therapist_a").get(f"{FHIR}Medication"), 404) == "not-found"
    assert _outcome(api("therapist_a").get(f"{FHIR}Patient/not_an_id"), 404) == "not-found"
    assert _outcome(api("therapist_a").post(f"{FHIR}Patient", {}, format="json"), 405) == "not-supported"
    assert _outcome(api("key_a").delete(f"{FHIR}Patient/{filled.patient_a1.pk}"), 405) == "not-supported"
    assert _outcome(api("therapist_a").get(f"{FHIR}Patient", {"_format": "xml"}), 406) == "not-supported"
    assert api("therapist_a").get(f"{FHIR}Patient", {"_format": "json"}).status_code == 200


@pytest.mark.parametrize("fhir_type", ["Observation", "CarePlan", "PlanDefinition", "Patient", "Flag"])
def test_a_page_costs_a_fixed_number_of_queries(world, api, fhir_type, django_assert_max_num_queries):
    """Bounded by the type's sources (a count each, a fetch and its prefetches each), never by the page size."""
    fill(world, sessions=60)
    crowd(world, patients=52)
    client = api("key_a")
    client.get(f"{FHIR}metadata")  # the key's first use is recorded once; not part of a page's cost
    used = {}
    for count in (5, 50):
        with django_assert_max_num_queries(30) as queries:
            response = client.get(f"{FHIR}{fhir_type}", {"_count": count, "_offset": 1})
        assert response.status_code == 200 and len(response.json()["entry"]) == count
        used[count] = len(queries)
    if len(FHIR_TYPES[fhir_type]) == 1:
        assert used[5] == used[50]


def test_patients_are_found_by_the_clinics_reference(filled, api):
    Patient.objects.filter(pk=filled.patient_a1.pk).update(external_ref="MRN-1")
    Patient.objects.filter(pk=filled.patient_b1.pk).update(external_ref="MRN-1")
    client = api("key_a")
    found = _bundle(client, f"{FHIR}Patient", identifier="MRN-1")
    assert _ids(found) == [str(filled.patient_a1.pk)]
    system = found["entry"][0]["resource"]["identifier"][0]["system"]
    assert system.endswith("/fhir/clinic/clinic-a/patient-reference")
    assert _bundle(client, f"{FHIR}Patient", identifier=f"{system}|MRN-1")["total"] == 1
    assert _bundle(client, f"{FHIR}Patient", identifier="http://elsewhere.example|MRN-1")["total"] == 0
    assert _ids(_bundle(api("therapist_b"), f"{FHIR}Patient", identifier="MRN-1")) == [str(filled.patient_b1.pk)]
    assert _outcome(client.get(f"{FHIR}Observation", {"identifier": "MRN-1"}), 400) == "invalid"


def test_options_and_head(filled, api):
    client = api("therapist_a")
    assert _outcome(client.options(f"{FHIR}Patient"), 405) == "not-supported"
    assert client.head(f"{FHIR}Patient").status_code == 200


def test_no_search_of_any_type_shows_a_resource_only_the_other_clinic_has(filled, api):
    """Clinic B's staff, key-less and keyed, never get one of clinic A's own resources (built-ins are shared)."""
    own_a = {(source.name, source.to_fhir(row)["id"]) for source in RESOURCE_TYPES.values()
             for row in source.rows(filled.clinic_a)}
    own_b = {(source.name, source.to_fhir(row)["id"]) for source in RESOURCE_TYPES.values()
             for row in source.rows(filled.clinic_b)}
    only_a = own_a - own_b
    assert any(name == "Observation" for name, _id in only_a)
    for role in ("therapist_b", "key_b", "patient_b1"):
        client = api(role)
        for fhir_type in FHIR_TYPES:
            bundle = _bundle(client, f"{FHIR}{fhir_type}", _count=200)
            shown = {(entry["resource"]["resourceType"], entry["resource"]["id"]) for entry in bundle["entry"]}
            assert not shown & only_a, (role, fhir_type)
