"""Clinic administration services: staff invitations, deactivation, clinic settings, API keys."""

import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.tokens import default_token_generator
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from clinic import selectors, services
from clinic.forms import ENGINE_SETTING_TEXT
from clinic.models import ApiKey, ClinicSettings, Membership, Notification, User
from clinic.tenancy import resolve_actor
from patients.models import Patient
from protocols.engine import DEFAULT_SETTINGS
from tests.factories import MembershipFactory, UserFactory

# Staff e-mails are sent by a task after commit: run it in-process here, even where CI sets REDIS_URL.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


def signed_in_session(user) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session.create()
    return session.session_key


# --- Invitations -------------------------------------------------------------


def test_invite_new_person_creates_account_without_password_and_emails_a_working_link(
    world, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.staff_invite(
            clinic=world.clinic_a, email="  New.Person@A.test ", first_name="Nia", last_name="Novak",
            invited_by=world.admin_a,
        )
    user = invitation.membership.user
    assert invitation.created_user
    assert user.email == "new.person@a.test" and user.get_full_name() == "Nia Novak"
    assert not user.has_usable_password() and user.is_active
    assert invitation.membership.clinic == world.clinic_a
    assert invitation.membership.role == Membership.Role.THERAPIST
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new.person@a.test"]
    assert "Clinic A" in message.subject
    assert invitation.link in message.body
    # The link is Django's own password-set page, and it works.
    path = invitation.link.split("://", 1)[1].split("/", 1)[1]
    response = client.get("/" + path, follow=True)
    assert response.status_code == 200
    assert b"Choose a new password" in response.content


def test_invite_link_stops_working_once_a_password_is_chosen(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.staff_invite(clinic=world.clinic_a, email="n@a.test", first_name="N")
    user = invitation.membership.user
    token = invitation.link.rstrip("/").rsplit("/", 1)[1]
    assert default_token_generator.check_token(user, token)
    user.set_password("a-brand-new-password-1")
    user.save()
    assert not default_token_generator.check_token(user, token)


def test_invite_as_admin(world):
    invitation = services.staff_invite(
        clinic=world.clinic_a, email="boss@a.test", first_name="B", role=Membership.Role.ADMIN
    )
    assert invitation.membership.is_admin
    assert resolve_actor(invitation.membership.user).is_clinic_admin


def join_token(message) -> str:
    return re.search(r"/staff/join/([^/\s]+)/", message.body).group(1)


def test_invite_existing_account_without_a_role_sends_a_join_link_and_never_a_password_link(
    world, django_capture_on_commit_callbacks
):
    existing = UserFactory(email="drifter@example.test")
    hash_before = existing.password
    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.staff_invite(clinic=world.clinic_a, email="Drifter@Example.test", first_name="X")
    assert not invitation.created_user
    # Nothing is attached until its owner accepts, signed in as that account.
    assert invitation.membership is None and not Membership.objects.filter(user=existing).exists()
    # Their password stays theirs: the admin gets no link that could replace it.
    assert invitation.link is None
    existing.refresh_from_db()
    assert existing.has_usable_password() and existing.password == hash_before
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["drifter@example.test"]
    assert "/staff/join/" in mail.outbox[0].body
    assert "password_reset_confirm" not in mail.outbox[0].body and "/accounts/reset/" not in mail.outbox[0].body
    assert User.objects.filter(email__iexact="drifter@example.test").count() == 1
    membership = services.staff_join(token=join_token(mail.outbox[0]), user=existing)
    assert (membership.clinic, membership.user, membership.role) == (world.clinic_a, existing, "therapist")
    existing.refresh_from_db()
    assert existing.password == hash_before
    # Joining twice is harmless.
    assert services.staff_join(token=join_token(mail.outbox[0]), user=existing) == membership


def test_a_join_link_works_only_for_its_own_account_and_not_after_it_expires(world, settings,
                                                                           django_capture_on_commit_callbacks):
    existing = UserFactory(email="drifter@example.test")
    with django_capture_on_commit_callbacks(execute=True):
        services.staff_invite(clinic=world.clinic_a, email="drifter@example.test")
    token = join_token(mail.outbox[0])
    with pytest.raises(ValidationError):
        services.staff_join(token=token, user=world.therapist_b)
    with pytest.raises(services.StaffJoinInvalid):
        services.staff_join(token=token[:-2] + "xx", user=existing)
    settings.PASSWORD_RESET_TIMEOUT = -1
    with pytest.raises(services.StaffJoinInvalid):
        services.staff_join(token=token, user=existing)
    assert not Membership.objects.filter(user__in=[existing, world.therapist_b], clinic=world.clinic_a).exists()


def test_invite_existing_account_without_a_password_gets_a_link(world):
    existing = services.user_create(email="half@example.test", password=None)
    invitation = services.staff_invite(clinic=world.clinic_a, email="half@example.test")
    assert invitation.membership.user == existing and invitation.link


def test_invite_refuses_a_member_of_this_clinic(world):
    with pytest.raises(ValidationError) as error:
        services.staff_invite(clinic=world.clinic_a, email="THERAPIST@a.test")
    assert "already on this clinic's staff list" in error.value.message_dict["email"][0]


@pytest.mark.parametrize("email", ["therapist@b.test", "a1@a.test", "b1@b.test", "gone@example.test",
                                   "root@example.test", "empty-root@example.test"])
def test_invite_never_attaches_other_clinics_staff_patients_site_staff_or_deactivated_accounts(
    world, email, django_capture_on_commit_callbacks
):
    """The admin is answered as for any existing account (nothing says which); joining is refused."""
    UserFactory(email="gone@example.test", is_active=False)
    User.objects.create_superuser("root@example.test", "a-superuser-password-1")
    User.objects.create_superuser("empty-root@example.test", None)  # createsuperuser --noinput: no password yet
    account = User.objects.get(email=email)
    hash_before = account.password
    memberships_before = list(Membership.objects.filter(user=account).values_list("clinic_id", "role"))
    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.staff_invite(clinic=world.clinic_a, email=email.upper())
    assert (invitation.membership, invitation.link, invitation.created_user) == (None, None, False)
    if account.is_active:
        assert "/accounts/reset/" not in mail.outbox[-1].body
        token = join_token(mail.outbox[-1])
    else:
        # Nothing is sent to a deactivated account (its failure would show the admin it is deactivated),
        # and no notification is recorded; a join link made by hand is still refused.
        assert mail.outbox == [] and not Notification.objects.filter(recipient=account).exists()
        token = services.staff_join_link(clinic=world.clinic_a, user=account, role="therapist").rsplit("/", 2)[-2]
    with pytest.raises(ValidationError) as refused:
        services.staff_join(token=token, user=account)
    assert refused.value.messages == ["This account cannot accept the invitation. "
                                      "Ask the clinic to invite a different e-mail address."]
    account.refresh_from_db()
    assert account.password == hash_before
    assert list(Membership.objects.filter(user=account).values_list("clinic_id", "role")) == memberships_before


def test_invite_survives_a_mail_server_that_is_down(world, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "clinic.tests.services.test_clinic_services.BrokenEmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.staff_invite(clinic=world.clinic_a, email="n@a.test")
    assert invitation.link and Membership.objects.filter(user__email="n@a.test").exists()


class BrokenEmailBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("no mail server")


def test_resend_gives_a_fresh_link_only_before_a_password_is_chosen(world, django_capture_on_commit_callbacks):
    invitation = services.staff_invite(clinic=world.clinic_a, email="n@a.test")
    with django_capture_on_commit_callbacks(execute=True):
        link = services.staff_invite_resend(membership=invitation.membership)
    assert link and mail.outbox[-1].to == ["n@a.test"] and link in mail.outbox[-1].body
    therapist = Membership.objects.get(user=world.therapist_a)
    with pytest.raises(ValidationError, match="already chosen a password"):
        services.staff_invite_resend(membership=therapist)


# --- Deactivation ------------------------------------------------------------


def test_deactivate_stops_sign_in_and_ends_only_their_sessions(world):
    therapist = Membership.objects.get(user=world.therapist_a)
    theirs = [signed_in_session(world.therapist_a), signed_in_session(world.therapist_a)]
    others = signed_in_session(world.admin_a)
    ended = services.staff_deactivate(membership=therapist, by=world.admin_a)
    assert ended == 2
    world.therapist_a.refresh_from_db()
    assert not world.therapist_a.is_active
    assert not Session.objects.filter(session_key__in=theirs).exists()
    assert Session.objects.filter(session_key=others).exists()
    # Nothing else is lost: the membership and their patients stay.
    assert Membership.objects.filter(pk=therapist.pk).exists()
    assert Patient.objects.filter(therapist=world.therapist_a).count() == 2


def test_deactivate_twice_is_harmless_and_reactivate_restores(world):
    therapist = Membership.objects.get(user=world.therapist_a)
    services.staff_deactivate(membership=therapist, by=world.admin_a)
    assert services.staff_deactivate(membership=therapist, by=world.admin_a) == 0
    services.staff_reactivate(membership=therapist, by=world.admin_a)
    world.therapist_a.refresh_from_db()
    assert world.therapist_a.is_active
    assert resolve_actor(world.therapist_a).is_therapist


def test_admin_cannot_deactivate_themselves(world):
    admin = Membership.objects.get(user=world.admin_a)
    MembershipFactory(clinic=world.clinic_a, role=Membership.Role.ADMIN)  # not the last admin either
    with pytest.raises(ValidationError, match="your own account"):
        services.staff_deactivate(membership=admin, by=world.admin_a)
    world.admin_a.refresh_from_db()
    assert world.admin_a.is_active


def test_last_active_admin_cannot_be_deactivated(world):
    admin = Membership.objects.get(user=world.admin_a)
    with pytest.raises(ValidationError, match="last active admin"):
        services.staff_deactivate(membership=admin, by=world.therapist_a)
    # A second admin who is deactivated does not count.
    other = MembershipFactory(clinic=world.clinic_a, role=Membership.Role.ADMIN)
    services.staff_deactivate(membership=other, by=world.admin_a)
    with pytest.raises(ValidationError, match="last active admin"):
        services.staff_deactivate(membership=admin, by=None)
    # With another active admin it is allowed.
    services.staff_reactivate(membership=other, by=world.admin_a)
    services.staff_deactivate(membership=admin, by=other.user)
    world.admin_a.refresh_from_db()
    assert not world.admin_a.is_active


def test_staff_of_two_clinics_cannot_be_switched_off_from_one(world):
    MembershipFactory(clinic=world.clinic_b, user=world.therapist_a)
    therapist = Membership.objects.get(user=world.therapist_a, clinic=world.clinic_a)
    with pytest.raises(ValidationError, match="another clinic"):
        services.staff_deactivate(membership=therapist, by=world.admin_a)
    world.therapist_a.refresh_from_db()
    assert world.therapist_a.is_active


# --- Clinic settings -----------------------------------------------------------


def test_every_engine_setting_has_a_label_and_a_default():
    assert set(ENGINE_SETTING_TEXT) == set(ClinicSettings.ENGINE_SETTING_NAMES) == set(DEFAULT_SETTINGS)


def test_settings_update_stores_only_overrides_and_who_changed_them(world):
    from decimal import Decimal

    row = services.clinic_settings_update(
        clinic=world.clinic_a,
        engine_overrides={"green_max": 2, "red_above": None, "adherence_min_fraction": Decimal("0.75"),
                          "max_auto_incline_pct": Decimal("12.00")},
        auto_apply_progressions=True, updated_by=world.admin_a,
    )
    row.refresh_from_db()
    assert row.engine_overrides == {"green_max": 2, "adherence_min_fraction": 0.75, "max_auto_incline_pct": 12}
    assert isinstance(row.engine_overrides["max_auto_incline_pct"], int)
    assert row.auto_apply_progressions is True
    assert row.updated_by == world.admin_a
    assert selectors.clinic_settings_get(clinic=world.clinic_a).updated_by == world.admin_a
    # Clinic B is untouched.
    assert selectors.clinic_settings_get(clinic=world.clinic_b).engine_overrides == {}


def test_settings_update_with_nothing_overridden_goes_back_to_the_defaults(world):
    services.clinic_settings_update(clinic=world.clinic_a, engine_overrides={"green_max": 2},
                                    auto_apply_progressions=False, updated_by=world.admin_a)
    row = services.clinic_settings_update(clinic=world.clinic_a, engine_overrides={"green_max": None},
                                          auto_apply_progressions=False, updated_by=world.admin_a)
    assert row.engine_overrides == {}


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"green_max": 6}, "green_max", "green_max must not be above red_above."),
        ({"green_max": 4, "red_above": 3}, "green_max", "green_max must not be above red_above."),
        ({"red_above": 11}, "red_above", "red_above must be a whole number from 0 to 10."),
        ({"green_sessions_to_progress": 0}, "green_sessions_to_progress",
         "green_sessions_to_progress must be a whole number from 1 to 10."),
        ({"adherence_min_fraction": 1.5}, "adherence_min_fraction",
         "adherence_min_fraction must be between 0 and 1."),
    ],
)
def test_settings_update_applies_the_engines_own_validation(world, overrides, field, message):
    with pytest.raises(ValidationError) as error:
        services.clinic_settings_update(clinic=world.clinic_a, engine_overrides=overrides,
                                        auto_apply_progressions=False, updated_by=world.admin_a)
    assert error.value.message_dict == {field: [message]}
    assert selectors.clinic_settings_get(clinic=world.clinic_a).engine_overrides == {}


@pytest.mark.parametrize(
    "overrides",
    [{"green_max": 2.5}, {"green_max": "2"}, {"trend_points": -1}, {"green_max": True}, {"colour": 3}],
)
def test_settings_update_refuses_wrong_types_and_unknown_names(world, overrides):
    with pytest.raises(ValidationError) as error:
        services.clinic_settings_update(clinic=world.clinic_a, engine_overrides=overrides,
                                        auto_apply_progressions=False, updated_by=world.admin_a)
    assert "engine_overrides" in error.value.message_dict


def test_settings_the_service_accepts_are_accepted_by_every_progression_check(world):
    from protocols.engine import parse_input

    services.clinic_settings_update(
        clinic=world.clinic_a, engine_overrides={"green_max": 5, "red_above": 5, "trend_points": 0,
                                                 "adherence_min_fraction": 1},
        auto_apply_progressions=False, updated_by=world.admin_a)
    overrides = selectors.clinic_settings_get(clinic=world.clinic_a).engine_overrides
    parsed = parse_input({"condition": "pfp", "today": "2026-09-10", "baseline_pain": 1, "frequency_per_week": 3,
                          "ladder": [{"speed_kmh": 2.5, "incline_pct": 0, "duration_min": 10}],
                          "current_step": 0, "settings": overrides})
    assert parsed.settings.green_max == 5 and parsed.settings.red_above == 5


# --- API keys ---------------------------------------------------------------------


def test_api_key_raw_value_is_returned_once_and_never_stored(world):
    key, raw = services.api_key_create(clinic=world.clinic_a, name="EHR", created_by=world.admin_a,
                                       expires_days=30)
    stored = ApiKey.objects.get(pk=key.pk)
    assert raw not in {stored.key_hash, stored.prefix, stored.name}
    assert services.api_key_authenticate(raw) == stored
    actor = resolve_actor(world.admin_a)
    listed = selectors.api_key_list(actor=actor, now=timezone.now()).get()
    assert listed.status == "active" and listed.created_by == world.admin_a


def test_api_key_revoked_stops_working_and_lists_as_revoked(world):
    key, raw = services.api_key_create(clinic=world.clinic_a, name="EHR")
    services.api_key_revoke(key=key)
    assert services.api_key_authenticate(raw) is None
    listed = selectors.api_key_list(actor=resolve_actor(world.admin_a), now=timezone.now()).get()
    assert listed.status == "revoked"


def test_api_key_statuses(world):
    import datetime as dt

    active, _ = services.api_key_create(clinic=world.clinic_a, name="active", expires_days=1)
    expired, _ = services.api_key_create(clinic=world.clinic_a, name="expired", expires_days=1)
    ApiKey.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    revoked_and_expired, _ = services.api_key_create(clinic=world.clinic_a, name="both", expires_days=1)
    ApiKey.objects.filter(pk=revoked_and_expired.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1), revoked_at=timezone.now())
    services.api_key_create(clinic=world.clinic_b, name="other clinic")
    statuses = dict(selectors.api_key_list(actor=resolve_actor(world.admin_a), now=timezone.now())
                    .values_list("name", "status"))
    assert statuses == {"active": "active", "expired": "expired", "both": "revoked"}


def test_staff_selectors_are_scoped_to_the_clinic(world):
    from django.http import Http404

    actor_b = resolve_actor(world.therapist_b)
    assert [m.user for m in selectors.staff_list(actor=actor_b)] == [world.therapist_b]
    therapist_a = Membership.objects.get(user=world.therapist_a)
    with pytest.raises(Http404):
        selectors.staff_member_get(actor=actor_b, pk=therapist_a.pk)
    assert not selectors.staff_list(actor=resolve_actor(world.patient_a1.user)).exists()
    assert selectors.staff_patient_count(membership=therapist_a) == 2
