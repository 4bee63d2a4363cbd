"""Invitations never take over an account (issue 12, points 1 and 8), end to end over HTTP: patients and staff.

The attack: a therapist registers a patient under the e-mail of an account
that already exists (a superuser, another clinic's patient or therapist, one
of their own patients who has a login), sends the invitation, opens the link
and tries to choose that account's password. The rule (clinic/invitations.py)
lets an invitation create a login or attach to one its owner proves is theirs;
it never changes an existing password, and the page looks the same for every
existing account, whichever clinic it belongs to.
"""

from __future__ import annotations

import re

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.test import Client, TestCase
from django.urls import reverse

from clinic.models import Membership, User
from clinic.services import user_create
from patients.models import Invitation, Patient
from tests.api.support import api  # noqa: F401 (fixture)
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]

CHOSEN = "attacker-chose-this-1"
PROOF_TEXT = "This e-mail address already has a Backstep account. Type its password"
REFUSED_TEXT = "This account cannot accept the invitation."


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("root@site.test", PASSWORD)


def invite_as_therapist(client: Client, world, email: str, first_name: str = "Max") -> tuple[Patient, str]:
    """Therapist A registers a patient with `email` and sends the invitation, through the pages; returns the link."""
    client.force_login(world.therapist_a)
    response = client.post(reverse("patients:create"), {
        "first_name": first_name, "last_name": "Mallory", "email": email, "condition": "pfp", "side": "left",
        "therapist": world.therapist_a.pk,
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    patient = Patient.objects.get(clinic=world.clinic_a, first_name=first_name, last_name="Mallory")
    return patient, send_invitation(client, world, patient)


def send_invitation(client: Client, world, patient: Patient) -> str:
    client.force_login(world.therapist_a)
    invited = client.post(reverse("patients:invite", args=[patient.pk]))
    assert invited.status_code == 200
    link = re.search(r"/invite/[^/\"<\s]+/", invited.content.decode()).group(0)
    client.logout()
    return link


def try_to_choose_a_password(client: Client, link: str):
    return client.post(link, {"password1": CHOSEN, "password2": CHOSEN})


def page_text(response, *variable: str) -> str:
    """The page without what legitimately differs between two invitations (token, e-mail, CSRF token)."""
    body = response.content.decode()
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body)
    body = re.sub(r'<meta name="csrf-token" content="[^"]+"', "", body)
    for text in variable:
        body = body.replace(text, "VARIABLE")
    return body


# --- The attack, for every kind of existing account -------------------------------------------------------------

EXISTING = {
    "superuser": lambda world, superuser: superuser,
    "patient of another clinic": lambda world, superuser: world.patient_b1.user,
    "therapist of another clinic": lambda world, superuser: world.therapist_b,
    "account without a role": lambda world, superuser: UserFactory(email="plain@example.test"),
}


@pytest.mark.parametrize("kind", EXISTING)
@pytest.mark.parametrize("spelling", [str.lower, str.upper])
def test_an_invitation_cannot_set_the_password_of_an_existing_account(client, world, superuser, kind, spelling):
    victim = EXISTING[kind](world, superuser)
    hash_before = victim.password
    patient, link = invite_as_therapist(client, world, spelling(victim.email))
    assert patient.email == victim.email  # stored in the one spelling, compared without regard to case

    page = client.get(link)
    assert page.status_code == 200
    body = page.content.decode()
    assert PROOF_TEXT in body and 'name="password1"' not in body and 'autocomplete="current-password"' in body

    refused = try_to_choose_a_password(client, link)
    assert refused.status_code == 200 and PROOF_TEXT in refused.content.decode()
    wrong = client.post(link, {"password": "not-their-password-9"})
    assert wrong.status_code == 200 and "That password is not right." in wrong.content.decode()

    victim.refresh_from_db()
    patient.refresh_from_db()
    assert victim.password == hash_before and not victim.check_password(CHOSEN)
    assert patient.user is None and client.session.get("_auth_user_id") is None
    assert Invitation.objects.get(patient=patient).used_at is None
    # Nor does the chosen password open Django's admin.
    admin = Client()
    assert not admin.login(username=victim.email, password=CHOSEN)
    assert admin.get("/admin/").status_code == 302


def test_the_page_reads_the_same_for_every_existing_account(client, world, superuser):
    """Point 8: nothing tells an account at another clinic (or the site's superuser) from any other account."""
    pages = {}
    for number, (kind, make) in enumerate(EXISTING.items()):
        victim = make(world, superuser)
        _patient, link = invite_as_therapist(client, world, victim.email, first_name="Max")
        token = link.strip("/").rsplit("/", 1)[-1]
        opened = client.get(link)
        chose = try_to_choose_a_password(client, link)
        wrong = client.post(link, {"password": "not-their-password-9"})
        pages[kind] = [(r.status_code, page_text(r, token, victim.email)) for r in (opened, chose, wrong)]
        Patient.objects.filter(first_name="Max").update(first_name=f"Old{number}")
    first, *others = pages.values()
    for kind, seen in pages.items():
        assert seen == first, f"the invitation page for a {kind} differs from the others"


def test_a_patient_with_a_login_keeps_their_password_when_invited_again(client, world):
    """The same path once let a therapist set, and so know, the password of their own patient."""
    patient = world.patient_a1
    Patient.objects.filter(pk=patient.pk).update(email="a1@a.test")
    hash_before = patient.user.password
    link = send_invitation(client, world, patient)
    assert PROOF_TEXT in client.get(link).content.decode()
    try_to_choose_a_password(client, link)
    patient.user.refresh_from_db()
    assert patient.user.password == hash_before
    # The patient, with the password they already have, is simply signed in; the password stays.
    response = client.post(link, {"password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("patients:today")
    assert client.session["_auth_user_id"] == str(patient.user.pk)
    patient.user.refresh_from_db()
    assert patient.user.password == hash_before


def test_the_owner_of_an_account_without_a_role_attaches_it_with_their_password(client, world):
    owner = UserFactory(email="dana@example.test")
    hash_before = owner.password
    patient, link = invite_as_therapist(client, world, "Dana@Example.test")
    response = client.post(link, {"password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("patients:today")
    patient.refresh_from_db()
    owner.refresh_from_db()
    assert patient.user == owner and owner.password == hash_before
    assert Invitation.objects.get(patient=patient).used_at is not None


def test_signed_in_as_the_account_one_button_attaches_it(client, world):
    owner = UserFactory(email="dana@example.test")
    patient, link = invite_as_therapist(client, world, "dana@example.test")
    client.force_login(owner)
    page = client.get(link).content.decode()
    assert "You are signed in with this e-mail address" in page and 'name="password' not in page
    response = client.post(link, {}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("patients:today")
    patient.refresh_from_db()
    assert patient.user == owner


def test_signed_in_as_someone_else_is_no_proof(client, world):
    owner = UserFactory(email="dana@example.test")
    patient, link = invite_as_therapist(client, world, "dana@example.test")
    client.force_login(world.therapist_a)
    assert PROOF_TEXT in client.get(link).content.decode()
    client.post(link, {})
    try_to_choose_a_password(client, link)
    patient.refresh_from_db()
    assert patient.user is None and not owner.check_password(CHOSEN)


@pytest.mark.parametrize("kind", ["superuser", "patient of another clinic", "therapist of another clinic"])
def test_proving_ownership_does_not_attach_an_account_that_may_not_take_the_role(client, world, superuser, kind):
    """A superuser never gets a patient profile; a user has one role, so another clinic's accounts stay out."""
    victim = EXISTING[kind](world, superuser)
    hash_before = victim.password
    patient, link = invite_as_therapist(client, world, victim.email)
    response = client.post(link, {"password": PASSWORD})
    body = response.content.decode()
    assert response.status_code == 200 and REFUSED_TEXT in body
    assert "another clinic" not in body and "Clinic B" not in body
    patient.refresh_from_db()
    victim.refresh_from_db()
    assert patient.user is None and victim.password == hash_before
    assert client.session.get("_auth_user_id") is None
    # Signed in as that account, the answer is the same words.
    client.force_login(victim)
    assert REFUSED_TEXT in client.get(link).content.decode()
    client.post(link, {})
    patient.refresh_from_db()
    assert patient.user is None


def test_guessing_the_existing_password_on_the_invitation_page_is_locked_out_like_sign_in(client, world, superuser):
    _patient, link = invite_as_therapist(client, world, "root@site.test")
    for _attempt in range(4):
        assert client.post(link, {"password": "guess-number-one-1"}).status_code == 200
    locked = client.post(link, {"password": "guess-number-one-1"})
    assert locked.status_code == 429
    # Locked means locked: the right password from that network is refused too, and the sign-in page agrees.
    assert client.post(link, {"password": PASSWORD}).status_code == 429
    assert client.post(reverse("login"), {"username": "root@site.test", "password": PASSWORD}).status_code == 429


def test_a_new_address_creates_the_login_in_lower_case_and_signs_in_with_any_case(client, world):
    patient, link = invite_as_therapist(client, world, "  New.Person@Example.TEST ")
    assert patient.email == "new.person@example.test"
    page = client.get(link).content.decode()
    assert 'name="password1"' in page and PROOF_TEXT not in page
    response = client.post(link, {"password1": CHOSEN, "password2": CHOSEN}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("patients:today")
    patient.refresh_from_db()
    assert patient.user.email == "new.person@example.test"
    other = Client()
    response = other.post(reverse("login"), {"username": "NEW.PERSON@example.test", "password": CHOSEN})
    assert response.status_code == 302 and other.session["_auth_user_id"] == str(patient.user.pk)


def test_the_api_and_the_edit_page_store_a_patients_address_in_the_one_spelling(client, world, api):
    response = api("therapist_a").post("/api/v1/patients/", {
        "first_name": "Nia", "last_name": "New", "condition": "pfp", "side": "left", "email": "Nia.New@Example.TEST",
    }, format="json")
    assert response.status_code == 201 and response.json()["email"] == "nia.new@example.test"
    patient = Patient.objects.get(pk=response.json()["id"])
    changed = api("therapist_a").patch(f"/api/v1/patients/{patient.pk}/", {"email": "NIA@Example.Test"},
                                       format="json")
    assert changed.status_code == 200 and changed.json()["email"] == "nia@example.test"
    client.force_login(world.therapist_a)
    client.post(reverse("patients:edit", args=[patient.pk]), {
        "first_name": "Nia", "last_name": "New", "email": "Root@Site.Test", "condition": "pfp", "side": "left",
        "therapist": world.therapist_a.pk,
    })
    patient.refresh_from_db()
    assert patient.email == "root@site.test"


def test_an_account_that_never_had_a_password_and_holds_nothing_is_a_login_not_yet_made(client, world):
    empty = user_create(email="later@example.test", password=None)
    patient, link = invite_as_therapist(client, world, "later@example.test")
    assert 'name="password1"' in client.get(link).content.decode()
    client.post(link, {"password1": CHOSEN, "password2": CHOSEN})
    patient.refresh_from_db()
    empty.refresh_from_db()
    assert patient.user == empty and empty.check_password(CHOSEN)


def test_a_superuser_without_a_usable_password_is_never_claimed(client, world):
    """createsuperuser --noinput leaves no usable password: that must not read as "no login yet"."""
    root = User.objects.create_superuser("root@site.test", None)
    _patient, link = invite_as_therapist(client, world, "root@site.test")
    assert PROOF_TEXT in client.get(link).content.decode()
    try_to_choose_a_password(client, link)
    # A guess reads as for any account, and counts towards the lockout like any other.
    guess = client.post(link, {"password": "any-guess-at-all-1"})
    assert "That password is not right." in guess.content.decode()
    assert AccessAttempt.objects.filter(username="root@site.test").get().failures_since_start == 1
    root.refresh_from_db()
    assert not root.has_usable_password()


# --- Staff invitations go through the same rule -----------------------------------------------------------------

def invite_staff_as_admin(client: Client, world, email: str):
    """Clinic admin A invites `email` as a therapist through the page; returns the page and the e-mail sent."""
    client.force_login(world.admin_a)
    mail.outbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(reverse("clinic-admin:staff-invite"),
                               {"email": email, "first_name": "Max", "last_name": "Mallory", "role": "therapist"})
    assert response.status_code == 200
    (message,) = mail.outbox
    return response, message


def test_the_admin_is_told_the_same_for_every_existing_account(client, world, superuser):
    """Point 8 for staff invitations: nothing tells another clinic's account (or the superuser) from any other."""
    pages = {}
    for kind, make in EXISTING.items():
        victim = make(world, superuser)
        hash_before = victim.password
        response, message = invite_staff_as_admin(client, world, victim.email.upper())
        body = response.content.decode()
        assert "/accounts/reset/" not in body and "/accounts/reset/" not in message.body
        assert "/staff/join/" in message.body and "/staff/join/" not in body
        victim.refresh_from_db()
        assert victim.password == hash_before
        assert not Membership.objects.filter(user=victim, clinic=world.clinic_a).exists()
        pages[kind] = page_text(response, victim.email)
    first, *others = pages.values()
    for kind, seen in pages.items():
        assert seen == first, f"the admin's page for a {kind} differs from the others"


def test_a_staff_invitation_never_makes_a_password_link_for_a_superuser_without_a_password(client, world):
    """createsuperuser --noinput leaves no usable password; the old flow made a link and so handed over /admin/."""
    root = User.objects.create_superuser("root@site.test", None)
    response, message = invite_staff_as_admin(client, world, "Root@Site.test")
    assert "/accounts/reset/" not in response.content.decode() + message.body
    root.refresh_from_db()
    assert not root.has_usable_password() and not root.memberships.exists()


def join_path(message) -> str:
    return re.search(r"/staff/join/[^/\s]+/", message.body).group(0)


def test_the_join_link_is_accepted_signed_in_as_the_invited_account_only(client, world):
    owner = UserFactory(email="dana@example.test")
    hash_before = owner.password
    _response, message = invite_staff_as_admin(client, world, "Dana@Example.test")
    link = join_path(message)
    client.logout()
    assert client.get(link)["Location"].startswith(reverse("login"))
    # Someone else, signed in, learns nothing about the invitation and cannot use it.
    client.force_login(world.therapist_b)
    other = client.get(link)
    assert other.status_code == 403 and "Clinic A" not in other.content.decode()
    assert client.post(link).status_code == 403
    assert not Membership.objects.filter(user__in=[owner, world.therapist_b], clinic=world.clinic_a).exists()
    # Its owner: one button, no password asked, none changed.
    client.force_login(owner)
    page = client.get(link).content.decode()
    assert "Join Clinic A" in page and 'type="password"' not in page
    response = client.post(link)
    assert response.status_code == 302
    assert Membership.objects.get(user=owner, clinic=world.clinic_a).role == "therapist"
    owner.refresh_from_db()
    assert owner.password == hash_before
    assert client.get(reverse("patients:list")).status_code == 200


@pytest.mark.parametrize("kind", ["superuser", "patient of another clinic", "therapist of another clinic"])
def test_the_join_link_never_attaches_an_account_that_may_not_take_the_role(client, world, superuser, kind):
    victim = EXISTING[kind](world, superuser)
    _response, message = invite_staff_as_admin(client, world, victim.email)
    client.force_login(victim)
    page = client.get(join_path(message))
    assert page.status_code == 200 and REFUSED_TEXT in page.content.decode()
    refused = client.post(join_path(message))
    assert refused.status_code == 200 and REFUSED_TEXT in refused.content.decode()
    assert not Membership.objects.filter(user=victim, clinic=world.clinic_a).exists()


def test_resend_never_makes_a_password_link_for_an_account_the_rule_would_not_create(client, world):
    root = User.objects.create_superuser("root@site.test", None)
    membership = Membership.objects.create(user=root, clinic=world.clinic_a)  # e.g. added in Django's admin
    client.force_login(world.admin_a)
    response = client.post(reverse("clinic-admin:staff-resend", args=[membership.pk]), follow=True)
    assert "/accounts/reset/" not in response.content.decode()
    assert "cannot be sent a password link" in response.content.decode()
