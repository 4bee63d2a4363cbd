"""What each mapping says in FHIR terms: the choices interop.md leaves to us, pinned."""

from __future__ import annotations

import pytest

from fhir.registry import RESOURCE_TYPES
from fhir.tests.fhir_world import fill
from patients.models import Assignment, Flag, SessionLog

pytestmark = pytest.mark.django_db


def _resource(key: str, clinic, **lookup) -> dict:
    source = RESOURCE_TYPES[key]
    return source.to_fhir(source.rows(clinic).get(**lookup))


def test_a_session_is_an_activity_observation_with_pain_load_and_effort(world):
    fill(world)
    walk = SessionLog.objects.filter(patient=world.patient_a1, duration_min__isnull=False).first()
    resource = _resource("Observation.session", world.clinic_a, pk=walk.pk)
    assert resource["category"][0]["coding"][0]["code"] == "activity"
    assert resource["code"]["coding"][0] == {"system": "http://loinc.org", "code": "55411-3",
                                             "display": "Exercise duration"}
    assert resource["valueQuantity"] == {"value": 10, "unit": "min", "system": "http://unitsofmeasure.org",
                                         "code": "min"}
    assert resource["effectiveDateTime"] == walk.date.isoformat()
    components = {c["code"].get("text"): c for c in resource["component"]}
    assert components["Worst pain during the session"]["valueInteger"] == walk.pain_during
    assert components["Pain right after the session"]["code"]["coding"][0]["code"] == "72514-3"
    assert components["Treadmill speed"]["valueQuantity"]["unit"] == "km/h"
    assert components["Treadmill incline"]["valueQuantity"]["code"] == "%"
    assert components["Effort (Borg CR10, 0-10)"]["valueInteger"] == 4
    assert components["Session completed as planned"]["valueBoolean"] is True
    assert resource["basedOn"] == [{"reference": f"CarePlan/{world.assignment_a1.pk}"}]


def test_a_session_of_sets_says_why_it_has_no_minutes(world):
    fill(world)
    sets = SessionLog.objects.get(patient=world.patient_a1, duration_min__isnull=True)
    resource = _resource("Observation.session", world.clinic_a, pk=sets.pk)
    assert "valueQuantity" not in resource and "dataAbsentReason" in resource
    assert {c["code"]["text"]: c.get("valueInteger") for c in resource["component"]}["Sets done"] == 3


def test_plan_status_and_flag_status(world):
    fill(world)
    Assignment.objects.filter(pk=world.assignment_a1.pk).update(status="stopped")
    assert _resource("CarePlan", world.clinic_a, pk=world.assignment_a1.pk)["status"] == "revoked"
    statuses = {f.status: _resource("Flag", world.clinic_a, pk=f.pk) for f in Flag.objects.filter(
        patient=world.patient_a1)}
    assert statuses["resolved"]["status"] == "inactive" and "end" in statuses["resolved"]["period"]
    assert statuses["open"]["status"] == "active"
    assert statuses["open"]["code"]["text"] == "Pain 7/10 during the session."
    assert statuses["open"]["category"][0]["coding"][0]["code"] == "clinical"


def test_practitioners_carry_no_email_and_patients_their_reference(world):
    world.patient_a1.external_ref = "MRN-7"
    world.patient_a1.save()
    practitioner = _resource("Practitioner", world.clinic_a, pk=world.therapist_a.pk)
    assert "telecom" not in practitioner and world.therapist_a.email not in str(practitioner)
    patient = _resource("Patient", world.clinic_a, pk=world.patient_a1.pk)
    assert patient["identifier"][0]["value"] == "MRN-7"
    assert patient["generalPractitioner"] == [{"reference": f"Practitioner/{world.therapist_a.pk}"}]
    assert patient["managingOrganization"] == {"reference": f"Organization/{world.clinic_a.pk}"}


def test_protocol_ladder_steps_are_levels_from_one(world):
    protocol = world.assignment_a1.protocol
    resource = _resource("PlanDefinition", world.clinic_a, pk=protocol.pk)
    walk = resource["action"][0]["action"][0]
    levels = [step["extension"][0]["valueInteger"] for step in walk["extension"]]
    assert levels == [1, 2, 3]
    assert walk["definitionCanonical"].endswith(f"/fhir/R4/ActivityDefinition/{walk_template(protocol)}")
    assert walk["timingTiming"]["repeat"] == {"frequency": 3, "period": 1, "periodUnit": "wk"}


def walk_template(protocol) -> int:
    return protocol.phases.get(order=0).exercises.get(order=0).template_id
