"""Issue 21: the caller's role, clinic and two-factor facts are resolved once and cached (clinic.tenancy.cached_actor),
and every change to them is seen on the very next request (clinic.tenancy.access_changed)."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic import tenancy
from clinic.models import ClinicSettings, Membership, User
from clinic.tests.security.support import PATIENTS
from patients.services import clinic_today
from tests.support import code_for, turn_on_two_factor

pytestmark = pytest.mark.django_db

STAFF_PAGE = "/clinic/staff/"  # clinic admins only
SETUP = "/accounts/two-factor/setup/"
VERIFY = "/accounts/two-factor/"


def _sql(captured) -> str:
    return "\n".join(query["sql"] for query in captured.captured_queries)


def _session_form(world) -> dict:
    walk = world.assignment_a1.exercises.get(order=0, phase__order=0)
    return {"exercise": walk.pk, "date": clinic_today(world.clinic_a).isoformat(), "completed": "yes",
            "duration_min": "10", "speed_kmh": "2.5", "incline_pct": "0", "pain_during": "2", "pain_after": "1",
            "rpe": "5", "notes": "", "client_uuid": str(uuid.uuid4())}


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- What a request costs -------------------------------------------------------------------------------------


def test_a_logged_session_reads_the_caller_from_the_cache(world, django_assert_max_num_queries):
    client = _signed_in(world.patient_a1.user)
    first = client.post("/log/", _session_form(world), HTTP_ACCEPT="application/json")
    assert first.status_code == 201
    # Session, user; the plan's exercises, the idempotency check, the step in force, the insert (in a savepoint)
    # and the audit event. No membership, patient record, clinic or latest pain: those come from the cache.
    form = _session_form(world)
    with django_assert_max_num_queries(11) as captured:
        response = client.post("/log/", form, HTTP_ACCEPT="application/json")
    assert response.status_code == 201
    sql = _sql(captured)
    assert 'FROM "clinic_membership"' not in sql and 'FROM "patients_patient"' not in sql
    assert sql.count('INSERT INTO "clinic_auditevent"') == 1 and "clinic_auditeventpatient" not in sql


def test_a_staff_page_reads_the_caller_and_two_factor_from_the_cache(world, django_assert_max_num_queries):
    device, _codes = turn_on_two_factor(world.therapist_a)
    client = _signed_in(world.therapist_a)
    client.post(VERIFY, {"code": code_for(device)})
    assert client.get(PATIENTS).status_code == 200
    with django_assert_max_num_queries(12) as captured:
        assert client.get(PATIENTS).status_code == 200
    sql = _sql(captured)
    assert 'FROM "clinic_membership"' not in sql and "otp_totp" not in sql and "otp_static" not in sql
    assert "clinic_clinicsettings" not in sql


def test_the_red_session_notice_still_reads_the_latest_pain(world):
    client = _signed_in(world.patient_a1.user)
    assert "bs-red-notice" not in client.get("/today/").content.decode()
    client.post("/log/", {**_session_form(world), "pain_during": "9"}, HTTP_ACCEPT="application/json")
    # The caller comes from the cache, the latest pain from the database: the notice shows, then goes.
    assert "bs-red-notice" in client.get("/today/").content.decode()
    client.post("/log/", {**_session_form(world), "pain_during": "1"}, HTTP_ACCEPT="application/json")
    assert "bs-red-notice" not in client.get("/today/").content.decode()


# --- Every change is seen on the next request ----------------------------------------------------------------


def test_an_admin_demoted_to_therapist_is_refused_on_the_next_request(world):
    client = _signed_in(world.admin_a)
    assert client.get(STAFF_PAGE).status_code == 200
    membership = Membership.objects.get(user=world.admin_a)
    membership.role = Membership.Role.THERAPIST
    membership.save()
    assert client.get(STAFF_PAGE).status_code == 403


def test_a_therapist_promoted_to_admin_is_let_in_on_the_next_request(world):
    client = _signed_in(world.therapist_a)
    assert client.get(STAFF_PAGE).status_code == 403
    membership = Membership.objects.get(user=world.therapist_a)
    membership.role = Membership.Role.ADMIN
    membership.save()
    assert client.get(STAFF_PAGE).status_code == 200


def test_a_removed_membership_is_refused_on_the_next_request(world):
    client = _signed_in(world.therapist_a)
    assert client.get(PATIENTS).status_code == 200
    Membership.objects.filter(user=world.therapist_a).delete()  # a queryset delete sends each row's signal
    assert client.get(PATIENTS).status_code == 403


def test_a_deactivated_therapist_is_refused_on_the_next_request(world):
    client = _signed_in(world.therapist_a)
    assert client.get(PATIENTS).status_code == 200
    from clinic.services import staff_deactivate

    staff_deactivate(membership=Membership.objects.get(user=world.therapist_a), by=world.admin_a)
    response = client.get(PATIENTS)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_deactivated_clinic_is_refused_on_the_next_request(world):
    client = _signed_in(world.therapist_a)
    patient = _signed_in(world.patient_a1.user)
    assert client.get(PATIENTS).status_code == 200
    assert patient.get("/today/").status_code == 200
    world.clinic_a.is_active = False
    world.clinic_a.save()
    assert client.get(PATIENTS).status_code == 403
    assert patient.get("/today/").status_code == 403


def test_a_patient_record_removed_is_refused_on_the_next_request(world):
    client = _signed_in(world.patient_a1.user)
    assert client.get("/today/").status_code == 200
    world.patient_a1.user = None
    world.patient_a1.save()
    assert client.get("/today/").status_code == 403


def test_a_removed_authenticator_triggers_the_two_factor_check_on_the_next_request(world):
    device, _codes = turn_on_two_factor(world.therapist_a)
    settings_row = ClinicSettings.objects.get(clinic=world.clinic_a)
    settings_row.require_two_factor = True
    settings_row.save()
    client = _signed_in(world.therapist_a)
    assert client.get(PATIENTS)["Location"].startswith(VERIFY + "?")
    client.post(VERIFY, {"code": code_for(device)})
    assert client.get(PATIENTS).status_code == 200
    TOTPDevice.objects.filter(user=world.therapist_a).delete()
    StaticDevice.objects.filter(user=world.therapist_a).delete()
    assert client.get(PATIENTS)["Location"].startswith(SETUP)


def test_an_authenticator_added_elsewhere_is_asked_for_on_the_next_request(world):
    client = _signed_in(world.therapist_a)
    assert client.get(PATIENTS).status_code == 200
    turn_on_two_factor(world.therapist_a)  # confirmed from another session
    assert client.get(PATIENTS)["Location"].startswith(VERIFY + "?")


def test_a_clinic_starting_to_require_two_factor_is_seen_on_the_next_request(world):
    client = _signed_in(world.therapist_a)
    assert client.get(PATIENTS).status_code == 200
    settings_row = ClinicSettings.objects.get(clinic=world.clinic_a)
    settings_row.require_two_factor = True
    settings_row.save()
    assert client.get(PATIENTS)["Location"].startswith(SETUP)


def test_a_password_change_and_a_sign_out_drop_the_cached_state(world):
    client = _signed_in(world.therapist_a)
    assert client.get(PATIENTS).status_code == 200
    user = User.objects.get(pk=world.therapist_a.pk)
    before = user.access_version
    user.set_password("a new and long passphrase")
    user.save()
    assert User.objects.get(pk=user.pk).access_version > before
    response = client.get(PATIENTS)  # Django's session hash check signs the old session out
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    other = _signed_in(world.therapist_b)
    before = User.objects.get(pk=world.therapist_b.pk).access_version
    other.post(reverse("logout"))
    assert User.objects.get(pk=world.therapist_b.pk).access_version > before


def test_a_full_save_of_an_older_user_object_never_restores_the_older_version(world):
    stale = User.objects.get(pk=world.therapist_a.pk)
    Membership.objects.get(user=world.therapist_a).save()  # raises the version
    raised = User.objects.get(pk=world.therapist_a.pk).access_version
    stale.first_name = "Renamed"
    stale.save()
    # Its own change raised it once more; the older value it held was not written back.
    assert User.objects.get(pk=world.therapist_a.pk).access_version == raised + 1


def test_a_change_rolled_back_leaves_the_version(world):
    from django.db import transaction

    before = User.objects.get(pk=world.therapist_a.pk).access_version
    with pytest.raises(RuntimeError), transaction.atomic():
        Membership.objects.get(user=world.therapist_a).save()
        raise RuntimeError
    assert User.objects.get(pk=world.therapist_a.pk).access_version == before


def test_the_cache_is_keyed_by_the_version_and_the_account(world):
    user = User.objects.get(pk=world.therapist_a.pk)
    key = tenancy.access_cache_key(user)
    tenancy.access_changed(user_ids=[user.pk])
    assert tenancy.access_cache_key(User.objects.get(pk=user.pk)) != key
    actor = tenancy.cached_actor(User.objects.get(pk=user.pk))
    again = tenancy.cached_actor(User.objects.get(pk=user.pk))
    assert actor.membership == again.membership and again.is_therapist and again.two_factor is not None
    inactive = User.objects.get(pk=user.pk)
    inactive.is_active = False
    assert tenancy.cached_actor(inactive) is tenancy.ANONYMOUS


def test_a_reactivated_therapist_signs_in_again_with_their_role(world):
    from clinic.services import staff_deactivate, staff_reactivate

    client = _signed_in(world.therapist_a)
    assert client.get(PATIENTS).status_code == 200  # cached as a therapist
    membership = Membership.objects.get(user=world.therapist_a)
    before = User.objects.get(pk=world.therapist_a.pk).access_version
    staff_deactivate(membership=membership, by=world.admin_a)
    staff_reactivate(membership=membership, by=world.admin_a)
    assert User.objects.get(pk=world.therapist_a.pk).access_version >= before + 2
    again = _signed_in(User.objects.get(pk=world.therapist_a.pk))
    assert again.get(PATIENTS).status_code == 200
    assert again.get(STAFF_PAGE).status_code == 403  # the role they had, not more


def test_a_clinic_default_language_change_is_seen_on_the_next_request(world):
    client = _signed_in(world.therapist_a)
    settings_row = ClinicSettings.objects.get(clinic=world.clinic_a)
    assert world.therapist_a.language == "" and settings_row.default_language != "de"
    assert client.get(PATIENTS)["Content-Language"] != "de"
    settings_row.default_language = "de"
    settings_row.save()
    assert client.get(PATIENTS)["Content-Language"] == "de"


def test_a_clinic_contact_change_reaches_the_patients_next_page(world):
    client = _signed_in(world.patient_a1.user)
    assert "+44 20 7946 0999" not in client.get("/today/").content.decode()
    settings_row = ClinicSettings.objects.get(clinic=world.clinic_a)
    settings_row.contact_phone = "+44 20 7946 0999"
    settings_row.save()
    assert "+44 20 7946 0999" in client.get("/today/").content.decode()
