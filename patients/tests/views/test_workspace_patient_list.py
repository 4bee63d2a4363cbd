"""The therapist's patient list: staff only, own clinic only, own patients by default, levels in words."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_patients_cannot_open_the_patient_list(client, world):
    client.force_login(world.patient_a1.user)
    assert client.get(reverse("patients:list")).status_code == 403


def test_patient_list_shows_only_own_clinic(client, world):
    client.force_login(world.therapist_b)
    body = client.get(reverse("patients:list"), {"scope": "all"}).content.decode()
    assert "Bea Brook" in body
    assert "Alma Ashby" not in body and "Arlo Avery" not in body


def test_patient_list_shows_current_step_in_words(client, world):
    client.force_login(world.therapist_a)
    body = client.get(reverse("patients:list")).content.decode()
    assert "Alma Ashby" in body and "Arlo Avery" in body
    assert "2.5 km/h · 0 % · 10 min" in body
    assert "level 1 of 3" in body and "step 1 of 3" not in body


def test_patient_list_search_and_empty_state(client, world):
    client.force_login(world.therapist_a)
    body = client.get(reverse("patients:list"), {"q": "arlo"}).content.decode()
    assert "Arlo Avery" in body and "Alma Ashby" not in body
    body = client.get(reverse("patients:list"), {"q": "nobody-matches"}).content.decode()
    assert "No patients match" in body


def test_therapist_sees_own_patients_by_default_and_admin_the_clinic(client, world):
    from tests.factories import PatientFactory

    PatientFactory(clinic=world.clinic_a, therapist=world.admin_a, first_name="Other", last_name="Colleague")
    client.force_login(world.therapist_a)
    assert "Other Colleague" not in client.get(reverse("patients:list")).content.decode()
    assert "Other Colleague" in client.get(reverse("patients:list"), {"scope": "all"}).content.decode()
    client.force_login(world.admin_a)
    assert "Other Colleague" in client.get(reverse("patients:list")).content.decode()


def test_patient_list_query_count_does_not_grow_with_patients(client, world, django_assert_max_num_queries):
    from patients.services import assignment_create
    from tests.factories import PatientFactory

    protocol = world.assignment_a1.protocol
    for _n in range(20):
        patient = PatientFactory(clinic=world.clinic_a, therapist=world.therapist_a)
        assignment_create(patient=patient, protocol=protocol, start_date=world.assignment_a1.start_date,
                          baseline_pain=1)
    client.force_login(world.therapist_a)
    # 13: the audit event and, in one more insert, the patients the page showed (however many).
    with django_assert_max_num_queries(13):
        response = client.get(reverse("patients:list"))
    assert response.status_code == 200
    assert response.content.decode().count("km/h ·") == 22
