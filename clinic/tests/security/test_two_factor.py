"""Two-factor sign-in for staff (clinic.security.two_factor, .middleware): who is asked, set-up, account page."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic import security, services
from clinic.models import ClinicSettings
from clinic.tests.security.support import (
    LOGIN,
    PATIENTS,
    require_two_factor,
    sign_in,
    signed_in_as,
    unthrottle,
)
from tests.support import code_for, turn_on_two_factor

pytestmark = pytest.mark.django_db


# --- Two-factor: who is asked ------------------------------------------------------------


def test_clinic_requirement_sends_staff_to_set_up_and_never_patients(client, world):
    require_two_factor(world.clinic_a)
    client.force_login(world.therapist_a)
    response = client.get(PATIENTS)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/two-factor/setup/?next=%2Fpatients%2F"
    # The API over the same session says what to do, in the API's error shape.
    response = client.get("/api/v1/patients/")
    assert response.status_code == 403
    assert response.json() == {"detail": "Two-factor verification required: finish signing in in the browser."}
    # Patients of the same clinic and staff of another clinic are not asked.
    patient = Client()
    patient.force_login(world.patient_a1.user)
    assert patient.get("/today/").status_code == 200
    other = Client()
    other.force_login(world.therapist_b)
    assert other.get(PATIENTS).status_code == 200


def test_production_always_requires_two_factor_for_staff(client, world, settings):
    settings.PRODUCTION = True
    client.force_login(world.therapist_b)
    assert client.get(PATIENTS)["Location"].startswith("/accounts/two-factor/setup/")
    patient = Client()
    patient.force_login(world.patient_b1.user)
    assert patient.get("/today/").status_code == 200


def test_without_requirement_or_device_staff_are_not_asked(client, world):
    client.force_login(world.therapist_a)
    assert client.get(PATIENTS).status_code == 200
    assert client.get(reverse("two-factor-verify"))["Location"] == "/"


def test_staff_with_an_authenticator_are_always_asked_for_a_code(client, world):
    device, _codes = turn_on_two_factor(world.therapist_a)
    response = sign_in(client, "therapist@a.test", HTTP_HOST="testserver")
    assert response.status_code == 302
    response = client.get(response["Location"])
    assert response["Location"] == "/accounts/two-factor/?next=%2F"
    assert client.get(PATIENTS)["Location"] == "/accounts/two-factor/?next=%2Fpatients%2F"
    page = client.get("/accounts/two-factor/?next=%2Fpatients%2F")
    assert page.status_code == 200 and "Enter your code" in page.content.decode()
    # A wrong code is refused beside the field; the right one continues to the page asked for.
    response = client.post("/accounts/two-factor/", {"code": "000000", "next": PATIENTS})
    assert response.status_code == 200 and "That code is not right" in response.content.decode()
    key_before = client.session.session_key
    unthrottle(device)  # the wrong code above made the device wait a second
    response = client.post("/accounts/two-factor/", {"code": code_for(device), "next": PATIENTS})
    assert response.status_code == 302 and response["Location"] == PATIENTS
    assert client.session.session_key != key_before  # verifying is a step up: new session key
    assert client.get(PATIENTS).status_code == 200


def test_the_verify_page_only_returns_to_our_own_pages(client, world):
    device, _codes = turn_on_two_factor(world.therapist_a)
    client.force_login(world.therapist_a)
    response = client.post("/accounts/two-factor/", {"code": code_for(device), "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_a_recovery_code_works_once(client, world):
    _device, codes = turn_on_two_factor(world.therapist_a)
    assert len(codes) == 10 and len(set(codes)) == 10
    client.force_login(world.therapist_a)
    response = client.post("/accounts/two-factor/", {"code": codes[3].upper(), "next": PATIENTS}, follow=True)
    assert response.redirect_chain[-1][0] == PATIENTS
    assert "You signed in with a recovery code" in response.content.decode() and "9 left" in response.content.decode()
    again = Client()
    again.force_login(world.therapist_a)
    response = again.post("/accounts/two-factor/", {"code": codes[3]})
    assert response.status_code == 200 and "That code is not right" in response.content.decode()
    assert again.get(PATIENTS).status_code == 302


def test_wrong_codes_make_the_next_try_wait(client, world):
    turn_on_two_factor(world.therapist_a)
    client.force_login(world.therapist_a)
    client.post("/accounts/two-factor/", {"code": "111111"})
    response = client.post("/accounts/two-factor/", {"code": "222222"})
    assert "Too many wrong codes. Wait" in response.content.decode()


def test_unverified_staff_can_still_sign_out_and_reach_health(client, world):
    require_two_factor(world.clinic_a)
    client.force_login(world.therapist_a)
    assert client.get("/healthz").status_code in (200, 503)
    assert client.get(reverse("two-factor-setup")).status_code == 200
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and signed_in_as(client) is None


def test_api_keys_are_not_held_by_a_session_waiting_for_a_code(client, world):
    require_two_factor(world.clinic_a)
    _key, raw = services.api_key_create(clinic=world.clinic_a, name="EHR")
    client.force_login(world.therapist_a)
    assert client.get("/api/v1/reports/adherence/").status_code == 403
    response = client.get("/api/v1/reports/adherence/", HTTP_AUTHORIZATION=f"Api-Key {raw}")
    assert response.status_code == 200
    # A bad key still gets 401, never the unverified session's rights.
    assert client.get("/api/v1/reports/adherence/", HTTP_AUTHORIZATION="Api-Key bsk_x_y").status_code == 401


# --- Two-factor: set-up page --------------------------------------------------------------


def test_set_up_shows_a_server_drawn_qr_code_and_the_key_then_the_recovery_codes(client, world):
    require_two_factor(world.clinic_a)
    client.force_login(world.admin_a)
    response = client.get("/accounts/two-factor/setup/?next=%2Fpatients%2F")
    body = response.content.decode()
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    device = TOTPDevice.objects.get(user=world.admin_a, confirmed=False)
    svg = re.search(r"<svg[^>]*>.*?</svg>", body, re.S).group(0)
    assert 'role="img"' in svg and "<title>QR code for your authenticator app</title>" in svg
    assert "style=" not in body.split("<main", 1)[1] and "<script>" not in body and "http" not in svg
    assert security.authenticator_secret(device) in body
    assert security.authenticator_secret(device).replace(" ", "") in device.config_url
    # Reloading keeps the same secret (the app may already have it).
    client.get("/accounts/two-factor/setup/")
    assert TOTPDevice.objects.filter(user=world.admin_a).count() == 1
    assert client.post("/accounts/two-factor/setup/", {"code": "123456"}).status_code == 200
    unthrottle(device)
    response = client.post("/accounts/two-factor/setup/", {"code": code_for(device), "next": PATIENTS})
    body = response.content.decode()
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    codes = list(StaticToken.objects.filter(device__user=world.admin_a).values_list("token", flat=True))
    assert len(codes) == 10 and all(code in body for code in codes)
    assert "Save these codes now" in body
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(PATIENTS).status_code == 200  # verified by setting it up


def test_set_up_is_for_staff_only(client, world):
    client.force_login(world.patient_a1.user)
    assert client.get(reverse("two-factor-setup")).status_code == 403
    assert client.get(reverse("account-security")).status_code == 403
    assert not TOTPDevice.objects.exists()
    anonymous = Client()
    assert anonymous.get(reverse("two-factor-setup"))["Location"].startswith(LOGIN)


# --- Account security page and clinic settings -------------------------------------------------


def test_staff_turn_two_factor_on_voluntarily_and_make_new_recovery_codes(client, world):
    client.force_login(world.therapist_a)
    page = client.get(reverse("account-security")).content.decode()
    assert "Turn on two-factor sign-in" in page and 'href="/accounts/security/"' in page
    client.get(reverse("two-factor-setup"))
    device = TOTPDevice.objects.get(user=world.therapist_a)
    client.post(reverse("two-factor-setup"), {"code": code_for(device)})
    old = set(StaticToken.objects.filter(device__user=world.therapist_a).values_list("token", flat=True))
    assert "10 recovery codes left" in client.get(reverse("account-security")).content.decode()
    # New codes need a current code; the old ones stop working.
    response = client.post(reverse("recovery-codes-new"), {"regenerate-code": "000000"})
    assert response.status_code == 400
    unthrottle(device)
    response = client.post(reverse("recovery-codes-new"), {"regenerate-code": code_for(device)})
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    new = set(StaticToken.objects.filter(device__user=world.therapist_a).values_list("token", flat=True))
    assert len(new) == 10 and not new & old
    assert "Your earlier recovery codes no longer work" in response.content.decode()
    # Not required by the clinic: it can be turned off again, with a code.
    response = client.post(reverse("two-factor-off"), {"off-code": code_for(device)}, follow=True)
    assert "Two-factor sign-in is off" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=world.therapist_a).exists()
    assert client.get(PATIENTS).status_code == 200


def test_two_factor_cannot_be_turned_off_where_required(client, world):
    device, _codes = turn_on_two_factor(world.therapist_a)
    require_two_factor(world.clinic_a)
    client.force_login(world.therapist_a)
    client.post("/accounts/two-factor/", {"code": code_for(device)})
    page = client.get(reverse("account-security")).content.decode()
    assert "Your clinic requires it." in page and "Turn off two-factor sign-in" not in page
    response = client.post(reverse("two-factor-off"), {"off-code": code_for(device)}, follow=True)
    assert "cannot be turned off" in response.content.decode()
    assert TOTPDevice.objects.filter(user=world.therapist_a, confirmed=True).exists()


def test_clinic_admin_turns_the_requirement_on_in_clinic_settings(client, world):
    client.force_login(world.admin_a)
    url = reverse("clinic-admin:settings")
    page = client.get(url).content.decode()
    assert "Require two-factor sign-in for staff" in page and "Patients are never asked." in page
    data = {name: "" for name in ClinicSettings.ENGINE_SETTING_NAMES}
    data["require_two_factor"] = "on"
    response = client.post(url, data)
    assert response.status_code == 302
    row = ClinicSettings.objects.get(clinic=world.clinic_a)
    assert row.require_two_factor and row.updated_by == world.admin_a and row.engine_overrides == {}
    # The admin has no authenticator yet: their next page is the set-up, with the message saying why.
    response = client.get(url)
    assert response["Location"].startswith("/accounts/two-factor/setup/")
    page = client.get(response["Location"]).content.decode()
    assert "Two-factor sign-in is now required for staff" in page


def test_in_production_the_clinic_switch_is_on_and_fixed(client, world, settings):
    _device, _codes = turn_on_two_factor(world.admin_a)
    settings.PRODUCTION = True
    client.force_login(world.admin_a)
    device = TOTPDevice.objects.get(user=world.admin_a)
    client.post("/accounts/two-factor/", {"code": code_for(device)})
    page = client.get(reverse("clinic-admin:settings")).content.decode()
    switch = re.search(r'<input[^>]*name="require_two_factor"[^>]*>', page).group(0)
    assert "disabled" in switch and "checked" in switch
    assert "Always on in this installation" in page
    data = {name: "" for name in ClinicSettings.ENGINE_SETTING_NAMES}
    assert "Nothing to save" in client.post(reverse("clinic-admin:settings"), data, follow=True).content.decode()
    assert not ClinicSettings.objects.get(clinic=world.clinic_a).require_two_factor


@pytest.mark.parametrize("next_value", ["abc", "//evil.example/x", "https://evil.example/"])
def test_two_factor_pages_ignore_a_next_that_is_not_a_path_of_ours(client, world, next_value):
    """A hand-made ?next= is dropped, never followed to another site or mistaken for a page name (no 500)."""
    client.force_login(world.therapist_a)
    response = client.get("/accounts/two-factor/", {"next": next_value})
    assert response.status_code in (200, 302)
    assert next_value not in response.get("Location", "")
    setup = client.get("/accounts/two-factor/setup/", {"next": next_value})
    assert setup.status_code == 200 and next_value not in setup.content.decode()
