"""FHIR reads are audited with the patients they contained; API keys are throttled here as on /api/v1/."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from clinic.api.permissions import ApiKeyRateThrottle
from clinic.models import AuditEvent
from fhir.tests.fhir_world import answer, fill, validate
from tests.api.support import api  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

FHIR = "/fhir/R4/"


def _event(route: str) -> AuditEvent:
    event = AuditEvent.objects.filter(route=route).order_by("-pk").first()
    assert event is not None, route
    return event


def _contained(event: AuditEvent) -> set[int]:
    return set(event.patients.values_list("patient_id", flat=True))


def test_a_search_records_the_patients_on_its_page(world, api):
    fill(world)
    assert api("therapist_a").get(f"{FHIR}Observation").status_code == 200
    event = _event("fhir:Observation-search")
    assert event.clinic_id == world.clinic_a.pk and event.actor_role == "therapist"
    assert _contained(event) == {world.patient_a1.pk}
    assert event.label == "searched sessions, check-ins, measurements and questionnaire scores (FHIR)"


def test_questionnaire_responses_are_audited_and_questionnaires_are_not(world, api):
    fill(world)
    answer(world)
    client = api("therapist_a")
    assert client.get(f"{FHIR}QuestionnaireResponse").status_code == 200
    event = _event("fhir:QuestionnaireResponse-search")
    assert _contained(event) == {world.patient_a1.pk}
    assert event.label == "searched questionnaire responses (FHIR)"
    response = world.patient_a1.questionnaire_responses.filter(status="submitted").first()
    assert client.get(f"{FHIR}QuestionnaireResponse/{response.pk}").status_code == 200
    assert _event("fhir:QuestionnaireResponse-read").patient_id == world.patient_a1.pk
    assert client.get(f"{FHIR}Questionnaire").status_code == 200
    assert not AuditEvent.objects.filter(route="fhir:Questionnaire-search").exists()


def test_a_key_reading_a_patient_and_everything_is_recorded(world, api):
    fill(world)
    client = api("key_a")
    assert client.get(f"{FHIR}Patient/{world.patient_a2.pk}").status_code == 200
    read = _event("fhir:Patient-read")
    assert read.actor_role == "api_key" and read.patient_id == world.patient_a2.pk
    assert client.get(f"{FHIR}Patient/{world.patient_a1.pk}/$everything").status_code == 200
    everything = _event("fhir:Patient-everything")
    assert everything.patient_id == world.patient_a1.pk and _contained(everything) == {world.patient_a1.pk}


def test_definitions_and_metadata_are_not_patient_data(world, api):
    client = api("therapist_a")
    before = AuditEvent.objects.count()
    for url in ("metadata", "PlanDefinition", "ActivityDefinition", "Organization", "Practitioner"):
        assert client.get(f"{FHIR}{url}").status_code == 200
    assert AuditEvent.objects.count() == before


def test_refused_reads_are_not_events(world, api):
    before = AuditEvent.objects.count()
    assert api("therapist_b").get(f"{FHIR}Patient/{world.patient_a1.pk}").status_code == 404
    assert api("anonymous").get(f"{FHIR}Patient").status_code == 401
    assert AuditEvent.objects.count() == before


def test_keys_are_throttled_with_an_operation_outcome(world, api, monkeypatch):
    cache.clear()
    monkeypatch.setattr(ApiKeyRateThrottle, "THROTTLE_RATES", {"api_key": "2/minute"})
    client = api("key_a")
    assert [client.get(f"{FHIR}Patient").status_code for _ in range(2)] == [200, 200]
    response = client.get(f"{FHIR}Patient")
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    validate(response.json())
    assert response.json()["issue"][0]["code"] == "throttled"
    cache.clear()
