"""The demo clinic as FHIR: every resource valid, every reference resolving inside the clinic, nothing of Northside."""

from __future__ import annotations

import pytest

from clinic.models import Clinic
from fhir.registry import FHIR_TYPES, RESOURCE_TYPES, patient_compartment
from fhir.tests.fhir_world import validate
from outcomes.demo import demo_outcomes_seed
from patients.demo import DEMO_CLINIC, NORTHSIDE, demo_seed
from patients.models import Patient

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _references(value, found: set) -> None:
    if isinstance(value, dict):
        if isinstance(value.get("reference"), str):
            found.add(value["reference"])
        for child in value.values():
            _references(child, found)
    elif isinstance(value, list):
        for child in value:
            _references(child, found)


def test_the_demo_clinic_is_valid_self_contained_fhir():
    demo_seed()
    demo_outcomes_seed()  # questionnaires answered over the weeks, KOOS-PF in imported (test) wording
    clinic = Clinic.objects.get(name=DEMO_CLINIC.name)
    northside = set(Patient.objects.filter(clinic__name=NORTHSIDE.name).values_list("pk", flat=True))
    present, references, types = set(), set(), set()
    for source in RESOURCE_TYPES.values():
        for row in source.rows(clinic).iterator(chunk_size=200):
            resource = source.to_fhir(row)
            validate(resource)
            key = f"{resource['resourceType']}/{resource['id']}"
            assert key not in present, key
            present.add(key)
            types.add(resource["resourceType"])
            _references(resource, references)
    assert types == set(FHIR_TYPES)
    assert references <= present, references - present
    assert not {f"Patient/{pk}" for pk in northside} & present
    patient = Patient.objects.filter(clinic=clinic).first()
    compartment = list(patient_compartment(clinic, patient))
    assert {f"{r['resourceType']}/{r['id']}" for r in compartment} <= present
