"""Clinic administration pages: staff, clinic settings and API keys, for clinic admins only."""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clinic.models import ApiKey, ClinicSettings, Membership, User
from clinic.services import api_key_authenticate, api_key_create, staff_invite
from tests.factories import MembershipFactory

# Staff e-mails are sent by a task after commit: run it in-process here, even where CI sets REDIS_URL.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


@pytest.fixture
def admin_b(world):
    return MembershipFactory(clinic=world.clinic_b, role=Membership.Role.ADMIN, user__email="admin@b.test").user


@pytest.fixture
def therapist_a_membership(world):
    return Membership.objects.get(user=world.therapist_a, clinic=world.clinic_a)


def admin_urls(world):
    """Every clinic-admin URL, with row ids from clinic A."""
    member = Membership.objects.get(user=world.therapist_a).pk
    key = api_key_create(clinic=world.clinic_a, name="EHR")[0].pk
    return [
        ("get", reverse("clinic-admin:staff")),
        ("get", reverse("clinic-admin:staff-invite")),
        ("post", reverse("clinic-admin:staff-resend", args=[member])),
        ("get", reverse("clinic-admin:staff-deactivate", args=[member])),
        ("post", reverse("clinic-admin:staff-deactivate", args=[member])),
        ("get", reverse("clinic-admin:staff-reactivate", args=[member])),
        ("get", reverse("clinic-admin:settings")),
        ("post", reverse("clinic-admin:settings")),
        ("get", reverse("clinic-admin:api-keys")),
        ("get", reverse("clinic-admin:api-key-create")),
        ("post", reverse("clinic-admin:api-key-create")),
        ("get", reverse("clinic-admin:api-key-revoke", args=[key])),
        ("post", reverse("clinic-admin:api-key-revoke", args=[key])),
    ]


# --- Who may open the pages ---------------------------------------------------------


def test_urls_live_under_clinic_not_djangos_admin():
    assert reverse("clinic-admin:staff") == "/clinic/staff/"
    assert reverse("clinic-admin:settings") == "/clinic/settings/"
    assert reverse("clinic-admin:api-keys") == "/clinic/api-keys/"


def test_anonymous_is_sent_to_sign_in(client, world):
    for method, url in admin_urls(world):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login")), url


@pytest.mark.parametrize("who", ["therapist_a", "patient"])
def test_therapists_and_patients_get_403_and_change_nothing(client, world, who):
    client.force_login(world.therapist_a if who == "therapist_a" else world.patient_a1.user)
    for method, url in admin_urls(world):
        assert getattr(client, method)(url, {"name": "x", "green_max": "1"}).status_code == 403, url
    world.therapist_a.refresh_from_db()
    assert world.therapist_a.is_active
    assert not ApiKey.objects.filter(revoked_at__isnull=False).exists()
    assert ApiKey.objects.filter(name="x").count() == 0
    assert ClinicSettings.objects.get(clinic=world.clinic_a).engine_overrides == {}


def test_deactivated_admin_is_signed_out(client, world):
    client.force_login(world.admin_a)
    User.objects.filter(pk=world.admin_a.pk).update(is_active=False)
    assert client.get(reverse("clinic-admin:staff")).status_code == 302


def test_other_clinics_admin_gets_404_on_clinic_a_rows(client, world, admin_b, therapist_a_membership):
    key, raw = api_key_create(clinic=world.clinic_a, name="A's EHR")
    client.force_login(admin_b)
    member = therapist_a_membership.pk
    for method, url in [
        ("get", reverse("clinic-admin:staff-deactivate", args=[member])),
        ("post", reverse("clinic-admin:staff-deactivate", args=[member])),
        ("get", reverse("clinic-admin:staff-reactivate", args=[member])),
        ("post", reverse("clinic-admin:staff-reactivate", args=[member])),
        ("post", reverse("clinic-admin:staff-resend", args=[member])),
        ("get", reverse("clinic-admin:api-key-revoke", args=[key.pk])),
        ("post", reverse("clinic-admin:api-key-revoke", args=[key.pk])),
    ]:
        assert getattr(client, method)(url).status_code == 404, (method, url)
    world.therapist_a.refresh_from_db()
    assert world.therapist_a.is_active
    assert api_key_authenticate(raw) is not None
    # Nor do clinic A's rows show in clinic B's lists.
    staff = client.get(reverse("clinic-admin:staff")).content.decode()
    assert "therapist@b.test" in staff and "therapist@a.test" not in staff and "admin@a.test" not in staff
    keys = client.get(reverse("clinic-admin:api-keys")).content.decode()
    assert "A&#x27;s EHR" not in keys and key.prefix not in keys


# --- Staff -----------------------------------------------------------------------------


def test_staff_list_shows_the_clinics_staff(client, world):
    client.force_login(world.admin_a)
    response = client.get(reverse("clinic-admin:staff"))
    body = response.content.decode()
    assert response.status_code == 200
    for text in ("admin@a.test", "therapist@a.test", "Clinic admin", "Therapist", "Active", "Never"):
        assert text in body
    # No deactivate button for yourself.
    own = Membership.objects.get(user=world.admin_a)
    assert reverse("clinic-admin:staff-deactivate", args=[own.pk]) not in body


def test_invite_sends_email_and_shows_the_link_once_uncached(client, world, django_capture_on_commit_callbacks):
    client.force_login(world.admin_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("clinic-admin:staff-invite"),
                               {"email": "new@a.test", "first_name": "Nia", "last_name": "Novak",
                                "role": "therapist"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    member = Membership.objects.get(user__email="new@a.test", clinic=world.clinic_a)
    assert member.role == "therapist"
    body = response.content.decode()
    assert "/accounts/reset/" in body
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["new@a.test"]
    link = next(line for line in mail.outbox[0].body.splitlines() if "/accounts/reset/" in line)
    assert link in body
    # The link never went into the session or a message.
    assert link not in str(dict(client.session))
    listing = client.get(reverse("clinic-admin:staff")).content.decode()
    assert "new@a.test" in listing and "Invited" in listing and link not in listing


def test_invite_form_errors(client, world):
    client.force_login(world.admin_a)
    url = reverse("clinic-admin:staff-invite")
    response = client.post(url, {"email": "not-an-address", "first_name": "", "role": "therapist"})
    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"email", "first_name"}
    response = client.post(url, {"email": "therapist@a.test", "first_name": "T", "role": "therapist"})
    assert "already on this clinic&#x27;s staff list" in response.content.decode()
    response = client.post(url, {"email": "x@a.test", "first_name": "X", "role": "owner"})
    assert "role" in response.context["form"].errors
    assert not User.objects.filter(email="x@a.test").exists()


def test_resend_shows_a_new_link(client, world, django_capture_on_commit_callbacks):
    invitation = staff_invite(clinic=world.clinic_a, email="new@a.test", first_name="N")
    client.force_login(world.admin_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("clinic-admin:staff-resend", args=[invitation.membership.pk]))
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert "New link sent" in response.content.decode()
    assert mail.outbox[-1].to == ["new@a.test"]


def test_deactivate_asks_first_then_signs_them_out(client, world, therapist_a_membership):
    from django.test import Client

    their_browser = Client()
    their_browser.force_login(world.therapist_a)
    assert their_browser.get(reverse("patients:list")).status_code == 200

    client.force_login(world.admin_a)
    url = reverse("clinic-admin:staff-deactivate", args=[therapist_a_membership.pk])
    confirm = client.get(url)
    assert confirm.status_code == 200
    body = confirm.content.decode()
    assert "Deactivate" in body and "2 patients have them as therapist" in body
    world.therapist_a.refresh_from_db()
    assert world.therapist_a.is_active  # the GET changed nothing

    response = client.post(url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("clinic-admin:staff")
    assert "signed out everywhere" in response.content.decode()
    world.therapist_a.refresh_from_db()
    assert not world.therapist_a.is_active
    assert their_browser.get(reverse("patients:list")).status_code == 302

    reactivate = reverse("clinic-admin:staff-reactivate", args=[therapist_a_membership.pk])
    assert "Reactivate" in client.get(reactivate).content.decode()
    client.post(reactivate)
    world.therapist_a.refresh_from_db()
    assert world.therapist_a.is_active


def test_admin_cannot_deactivate_themselves_through_the_page(client, world):
    own = Membership.objects.get(user=world.admin_a)
    MembershipFactory(clinic=world.clinic_a, role=Membership.Role.ADMIN)
    client.force_login(world.admin_a)
    url = reverse("clinic-admin:staff-deactivate", args=[own.pk])
    assert "cannot deactivate your own account" in client.get(url).content.decode()
    response = client.post(url, follow=True)
    assert "cannot deactivate your own account" in response.content.decode()
    world.admin_a.refresh_from_db()
    assert world.admin_a.is_active


def test_staff_list_query_count_does_not_grow_with_staff(client, world, django_assert_max_num_queries):
    client.force_login(world.admin_a)
    url = reverse("clinic-admin:staff")
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(15):
        MembershipFactory(clinic=world.clinic_a)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.content.decode().count('<th scope="row">') == 17


# --- Clinic settings ---------------------------------------------------------------------


def settings_data(**values):
    data = {name: "" for name in ClinicSettings.ENGINE_SETTING_NAMES}
    data.update({name: str(value) for name, value in values.items()})
    return data


def test_settings_page_shows_defaults_as_help(client, world):
    client.force_login(world.admin_a)
    body = client.get(reverse("clinic-admin:settings")).content.decode()
    assert "Default: 3. Leave empty to use the default." in body
    assert "Default: 0.6." in body and "Default: 5.8." in body
    assert "Apply progressions automatically" in body and "form-switch" in body
    assert "Never changed" in body


def test_settings_save_only_the_overrides_and_record_who(client, world):
    client.force_login(world.admin_a)
    url = reverse("clinic-admin:settings")
    data = settings_data(green_max=2, adherence_min_fraction="0.75")
    data["auto_apply_progressions"] = "on"
    response = client.post(url, data, follow=True)
    body = response.content.decode()
    assert "Clinic settings saved" in body
    row = ClinicSettings.objects.get(clinic=world.clinic_a)
    assert row.engine_overrides == {"green_max": 2, "adherence_min_fraction": 0.75}
    assert row.auto_apply_progressions is True
    assert row.updated_by == world.admin_a
    assert "Last changed on" in body and str(world.admin_a) in body
    # The same values again: nothing to save, nothing recorded.
    response = client.post(url, data, follow=True)
    assert "Nothing to save" in response.content.decode()


def test_settings_engine_validation_shows_beside_the_field(client, world):
    client.force_login(world.admin_a)
    response = client.post(reverse("clinic-admin:settings"), settings_data(green_max=6))
    assert response.status_code == 200
    assert response.context["form"].errors == {"green_max": ["green_max must not be above red_above."]}
    assert "green_max must not be above red_above." in response.content.decode()
    assert ClinicSettings.objects.get(clinic=world.clinic_a).engine_overrides == {}


@pytest.mark.parametrize(
    ("values", "field"),
    [({"green_max": "2.5"}, "green_max"), ({"trend_points": "lots"}, "trend_points"),
     ({"running_speed_kmh": "-1"}, "running_speed_kmh"), ({"red_above": "12"}, "red_above"),
     ({"adherence_min_fraction": "2"}, "adherence_min_fraction")],
)
def test_settings_bad_values_get_a_field_error_not_a_500(client, world, values, field):
    client.force_login(world.admin_a)
    response = client.post(reverse("clinic-admin:settings"), settings_data(**values))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert ClinicSettings.objects.get(clinic=world.clinic_a).engine_overrides == {}


# --- API keys -------------------------------------------------------------------------------


def test_api_key_is_shown_once_uncached_and_works(client, world):
    client.force_login(world.admin_a)
    response = client.post(reverse("clinic-admin:api-key-create"), {"name": "EHR sync", "expires_days": "30"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    raw = response.context["raw"]
    body = response.content.decode()
    assert raw in body and "will not be shown again" in body
    key = api_key_authenticate(raw)
    assert key is not None and key.clinic == world.clinic_a and key.created_by == world.admin_a
    assert raw not in str(dict(client.session))
    listing = client.get(reverse("clinic-admin:api-keys")).content.decode()
    assert "EHR sync" in listing and key.prefix in listing and raw not in listing and "Active" in listing


@pytest.mark.parametrize("expires", ["0", "-3", "100000", "soon"])
def test_api_key_bad_expiry_is_a_form_error(client, world, expires):
    client.force_login(world.admin_a)
    response = client.post(reverse("clinic-admin:api-key-create"), {"name": "EHR", "expires_days": expires})
    assert response.status_code == 200
    assert "expires_days" in response.context["form"].errors
    assert not ApiKey.objects.exists()


def test_api_key_revoke_asks_first(client, world):
    key, raw = api_key_create(clinic=world.clinic_a, name="EHR")
    client.force_login(world.admin_a)
    url = reverse("clinic-admin:api-key-revoke", args=[key.pk])
    assert "Revoke “EHR”?" in client.get(url).content.decode()
    assert api_key_authenticate(raw) is not None
    response = client.post(url, follow=True)
    assert "is revoked" in response.content.decode()
    assert api_key_authenticate(raw) is None
    assert "Revoked" in response.content.decode()
    assert "already revoked" in client.post(url, follow=True).content.decode()


def test_api_key_list_query_count_does_not_grow_with_keys(client, world, django_assert_max_num_queries):
    client.force_login(world.admin_a)
    url = reverse("clinic-admin:api-keys")
    api_key_create(clinic=world.clinic_a, name="first", created_by=world.admin_a)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(15):
        extra = MembershipFactory(clinic=world.clinic_a, role=Membership.Role.ADMIN).user
        api_key_create(clinic=world.clinic_a, name=f"key {n}", created_by=extra, expires_days=n + 1)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.content.decode().count('<th scope="row"') == 16


def test_empty_api_key_list_says_what_to_do(client, world):
    client.force_login(world.admin_a)
    body = client.get(reverse("clinic-admin:api-keys")).content.decode()
    assert "No API keys yet" in body and reverse("clinic-admin:api-key-create") in body
