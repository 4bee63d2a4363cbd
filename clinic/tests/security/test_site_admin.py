"""Django's admin (clinic.admin_site): site administrators sign in and give a code like staff."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.tests.security.support import (
    LOCKED,
    PATIENTS,
    require_two_factor,
    sign_in,
    signed_in_as,
)
from tests.factories import PASSWORD, UserFactory
from tests.support import code_for, turn_on_two_factor

pytestmark = pytest.mark.django_db


# --- Django's admin: site administrators ------------------------------------------------------------------

ADMIN = "/admin/"
ADMIN_PATIENTS = "/admin/patients/patient/"
ADMIN_LOGIN = "/admin/login/"


@pytest.fixture
def site_admin(db):
    """A superuser with no clinic: Django's admin shows every clinic's patients."""
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
