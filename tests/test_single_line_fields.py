"""Fields that reach e-mail subjects are one line: refused by the form, the API and the service alike.

A patient reference with a line break used to make every urgent e-mail about
that patient fail (Django refuses a header with a newline). The rule lives on
the model fields (clinic/validators.py), so every way in applies it.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from clinic import services as clinic_services
from clinic.models import ApiKey, Membership
from clinic.validators import SINGLE_LINE_MESSAGE, single_line, validate_single_line
from patients import services as patient_services
from patients.models import Patient
from tests.api.support import api  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

BROKEN = ["EHR\n42", "EHR\r\n42", "EHR\r42", "EHR\t42", "EHR\x0042", "EHR\x8542", "EHR\u202842"]
MESSAGE = str(SINGLE_LINE_MESSAGE)


@pytest.mark.parametrize("value", BROKEN)
def test_the_validator_refuses_line_breaks_and_control_characters(value):
    with pytest.raises(ValidationError) as refused:
        validate_single_line(value)
    assert refused.value.messages == [MESSAGE]


@pytest.mark.parametrize("value", ["EHR-42", "Zoë O'Brien-Łukasz", "", "A  B"])
def test_the_validator_accepts_ordinary_text(value):
    validate_single_line(value)


def test_single_line_collapses_what_the_validator_refuses():
    assert [single_line(value) for value in BROKEN] == ["EHR 42"] * len(BROKEN)
    assert single_line("  Backstep:\n\n urgent ") == "Backstep: urgent"


# --- The patient reference and names, three ways in ---------------------------

@pytest.mark.parametrize("field", ["external_ref", "first_name", "last_name"])
def test_the_service_refuses_a_line_break(world, field):
    values = {"first_name": "Nia", "last_name": "New", "external_ref": "EHR-1", field: "EHR\n1"}
    with pytest.raises(ValidationError) as refused:
        patient_services.patient_create(clinic=world.clinic_a, therapist=world.therapist_a, condition="pfp",
                                        side="left", **values)
    assert refused.value.message_dict == {field: [MESSAGE]}
    with pytest.raises(ValidationError):
        patient_services.patient_update(patient=world.patient_a1, **{field: "Two\nlines"})
    world.patient_a1.refresh_from_db()
    assert "\n" not in getattr(world.patient_a1, field)


def test_the_form_refuses_a_reference_with_a_line_break(client, world):
    client.force_login(world.therapist_a)
    response = client.post(reverse("patients:create"), {
        "first_name": "Nia", "last_name": "New", "external_ref": "EHR\n1", "condition": "pfp", "side": "left",
        "therapist": world.therapist_a.pk,
    })
    assert response.status_code == 200
    assert response.context["form"].errors == {"external_ref": [MESSAGE]}
    assert not Patient.objects.filter(first_name="Nia").exists()
    response = client.post(reverse("patients:edit", args=[world.patient_a1.pk]), {
        "first_name": "Alma", "last_name": "Ash\r\nby", "condition": world.patient_a1.condition,
        "side": world.patient_a1.side, "therapist": world.therapist_a.pk,
    })
    assert response.context["form"].errors == {"last_name": [MESSAGE]}


def test_the_api_refuses_a_reference_with_a_line_break(world, api):  # noqa: F811 (fixture)
    client = api("therapist_a")
    response = client.post("/api/v1/patients/", {"first_name": "Nia", "last_name": "New", "condition": "pfp",
                                                 "side": "left", "external_ref": "EHR\n1"}, format="json")
    assert response.status_code == 400 and response.json() == {"external_ref": [MESSAGE]}
    response = client.patch(f"/api/v1/patients/{world.patient_a1.pk}/", {"first_name": "Al\nma"}, format="json")
    assert response.status_code == 400 and response.json() == {"first_name": [MESSAGE]}
    assert not Patient.objects.filter(external_ref="EHR\n1").exists()


# --- Staff names, the clinic's name and API key names --------------------------

def test_staff_names_are_one_line_in_the_invitation_service_and_page(client, world):
    with pytest.raises(ValidationError) as refused:
        clinic_services.staff_invite(clinic=world.clinic_a, email="n@a.test", first_name="Nia\nBcc: x@y.test")
    assert refused.value.message_dict == {"first_name": [MESSAGE]}
    client.force_login(world.admin_a)
    response = client.post(reverse("clinic-admin:staff-invite"), {
        "email": "n@a.test", "first_name": "Nia", "last_name": "No\rvak", "role": "therapist"})
    assert response.status_code == 200 and response.context["form"].errors == {"last_name": [MESSAGE]}
    assert not Membership.objects.filter(user__email="n@a.test").exists()


def test_clinic_and_api_key_names_are_one_line(client, world):
    with pytest.raises(ValidationError) as refused:
        clinic_services.clinic_create(name="North\nside")
    assert refused.value.message_dict == {"name": [MESSAGE]}
    with pytest.raises(ValidationError):
        clinic_services.api_key_create(clinic=world.clinic_a, name="EHR\nsync")
    client.force_login(world.admin_a)
    response = client.post(reverse("clinic-admin:api-key-create"), {"name": "EHR\tsync", "expires_days": ""})
    assert response.status_code == 200 and response.context["form"].errors == {"name": [MESSAGE]}
    assert not ApiKey.objects.exists()
