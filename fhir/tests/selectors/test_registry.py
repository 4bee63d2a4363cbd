"""The registry: clinic scoping, one valid resource per row, the patient compartment, and fixed query counts."""

from __future__ import annotations

import pytest

from fhir.registry import FHIR_TYPES, RESOURCE_TYPES, patient_compartment
from fhir.tests.fhir_world import answer, fill, validate

pytestmark = pytest.mark.django_db


def _all(clinic, **narrowing) -> list[dict]:
    return [source.to_fhir(row) for source in RESOURCE_TYPES.values() for row in source.rows(clinic, **narrowing)]


def test_every_resource_of_a_clinic_is_valid_fhir(world):
    fill(world)
    answer(world)
    resources = _all(world.clinic_a)
    assert {r["resourceType"] for r in resources} == set(FHIR_TYPES)
    for resource in resources:
        validate(resource)


def test_no_other_clinics_row_and_no_other_patients_row(world):
    fill(world)
    resources = _all(world.clinic_a)
    patient_refs = {r["subject"]["reference"] for r in resources if "subject" in r}
    assert patient_refs == {f"Patient/{world.patient_a1.pk}", f"Patient/{world.patient_a2.pk}"}
    assert {r["id"] for r in resources if r["resourceType"] == "Patient"} == {
        str(world.patient_a1.pk), str(world.patient_a2.pk)}
    assert {r["id"] for r in resources if r["resourceType"] == "Practitioner"} == {
        str(world.admin_a.pk), str(world.therapist_a.pk)}
    assert {r["id"] for r in resources if r["resourceType"] == "Organization"} == {str(world.clinic_a.pk)}


def test_measurement_values_each_become_one_observation(world):
    fill(world)
    ids = {r["id"] for r in _all(world.clinic_a, patient_ids=[world.patient_a1.pk])
           if r["id"].startswith("measurement-")}
    assert {i.split("-", 2)[2] for i in ids} == {"effusion-stroke-test", "quad-lsi", "rom", "running-signoff"}


def test_levels_are_counted_from_one_in_plans(world):
    fill(world)
    plan = RESOURCE_TYPES["CarePlan"].to_fhir(RESOURCE_TYPES["CarePlan"].rows(
        world.clinic_a, patient_ids=[world.patient_a1.pk]).get())
    walk = plan["activity"][0]["detail"]
    level = next(e for e in walk["extension"] if e["url"].endswith("level-in-force"))
    steps = [e for e in walk["extension"] if e["url"].endswith("ladder-step")]
    assert level["valueInteger"] == world.assignment_a1.exercises.order_by("order")[0].current_step + 1
    assert [s["extension"][0]["valueInteger"] for s in steps] == [1, 2, 3]
    assert walk["scheduledTiming"]["repeat"] == {"frequency": 3, "period": 1, "periodUnit": "wk"}


def test_compartment_holds_the_patients_data_and_everything_it_refers_to(world):
    fill(world)
    resources = list(patient_compartment(world.clinic_a, world.patient_a1))
    assert resources[0]["resourceType"] == "Patient" and resources[0]["id"] == str(world.patient_a1.pk)
    present = {f"{r['resourceType']}/{r['id']}" for r in resources}
    for resource in resources:
        validate(resource)
        for key in ("subject", "managingOrganization"):
            if key in resource:
                assert resource[key]["reference"] in present
        for ref in resource.get("generalPractitioner", []) + resource.get("basedOn", []):
            assert ref["reference"] in present
    assert {r["subject"]["reference"] for r in resources if "subject" in r} == {f"Patient/{world.patient_a1.pk}"}
    assert list(patient_compartment(world.clinic_b, world.patient_a1)) == []


def test_since_narrows_to_rows_changed_after(world):
    fill(world)
    source = RESOURCE_TYPES["Observation.session"]
    newest = max(source.last_updated(row) for row in source.rows(world.clinic_a))
    assert not source.rows(world.clinic_a, since=newest).exists()
    assert source.rows(world.clinic_a, since=newest.replace(year=2000)).count() == 4


@pytest.mark.parametrize("key", sorted(RESOURCE_TYPES))
def test_a_page_costs_the_same_whatever_its_size(world, key, django_assert_max_num_queries):
    fill(world, sessions=12)
    source = RESOURCE_TYPES[key]
    with django_assert_max_num_queries(6):
        [source.to_fhir(row) for row in source.rows(world.clinic_a)[:50]]
