"""clinic/invitations.py: the one rule for what an invitation may do with an e-mail address, and e-mail spelling."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from clinic.invitations import InvitationAccount, Offer, Outcome, invitation_account, invitation_account_claim
from clinic.models import Membership, User
from clinic.services import user_create
from tests.factories import PASSWORD, ClinicFactory, MembershipFactory, PatientFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic():
    return ClinicFactory(name="Clinic A", slug="clinic-a")


@pytest.fixture
def patient_offer(clinic):
    return Offer(clinic=clinic, patient=PatientFactory(clinic=clinic, email="p@example.test"))


@pytest.fixture
def staff_offer(clinic):
    return Offer(clinic=clinic)


# --- E-mail addresses: one spelling, compared without regard to case ------------------------------------------

def test_every_way_of_saving_a_user_stores_the_address_in_lower_case():
    saved = User(email="  Mixed.Case@Example.TEST ")
    saved.set_password(PASSWORD)
    saved.save()
    assert saved.email == "mixed.case@example.test"
    assert User.objects.create_user("Other@Example.Test").email == "other@example.test"
    assert user_create(email="Third@EXAMPLE.test", password=None).email == "third@example.test"
    cleaned = User(email="Fourth@Example.Test")
    cleaned.clean()
    assert cleaned.email == "fourth@example.test"


def test_the_database_refuses_the_same_address_in_another_case():
    UserFactory(email="once@example.test")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create([User(email="ONCE@example.test")])  # bulk_create skips save(): the index decides


def test_sign_in_finds_the_account_whatever_the_case():
    user = UserFactory(email="case@example.test")
    assert User.objects.get_by_natural_key("CASE@Example.Test") == user


# --- The rule, case by case --------------------------------------------------------------------------------------

def test_no_account_means_the_invitation_creates_the_login(patient_offer, staff_offer):
    for offer in (patient_offer, staff_offer):
        assert invitation_account(email="nobody@example.test", offer=offer) == InvitationAccount(Outcome.CREATE, None)


def test_an_existing_login_needs_proof_whoever_owns_it(clinic, patient_offer, staff_offer):
    other_clinic = ClinicFactory()
    accounts = [
        User.objects.create_superuser("root@example.test", PASSWORD),
        UserFactory(email="plain@example.test"),
        MembershipFactory(clinic=other_clinic, user__email="staff@example.test").user,
        PatientFactory(clinic=other_clinic, user=UserFactory(email="patient@example.test")).user,
        UserFactory(email="gone@example.test", is_active=False),
    ]
    for offer in (patient_offer, staff_offer):
        for account in accounts:
            decision = invitation_account(email=account.email.upper(), offer=offer)
            assert (decision.outcome, decision.user) == (Outcome.PROVE, account), account.email
            # Signed in as someone else is no proof.
            other = invitation_account(email=account.email, offer=offer, proven=UserFactory())
            assert other.outcome is Outcome.PROVE


def test_its_proven_owner_attaches_an_account_that_holds_nothing(patient_offer, staff_offer):
    plain = UserFactory(email="plain@example.test")
    for offer in (patient_offer, staff_offer):
        decision = invitation_account(email="plain@example.test", offer=offer, proven=plain)
        assert (decision.outcome, decision.user) == (Outcome.ATTACH, plain)


@pytest.mark.parametrize("kind", ["superuser", "site staff", "deactivated", "staff elsewhere", "patient elsewhere"])
def test_even_its_proven_owner_never_attaches_these(clinic, patient_offer, staff_offer, kind):
    other_clinic = ClinicFactory()
    account = {
        "superuser": lambda: User.objects.create_superuser("x@example.test", PASSWORD),
        "site staff": lambda: UserFactory(email="x@example.test", is_staff=True),
        "deactivated": lambda: UserFactory(email="x@example.test", is_active=False),
        "staff elsewhere": lambda: MembershipFactory(clinic=other_clinic, user__email="x@example.test").user,
        "patient elsewhere": lambda: PatientFactory(clinic=other_clinic, user=UserFactory(email="x@example.test")).user,
    }[kind]()
    for offer in (patient_offer, staff_offer):
        assert invitation_account(email="x@example.test", offer=offer, proven=account).outcome is Outcome.REFUSE
        with pytest.raises(ValidationError) as refused:
            invitation_account_claim(email="x@example.test", offer=offer, proven=account, password="new-pass-12345")
        assert refused.value.code == "refused"
    account.refresh_from_db()
    assert not account.check_password("new-pass-12345")


def test_one_role_per_user_staff_of_this_clinic_do_not_become_its_patients(clinic, patient_offer):
    therapist = MembershipFactory(clinic=clinic, user__email="t@example.test").user
    assert invitation_account(email="t@example.test", offer=patient_offer, proven=therapist).outcome is Outcome.REFUSE


def test_a_patients_own_login_is_the_invitations_account_whatever_its_address(clinic):
    login = UserFactory(email="old@example.test")
    patient = PatientFactory(clinic=clinic, user=login, email="root@example.test")
    root = User.objects.create_superuser("root@example.test", PASSWORD)
    offer = Offer(clinic=clinic, patient=patient)
    decision = invitation_account(email=patient.email, offer=offer, holder=login)
    assert (decision.outcome, decision.user) == (Outcome.PROVE, login)
    assert invitation_account(email=patient.email, offer=offer, holder=login, proven=root).outcome is Outcome.PROVE
    assert invitation_account(email=patient.email, offer=offer, holder=login, proven=login).outcome is Outcome.ATTACH


def test_an_account_that_never_had_a_password_and_holds_nothing_is_created_in_place(clinic, patient_offer,
                                                                                      staff_offer):
    empty = user_create(email="later@example.test", password=None)
    for offer in (patient_offer, staff_offer):
        assert invitation_account(email="later@example.test", offer=offer) == InvitationAccount(Outcome.CREATE, empty)
    # A staff invitation's own account (a role here, no password yet) is still a login not yet made.
    Membership.objects.create(clinic=clinic, user=empty)
    assert invitation_account(email="later@example.test", offer=staff_offer).outcome is Outcome.CREATE
    assert invitation_account(email="later@example.test", offer=patient_offer).outcome is Outcome.PROVE


def test_claim_creates_a_login_with_the_chosen_password_and_never_changes_an_existing_one(patient_offer):
    created = invitation_account_claim(email="New@Example.test", offer=patient_offer, password="chosen-pass-12345",
                                       first_name="Nia", last_name="Novak")
    assert created.email == "new@example.test" and created.check_password("chosen-pass-12345")
    assert created.get_full_name() == "Nia Novak"
    plain = UserFactory(email="plain@example.test")
    hash_before = plain.password
    with pytest.raises(ValidationError) as needs_proof:
        invitation_account_claim(email="plain@example.test", offer=patient_offer, password="chosen-pass-12345")
    assert needs_proof.value.code == "proof_needed"
    attached = invitation_account_claim(email="plain@example.test", offer=patient_offer, proven=plain,
                                        password="chosen-pass-12345")
    attached.refresh_from_db()
    assert attached == plain and attached.password == hash_before


def test_claim_without_a_password_leaves_a_new_login_without_one(staff_offer):
    created = invitation_account_claim(email="staff@example.test", offer=staff_offer)
    assert created.pk and not created.has_usable_password()
