"""The one rule for what an invitation may do with an e-mail address.

Patient invitations (patients/services.py) and staff invitations
(clinic/services.py) both ask `invitation_account` before they create,
claim or attach an account, and both use `invitation_account_claim` to act on
its answer. The rule:

- **No login yet → create it.** No account has the address: the invitation
  creates one, with the password the invitee chooses. An account that has
  never had a usable password and holds nothing the invitation does not offer
  (e.g. the account a staff invitation itself created) counts as no login yet.
- **An existing login → prove, then attach.** The invitee must show they own
  it: be signed in as it, or type its current password (checked through the
  sign-in lockout). The invitation then attaches the patient profile or the
  staff role to it. An invitation never changes an existing login's password.
- **Never attached, even with proof:** site staff (Django's admin: is_staff or
  is_superuser), deactivated accounts, and accounts that already hold a clinic
  role or another patient profile. A user has one role in Backstep
  (`clinic.tenancy.resolve_actor` picks one), so a second one would never be
  used: a therapist of another clinic who is invited must use another address,
  and a superuser never becomes a patient or a clinic's staff member.
- **Nothing about other clinics is told.** Without proof every existing login
  looks the same ("enter your existing password"), however it is refused
  later; the refusal after proof has one wording for every reason, shown only
  to someone who has just proved they own the account.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from clinic.models import Clinic, Membership, User

PROOF_NEEDED = _("This e-mail address already has a Backstep account. Sign in with its password to accept "
                 "the invitation; the password stays as it is.")
REFUSED = _("This account cannot accept the invitation. Ask the clinic to invite a different e-mail address.")


class Outcome(enum.Enum):
    CREATE = "create"  # no login yet: the invitee chooses the password
    PROVE = "prove"  # an existing login: the invitee must show they own it first
    ATTACH = "attach"  # its proven owner: attach the offer, leave the password alone
    REFUSE = "refuse"  # its proven owner, but this account may not take the offer


@dataclass(frozen=True)
class InvitationAccount:
    """What an invitation may do, and with which account (None: there is none yet)."""

    outcome: Outcome
    user: User | None


@dataclass(frozen=True)
class Offer:
    """What an invitation gives: a patient profile in a clinic, or a staff role there."""

    clinic: Clinic
    patient: object | None = None  # patients.models.Patient for a patient invitation, None for staff

    @property
    def is_patient(self) -> bool:
        return self.patient is not None


def _may_take(user: User, offer: Offer) -> bool:
    """Whether `user` may hold what `offer` gives, next to everything it already holds."""
    if not user.is_active or user.is_staff or user.is_superuser:
        return False
    memberships = Membership.objects.filter(user=user)
    profile = getattr(user, "patient_profile", None)
    if offer.is_patient:
        return not memberships.exists() and (profile is None or profile.pk == offer.patient.pk)
    return profile is None and not memberships.exclude(clinic=offer.clinic).exists()


def invitation_account(*, email: str, offer: Offer, holder: User | None = None,
                       proven: User | None = None) -> InvitationAccount:
    """The rule (see the module's docstring): what an invitation to `email` may do with its account.

    `holder` is the account the offer is already tied to, if any (a patient's
    login): it is the invitation's account whatever the address says. `proven`
    is an account the invitee has shown they own (signed in as it, or its
    password typed): anything else counts as no proof.
    """
    user = holder or User.objects.filter(email__iexact=User.objects.normalize_email(email)).first()
    if user is None:
        return InvitationAccount(Outcome.CREATE, None)
    may_take = _may_take(user, offer)
    if not user.has_usable_password() and may_take:
        return InvitationAccount(Outcome.CREATE, user)
    if proven is None or proven.pk != user.pk:
        return InvitationAccount(Outcome.PROVE, user)
    return InvitationAccount(Outcome.ATTACH if may_take else Outcome.REFUSE, user)


def invitation_account_claim(*, email: str, offer: Offer, holder: User | None = None, proven: User | None = None,
                             password: str | None = None, first_name: str = "", last_name: str = "") -> User:
    """Act on the rule: the account the offer may now be attached to, created or given a password if it had none.

    `password` is the one the invitee chose (already checked by Django's
    validators); None leaves a new login without a usable password, for a staff
    invitation whose password is chosen later on the password-set page.
    Raises ValidationError (PROOF_NEEDED or REFUSED) otherwise; nothing is written then.
    The caller runs this inside its own transaction, with the offer's write.
    """
    decision = invitation_account(email=email, offer=offer, holder=holder, proven=proven)
    if decision.outcome is Outcome.PROVE:
        raise ValidationError(PROOF_NEEDED, code="proof_needed")
    if decision.outcome is Outcome.REFUSE:
        raise ValidationError(REFUSED, code="refused")
    if decision.outcome is Outcome.ATTACH:
        return decision.user
    user = decision.user or User(email=User.objects.normalize_email(email), first_name=first_name.strip(),
                                 last_name=last_name.strip())
    if password:
        user.set_password(password)
    elif user.pk is None:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    return user
