"""Sign-in hardening (clinic/security.py): lockout, two-factor for staff, session keys and staff session limits."""

from __future__ import annotations

import datetime as dt
import re
import time
from urllib.parse import urlencode

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.tokens import default_token_generator
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic import security, services
from clinic.models import ClinicSettings, Membership
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
PATIENTS = "/patients/"
LOCKED = "Too many failed attempts for this e-mail from this network. Try again in 15 minutes or reset your password."


def sign_in(client, email, password=PASSWORD, ip="10.0.0.1", **extra):
    return client.post(LOGIN, {"username": email, "password": password}, REMOTE_ADDR=ip, **extra)


def signed_in_as(client):
    return client.session.get("_auth_user_id")


def code_for(device) -> str:
    """The authenticator's code for the next time step it will accept (codes are never accepted twice)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if totp.t() <= device.last_t:
        totp.time += device.step * (device.last_t + 1 - totp.t())
    return f"{totp.token():0{device.digits}d}"


def turn_on_two_factor(user):
    """A confirmed authenticator and ten recovery codes, through the real services."""
    pending = security.authenticator_pending(user=user)
    device, codes = security.two_factor_confirm(user=user, code=code_for(pending))
    return device, codes


def unthrottle(device):
    """Forget wrong codes (django-otp makes the next try wait after each), as if time had passed."""
    type(device).objects.filter(pk=device.pk).update(throttling_failure_count=0, throttling_failure_timestamp=None)


def require_two_factor(clinic):
    ClinicSettings.objects.filter(clinic=clinic).update(require_two_factor=True)


def age_session(client, **seconds_ago):
    """Move the session's clocks back: signed_in=..., last_seen=... seconds ago."""
    session = client.session
    now = int(time.time())
    if "signed_in" in seconds_ago:
        session[security.SIGNED_IN_AT] = now - seconds_ago["signed_in"]
    if "last_seen" in seconds_ago:
        session[security.LAST_SEEN] = now - seconds_ago["last_seen"]
    session.save()


# --- Failed sign-ins: django-axes ------------------------------------------------------


def test_fifth_failure_locks_that_email_on_that_network_with_a_clear_429(client, world):
    for _attempt in range(4):
        response = sign_in(client, "therapist@a.test", "wrong-password-123")
        assert response.status_code == 200
        assert "do not match an account" in response.content.decode()
    response = sign_in(client, "therapist@a.test", "wrong-password-123")
    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    assert [t.name for t in response.templates][0] == "registration/login.html"
    body = response.content.decode()
    assert LOCKED in body and 'name="password"' in body and "Forgot your password?" in body
    # Locked means locked: the right password from the same network does not sign in either.
    response = sign_in(client, "therapist@a.test")
    assert response.status_code == 429 and LOCKED in response.content.decode()
    assert signed_in_as(client) is None


def test_the_real_user_on_another_network_is_not_locked_out(client, world):
    for _attempt in range(5):
        sign_in(client, "therapist@a.test", "wrong-password-123", ip="203.0.113.9")
    assert sign_in(Client(), "therapist@a.test", ip="203.0.113.9").status_code == 429
    # The same e-mail from the clinic's network, and another e-mail from the attacker's, still sign in.
    response = sign_in(client, "therapist@a.test", ip="198.51.100.20")
    assert response.status_code == 302 and signed_in_as(client) == str(world.therapist_a.pk)
    other = Client()
    assert sign_in(other, "admin@a.test", ip="203.0.113.9").status_code == 302


def test_changing_the_case_of_the_email_does_not_buy_more_attempts(client, world):
    for email in ("therapist@a.test", "Therapist@a.test", "THERAPIST@A.TEST", " therapist@a.test", "tHerapist@a.test"):
        sign_in(client, email, "wrong-password-123")
    assert sign_in(client, "therapist@a.test").status_code == 429


def test_a_successful_sign_in_forgets_earlier_failures(client, world):
    for _attempt in range(4):
        sign_in(client, "therapist@a.test", "wrong-password-123")
    assert sign_in(client, "therapist@a.test").status_code == 302
    client.post(reverse("logout"))
    for _attempt in range(4):
        assert sign_in(client, "therapist@a.test", "wrong-password-123").status_code == 200
    assert sign_in(client, "therapist@a.test").status_code == 302


def test_the_lock_ends_after_15_minutes(client, world):
    for _attempt in range(5):
        sign_in(client, "therapist@a.test", "wrong-password-123")
    assert sign_in(client, "therapist@a.test").status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=15, seconds=5))
    assert sign_in(client, "therapist@a.test").status_code == 302


def test_resetting_the_password_lifts_the_lock(client, world):
    for _attempt in range(5):
        sign_in(client, "therapist@a.test", "wrong-password-123")
    user = world.therapist_a
    url = reverse("password_reset_confirm", kwargs={
        "uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": default_token_generator.make_token(user)})
    form_url = client.get(url)["Location"]  # Django swaps the token for a session-held one
    new_password = "a-brand-new-long-passphrase-7"
    response = client.post(form_url, {"new_password1": new_password, "new_password2": new_password})
    assert response.status_code == 302
    assert sign_in(client, "therapist@a.test", new_password).status_code == 302


def test_behind_a_trusted_proxy_the_forwarded_address_counts(client, world, settings):
    settings.TRUST_PROXY_HEADERS = True
    proxy = "10.1.1.1"
    for _attempt in range(5):
        sign_in(client, "therapist@a.test", "wrong-password-123", ip=proxy, HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert sign_in(client, "therapist@a.test", ip=proxy, HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 429
    # Another client behind the same proxy is a different address.
    assert sign_in(client, "therapist@a.test", ip=proxy, HTTP_X_FORWARDED_FOR="198.51.100.20").status_code == 302


# --- Session keys and sign-out ---------------------------------------------------------


def test_signing_in_gives_a_new_session_key(client, world):
    session = client.session
    session["seen_the_landing_page"] = True
    session.save()
    before = session.session_key
    assert sign_in(client, "a1@a.test").status_code == 302
    after = client.cookies["sessionid"].value
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()
    assert Session.objects.get(session_key=after).get_decoded()["_auth_user_id"] == str(world.patient_a1.user.pk)


def test_signing_out_ends_the_session_on_the_server(client, world):
    assert sign_in(client, "therapist@a.test").status_code == 302
    old_cookie = client.cookies["sessionid"].value
    assert client.get(PATIENTS).status_code == 200
    assert client.post(reverse("logout")).status_code == 302
    assert not Session.objects.filter(session_key=old_cookie).exists()
    replay = Client()
    replay.cookies["sessionid"] = old_cookie
    response = replay.get(PATIENTS)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_deactivating_a_therapist_signs_them_out_of_an_open_browser(client, world):
    assert sign_in(client, "therapist@a.test").status_code == 302
    assert client.get(PATIENTS).status_code == 200
    services.staff_deactivate(membership=Membership.objects.get(user=world.therapist_a), by=world.admin_a)
    response = client.get(PATIENTS)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert sign_in(Client(), "therapist@a.test", ip="10.9.9.9").status_code == 200  # and cannot sign in again


# --- Staff session limits ---------------------------------------------------------------


def test_staff_session_ends_after_15_minutes_idle(client, world):
    client.force_login(world.therapist_a)
    assert client.get(PATIENTS).status_code == 200
    old_key = client.session.session_key
    age_session(client, signed_in=20 * 60, last_seen=15 * 60 + 5)
    response = client.get(PATIENTS)
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=%2Fpatients%2F"
    assert not Session.objects.filter(session_key=old_key).exists()
    page = client.get(response["Location"]).content.decode()
    assert "You were signed out after 15 minutes without activity" in page


def test_staff_session_ends_12_hours_after_sign_in_even_when_active(client, world):
    client.force_login(world.admin_a)
    age_session(client, signed_in=12 * 3600 + 5, last_seen=30)
    response = client.get(PATIENTS, follow=True)
    assert response.redirect_chain[-1][0].startswith(LOGIN)
    assert "you signed in more than 12 hours ago" in response.content.decode()
    assert signed_in_as(client) is None


def test_activity_keeps_a_staff_session_alive_with_at_most_one_write_a_minute(client, world):
    client.force_login(world.therapist_a)
    age_session(client, signed_in=3600, last_seen=30)
    seen = client.session[security.LAST_SEEN]
    assert client.get(PATIENTS).status_code == 200
    assert client.session[security.LAST_SEEN] == seen  # under a minute: not written again
    age_session(client, last_seen=14 * 60)
    assert client.get(PATIENTS).status_code == 200
    assert abs(client.session[security.LAST_SEEN] - time.time()) < 5
    # 14 more idle minutes from the refreshed time are still fine.
    age_session(client, last_seen=14 * 60)
    assert client.get(PATIENTS).status_code == 200


def test_an_idle_staff_session_gets_401_from_the_api(client, world):
    client.force_login(world.therapist_a)
    assert client.get("/api/v1/patients/").status_code == 200
    age_session(client, last_seen=16 * 60)
    assert client.get("/api/v1/patients/").status_code == 401


def test_patients_keep_their_session_for_30_days(client, world):
    assert sign_in(client, "a1@a.test").status_code == 302
    assert client.session.get_expiry_age() == 30 * 24 * 3600
    age_session(client, signed_in=3 * 24 * 3600, last_seen=2 * 24 * 3600)
    assert client.get("/today/").status_code == 200


def test_sign_in_starts_the_clocks(client, world):
    before = int(time.time())
    sign_in(client, "therapist@a.test")
    assert client.session[security.SIGNED_IN_AT] >= before
    assert client.session[security.LAST_SEEN] >= before


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


# --- Django's admin: site administrators ------------------------------------------------------------------

ADMIN = "/admin/"
ADMIN_PATIENTS = "/admin/patients/patient/"
ADMIN_LOGIN = "/admin/login/"


@pytest.fixture
def site_admin(db):
    """A superuser with no clinic: Django's admin shows every clinic's patients."""
    from tests.factories import UserFactory

    return UserFactory(email="root@backstep.test", is_staff=True, is_superuser=True)


def admin_model_pages(world) -> list[str]:
    return [ADMIN, ADMIN_PATIENTS, f"{ADMIN_PATIENTS}{world.patient_b1.pk}/change/", "/admin/patients/sessionlog/",
            "/admin/clinic/user/", "/admin/clinic/auditevent/", "/admin/password_change/"]


def test_in_production_a_superuser_with_a_password_only_is_sent_to_set_up_from_every_admin_page(
        client, world, site_admin, settings):
    settings.PRODUCTION = True
    client.force_login(site_admin)
    for url in admin_model_pages(world):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == "/accounts/two-factor/setup/?" + urlencode({"next": url})
    # Nor through the API, nor by writing: the admin's forms are held the same way.
    assert client.get("/api/v1/patients/").status_code == 403
    response = client.post(f"{ADMIN_PATIENTS}{world.patient_b1.pk}/change/", {"first_name": "Changed"})
    assert response.status_code == 302 and response["Location"] == "/accounts/two-factor/setup/"
    world.patient_b1.refresh_from_db()
    assert world.patient_b1.first_name == "Bea"


def test_a_site_admin_sets_up_two_factor_and_then_reaches_the_admin(client, world, site_admin, settings):
    settings.PRODUCTION = True
    client.force_login(site_admin)
    setup = client.get(client.get(ADMIN_PATIENTS)["Location"])
    assert setup.status_code == 200 and "Set up two-factor sign-in" in setup.content.decode()
    device = TOTPDevice.objects.get(user=site_admin, confirmed=False)
    response = client.post("/accounts/two-factor/setup/", {"code": code_for(device), "next": ADMIN_PATIENTS})
    assert response.status_code == 200 and "Save these codes now" in response.content.decode()
    page = client.get(ADMIN_PATIENTS)
    assert page.status_code == 200 and "Brook" in page.content.decode()
    # The admin links to the account's security page, where recovery codes are renewed; it stays on there.
    assert f'href="{reverse("account-security")}"' in page.content.decode()
    account = client.get(reverse("account-security")).content.decode()
    assert "Required for site administrators." in account and "Turn off two-factor sign-in" not in account
    response = client.post(reverse("two-factor-off"), {"off-code": code_for(device)}, follow=True)
    assert "Site administrators must use two-factor sign-in" in response.content.decode()
    assert TOTPDevice.objects.filter(user=site_admin, confirmed=True).exists()


def test_a_superuser_signing_in_at_the_admin_login_with_the_right_password_still_gives_a_code(
        client, world, site_admin, settings):
    settings.PRODUCTION = True
    device, _codes = turn_on_two_factor(site_admin)
    page = client.get(ADMIN_LOGIN + "?next=/admin/")
    assert page.status_code == 200
    assert [t.name for t in page.templates][0] == "registration/login.html"  # Backstep's sign-in, not the admin's
    response = client.post(ADMIN_LOGIN + "?next=/admin/", {"username": "root@backstep.test", "password": PASSWORD,
                                                          "next": ADMIN})
    assert response.status_code == 302 and signed_in_as(client) == str(site_admin.pk)
    for url in (response["Location"], *admin_model_pages(world)):
        held = client.get(url)
        assert held.status_code == 302 and held["Location"].startswith("/accounts/two-factor/?next="), url
    # The admin's own login page does not let a signed-in, unverified superuser through either.
    assert client.get(ADMIN_LOGIN)["Location"].startswith("/accounts/two-factor/?next=")
    response = client.post("/accounts/two-factor/", {"code": code_for(device), "next": ADMIN_PATIENTS})
    assert response.status_code == 302 and response["Location"] == ADMIN_PATIENTS
    assert client.get(ADMIN_PATIENTS).status_code == 200
    assert client.get(ADMIN_LOGIN)["Location"] == ADMIN  # signed in and verified: on to the admin


def test_staff_flag_alone_is_enough_to_be_asked_in_production(client, world, settings):
    from tests.factories import UserFactory

    settings.PRODUCTION = True
    helper = UserFactory(email="helpdesk@backstep.test", is_staff=True)
    client.force_login(helper)
    assert client.get(ADMIN)["Location"] == "/accounts/two-factor/setup/?next=%2Fadmin%2F"


def test_in_development_the_site_setting_requires_it_for_the_admin(client, world, site_admin, settings):
    settings.ADMIN_REQUIRE_TWO_FACTOR = True
    client.force_login(site_admin)
    for url in admin_model_pages(world):
        assert client.get(url)["Location"] == "/accounts/two-factor/setup/?" + urlencode({"next": url})
    # Clinic staff without the admin are not affected by the site setting.
    staff = Client()
    staff.force_login(world.therapist_a)
    assert staff.get(PATIENTS).status_code == 200


def test_in_development_without_the_site_setting_the_admin_opens_with_a_password(client, world, site_admin):
    client.force_login(site_admin)
    for url in admin_model_pages(world):
        assert client.get(url).status_code == 200, url


def test_a_site_admin_is_asked_when_any_clinic_they_belong_to_requires_it(client, world, site_admin):
    from tests.factories import MembershipFactory

    MembershipFactory(user=site_admin, clinic=world.clinic_b)  # their first clinic does not require it
    MembershipFactory(user=site_admin, clinic=world.clinic_a)
    require_two_factor(world.clinic_a)
    client.force_login(site_admin)
    assert client.get(ADMIN)["Location"] == "/accounts/two-factor/setup/?next=%2Fadmin%2F"


def test_the_admin_login_is_under_the_same_lockout(client, world, site_admin):
    for _attempt in range(4):
        response = client.post(ADMIN_LOGIN, {"username": "root@backstep.test", "password": "wrong-password-123"},
                               REMOTE_ADDR="10.0.0.1")
        assert response.status_code == 200
    response = client.post(ADMIN_LOGIN, {"username": "root@backstep.test", "password": "wrong-password-123"},
                           REMOTE_ADDR="10.0.0.1")
    assert response.status_code == 429 and LOCKED in response.content.decode()
    response = client.post(ADMIN_LOGIN, {"username": "root@backstep.test", "password": PASSWORD},
                           REMOTE_ADDR="10.0.0.1")
    assert response.status_code == 429 and signed_in_as(client) is None
    # One count for both doors: the main sign-in is locked for that pair too.
    assert sign_in(client, "root@backstep.test").status_code == 429


def test_clinic_users_at_the_admin_login_are_refused_not_looped(client, world):
    client.force_login(world.therapist_a)
    response = client.get(ADMIN)
    assert response.status_code == 302 and response["Location"].startswith(ADMIN_LOGIN)
    response = client.get(response["Location"])
    assert response.status_code == 403
    assert "cannot open the site administration" in response.content.decode()
