"""The clinic admin sets how patients reach the clinic (phone, e-mail, hours), each on one line."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from clinic.models import ClinicSettings
from clinic.selectors import clinic_guidance
from clinic.services import clinic_contact_update

pytestmark = pytest.mark.django_db

CONTACT = {"contact_phone": "+44 20 7946 0000", "contact_email": "desk@clinic-a.test",
           "contact_hours": "Mon–Fri 8:00–18:00"}


def settings_post(**values) -> dict:
    data = {name: "" for name in ClinicSettings.ENGINE_SETTING_NAMES}
    data.update(values)
    return data


def test_clinic_admin_sets_the_contact_on_the_settings_page(client, world):
    client.force_login(world.admin_a)
    url = reverse("clinic-admin:settings")
    body = client.get(url).content.decode()
    assert "How patients reach the clinic" in body and 'name="contact_phone"' in body
    body = client.post(url, settings_post(**CONTACT), follow=True).content.decode()
    assert "Clinic contact saved" in body and "Clinic settings saved" not in body  # the engine is untouched
    row = ClinicSettings.objects.get(clinic=world.clinic_a)
    assert (row.contact_phone, row.contact_email, row.contact_hours) == tuple(CONTACT.values())
    assert row.updated_by == world.admin_a and row.engine_overrides == {}
    assert 'value="+44 20 7946 0000"' in body  # shown back for editing


@pytest.mark.parametrize("field, value", [
    ("contact_hours", "Mon–Fri 8–18\nSat 9–12"), ("contact_hours", "Mon\rTue"), ("contact_hours", "Mon\u2028Tue"),
    ("contact_phone", "020 7946\n0000"), ("contact_phone", "call us"), ("contact_phone", "12"),
    ("contact_email", "desk@clinic.test\nBcc: x@y.test"), ("contact_email", "not an address"),
])
def test_contact_fields_are_single_line_and_validated_beside_the_field(client, world, field, value):
    client.force_login(world.admin_a)
    response = client.post(reverse("clinic-admin:settings"), settings_post(**{**CONTACT, field: value}))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert ClinicSettings.objects.get(clinic=world.clinic_a).contact_phone == ""  # nothing saved


def test_the_service_refuses_a_line_break_whoever_calls_it(world):
    with pytest.raises(ValidationError) as error:
        clinic_contact_update(clinic=world.clinic_a, phone="+44 20 7946 0000", email="", hours="8–18\n9–12",
                              updated_by=world.admin_a)
    assert "contact_hours" in error.value.message_dict


def test_only_the_clinic_admin_may_change_the_contact(client, world):
    client.force_login(world.therapist_a)
    response = client.post(reverse("clinic-admin:settings"), settings_post(**CONTACT))
    assert response.status_code == 403
    assert ClinicSettings.objects.get(clinic=world.clinic_a).contact_phone == ""


def test_guidance_holds_the_contact_and_the_clinics_thresholds(world):
    ClinicSettings.objects.filter(clinic=world.clinic_a).update(
        contact_phone="+44 20 7946 0000", engine_overrides={"red_above": 4, "running_speed_kmh": 6.2})
    world.clinic_a.refresh_from_db()
    guide = clinic_guidance(world.clinic_a)
    assert guide.name == "Clinic A" and guide.phone == "+44 20 7946 0000" and guide.has_contact
    assert guide.red_above == 4 and guide.running_speed_kmh == Decimal("6.2")
    default = clinic_guidance(world.clinic_b)
    assert default.red_above == 5 and default.running_speed_kmh == Decimal("5.8") and not default.has_contact
