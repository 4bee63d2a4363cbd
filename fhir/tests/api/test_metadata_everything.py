"""The CapabilityStatement says exactly what is served; $everything is one valid, self-contained Bundle."""

from __future__ import annotations

import pytest
from django.http import QueryDict
from django.urls import reverse

from fhir.registry import FHIR_TYPES
from fhir.search import RESULT_PARAMS, SearchError, parse_search, search_params
from fhir.tests.fhir_world import fill, validate
from tests.api.support import api  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

FHIR = "/fhir/R4/"


def test_metadata_is_open_and_valid(world, api):
    response = api("anonymous").get(f"{FHIR}metadata")
    assert response.status_code == 200 and response["Content-Type"] == "application/fhir+json"
    validate(response.json())


def test_metadata_lists_exactly_the_served_types_and_parameters(db, api):
    statement = api("anonymous").get(f"{FHIR}metadata").json()
    listed = {resource["type"]: resource for resource in statement["rest"][0]["resource"]}
    assert set(listed) == set(FHIR_TYPES)
    for fhir_type, resource in listed.items():
        # Each listed type has a read and a search route, and each listed parameter is accepted ...
        reverse(f"fhir:{fhir_type}-search")
        reverse(f"fhir:{fhir_type}-read", kwargs={"resource_id": "1"})
        names = {param["name"] for param in resource["searchParam"]}
        assert names == {param.name for param in search_params(fhir_type)}
        for name in names:
            parse_search(fhir_type, _query({name: "ge2026-01-01" if name in ("date", "_lastUpdated") else "1"}))
        # ... and a parameter not listed is refused.
        for name in {"patient", "date", "code", "identifier", "subject"} - names:
            with pytest.raises(SearchError):
                parse_search(fhir_type, _query({name: "1"}))
    assert listed["Patient"]["operation"][0]["name"] == "everything"
    assert set(RESULT_PARAMS) == {"_count", "_offset", "_format"}


def _query(values):
    query = QueryDict(mutable=True)
    query.update(values)
    return query


def test_everything_is_one_valid_bundle_whose_references_resolve(world, api, django_assert_max_num_queries):
    fill(world)
    client = api("therapist_a")
    with django_assert_max_num_queries(40):
        response = client.get(f"{FHIR}Patient/{world.patient_a1.pk}/$everything")
    assert response.status_code == 200 and response["Content-Type"] == "application/fhir+json"
    bundle = response.json()
    validate(bundle)
    present = {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle["entry"]}
    assert bundle["total"] == len(bundle["entry"]) == len(present)
    references = set()
    for entry in bundle["entry"]:
        validate(entry["resource"])
        _collect(entry["resource"], references)
    assert references and references <= present
    types = {entry["resource"]["resourceType"] for entry in bundle["entry"]}
    assert {"Patient", "Organization", "Practitioner", "CarePlan", "Observation", "Flag"} <= types
    subjects = {e["resource"]["subject"]["reference"] for e in bundle["entry"] if "subject" in e["resource"]}
    assert subjects == {f"Patient/{world.patient_a1.pk}"}


def _collect(value, found: set) -> None:
    if isinstance(value, dict):
        if isinstance(value.get("reference"), str):
            found.add(value["reference"])
        for child in value.values():
            _collect(child, found)
    elif isinstance(value, list):
        for child in value:
            _collect(child, found)


def test_everything_for_the_patient_themselves_and_nobody_else(world, api):
    fill(world)
    assert api("patient_a1").get(f"{FHIR}Patient/{world.patient_a1.pk}/$everything").status_code == 200
    for role in ("patient_a2", "therapist_b"):
        response = api(role).get(f"{FHIR}Patient/{world.patient_a1.pk}/$everything")
        assert response.status_code == 404 and response.json()["resourceType"] == "OperationOutcome"
    assert api("anonymous").get(f"{FHIR}Patient/{world.patient_a1.pk}/$everything").status_code == 401
