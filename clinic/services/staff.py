"""Clinic staff: invitations (new or existing logins), join links, re-sent links, deactivation."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from importlib import import_module

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.contrib.sessions.models import Session
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from clinic.invitations import REFUSED, Offer, Outcome, invitation_account, invitation_account_claim
from clinic.language import staff_language
from clinic.models import Clinic, Membership, Notification, User
from clinic.notifications import notification_queue
from clinic.services.clinics import staff_member_add

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StaffInvitation:
    """What `staff_invite` did.

    A new login: the membership and the link to choose its password. An existing
    login: nothing yet (membership None): its owner was e-mailed a link to join,
    which they accept signed in as that account.
    """

    email: str
    role: str
    membership: Membership | None
    link: str | None
    created_user: bool

    @property
    def role_label(self) -> str:
        return str(Membership.Role(self.role).label)


class StaffJoinInvalid(Exception):
    """A join link that cannot be used: `reason` is "unknown" or "expired"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class StaffJoin:
    """What a join link offers: a role in a clinic, to one existing account."""

    clinic: Clinic
    user_id: int
    role: str

    @property
    def role_label(self) -> str:
        return str(Membership.Role(self.role).label)


STAFF_JOIN_SALT = "clinic.staff-join"


def staff_password_link(user: User) -> str:
    """A link for `user` to choose a password, on Django's password-reset confirmation page.

    Only for a login not made yet (clinic.invitations says CREATE): an account
    that has a password is never sent one by an invitation. Django's token
    generator signs the current password hash and last login, so the link stops
    working once a password is chosen, and after PASSWORD_RESET_TIMEOUT.
    """
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return settings.SITE_URL + reverse("password_reset_confirm", kwargs={"uidb64": uidb64, "token": token})


def staff_join_link(*, clinic: Clinic, user: User, role: str) -> str:
    """A signed link offering `user` (an existing login) `role` in `clinic`; valid as long as a password link.

    It carries no secret of the account: only that account, signed in, can use it.
    """
    token = signing.dumps({"clinic": clinic.pk, "user": user.pk, "role": role}, salt=STAFF_JOIN_SALT)
    return settings.SITE_URL + reverse("staff-join", kwargs={"token": token})


def staff_join_check(token: str) -> StaffJoin:
    """What the join link `token` offers, or StaffJoinInvalid saying why not."""
    try:
        data = signing.loads(token, salt=STAFF_JOIN_SALT, max_age=settings.PASSWORD_RESET_TIMEOUT)
    except signing.SignatureExpired:
        raise StaffJoinInvalid("expired") from None
    except signing.BadSignature:
        raise StaffJoinInvalid("unknown") from None
    clinic = Clinic.objects.filter(pk=data.get("clinic"), is_active=True).first()
    if clinic is None or data.get("role") not in Membership.Role.values:
        raise StaffJoinInvalid("unknown")
    return StaffJoin(clinic=clinic, user_id=data.get("user"), role=data["role"])


def staff_link_valid_days() -> int:
    return max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)


@transaction.atomic
def staff_invite(
    *,
    clinic: Clinic,
    email: str,
    first_name: str = "",
    last_name: str = "",
    role: str = Membership.Role.THERAPIST,
    invited_by: User | None = None,
) -> StaffInvitation:
    """Invite a therapist or clinic admin to a clinic, by the one rule of clinic.invitations.

    No login yet: the account is created (or an empty one reused) without a
    password, given the role, and its owner is e-mailed a link to choose one.
    An existing login: nothing is attached now, and no password link exists;
    its owner is e-mailed a link to join, which works only signed in as that
    account (`staff_join`), where the rule decides again. The admin is told the
    same for every existing login, so an invitation tells them nothing about
    other clinics' staff or patients, or the site's own staff.
    """
    email = User.objects.normalize_email(email)
    if Membership.objects.filter(user__email__iexact=email, clinic=clinic).exists():
        raise ValidationError({"email": f"{email} is already on this clinic's staff list."})
    offer = Offer(clinic=clinic)
    account = invitation_account(email=email, offer=offer)
    if account.outcome is not Outcome.CREATE:
        # A deactivated account could not join, and its e-mail would be refused by the outbox and shown to this
        # admin as failed, which would tell them the account exists and is deactivated: nothing is sent.
        if not account.user.is_active:
            return StaffInvitation(email=email, role=role, membership=None, link=None, created_user=False)
        _staff_email_send(
            kind=Notification.Kind.STAFF_JOIN, clinic=clinic, recipient=account.user,
            template="emails/staff_join.txt", subject=gettext_lazy("You are invited to join %(clinic)s in Backstep"),
            role=role, invited_by=invited_by, link=staff_join_link(clinic=clinic, user=account.user, role=role),
        )
        logger.info("existing user %s invited to join clinic %s as %s", account.user.pk, clinic.pk, role)
        return StaffInvitation(email=email, role=role, membership=None, link=None, created_user=False)
    user = invitation_account_claim(email=email, offer=offer, first_name=first_name, last_name=last_name)
    membership = staff_member_add(clinic=clinic, user=user, role=role)
    link = staff_password_link(user)
    _staff_invitation_email(membership=membership, link=link, invited_by=invited_by)
    logger.info("user %s invited to clinic %s as %s (new account: %s)", user.pk, clinic.pk, role,
                account.user is None)
    return StaffInvitation(email=email, role=role, membership=membership, link=link,
                           created_user=account.user is None)


def _staff_email_send(*, kind: str, clinic: Clinic, recipient: User, template: str, subject, role: str,
                      invited_by: User | None, link: str) -> None:
    """Queue a staff e-mail: recorded now, sent after commit and retried, so a mail server that is down undoes
    nothing. A password or join link is kept in the notification row only until the e-mail is sent.

    Written in the recipient's language (theirs, else the clinic's): `subject` is a lazy text naming %(clinic)s.
    """
    with translation.override(staff_language(recipient, clinic)):
        context = {**_staff_email_context(clinic=clinic, role=role, invited_by=invited_by), "link": link}
        notification_queue(kind=kind, clinic=clinic, recipient=recipient,
                           subject=str(subject) % {"clinic": clinic.name}, body=render_to_string(template, context))


# The role as a sentence names it ("... as therapist"): its own words, since German capitalises nouns.
ROLE_IN_SENTENCE = {
    Membership.Role.ADMIN: pgettext_lazy("role in a sentence", "clinic admin"),
    Membership.Role.THERAPIST: pgettext_lazy("role in a sentence", "therapist"),
}


def _staff_email_context(*, clinic: Clinic, role: str, invited_by: User | None) -> dict:
    return {
        "clinic": clinic.name,
        "role": str(ROLE_IN_SENTENCE[role]),
        "invited_by": str(invited_by) if invited_by else "",
        "sign_in": settings.SITE_URL + reverse("login"),
        "days": staff_link_valid_days(),
    }


def _staff_invitation_email(*, membership: Membership, link: str, invited_by: User | None) -> None:
    clinic = membership.clinic
    _staff_email_send(
        kind=Notification.Kind.STAFF_INVITATION, clinic=clinic, recipient=membership.user,
        template="emails/staff_invitation.txt", subject=gettext_lazy("You have been added to %(clinic)s in Backstep"),
        role=membership.role, invited_by=invited_by, link=link,
    )


@transaction.atomic
def staff_join(*, token: str, user: User) -> Membership:
    """Accept a join link signed in as `user`: the role is attached if the rule allows; the password never changes.

    Joining twice is harmless (the existing membership is returned). Raises
    StaffJoinInvalid for a bad or expired link, and ValidationError when the
    link is for another account or the rule refuses this one.
    """
    offer = staff_join_check(token)
    if offer.user_id != user.pk:
        raise ValidationError(REFUSED, code="other_account")
    existing = Membership.objects.filter(user=user, clinic=offer.clinic).first()
    if existing is not None:
        return existing
    invitation_account_claim(email=user.email, offer=Offer(clinic=offer.clinic), holder=user, proven=user)
    membership = staff_member_add(clinic=offer.clinic, user=user, role=offer.role)
    logger.info("user %s joined clinic %s as %s", user.pk, offer.clinic.pk, offer.role)
    return membership


@transaction.atomic
def staff_invite_resend(*, membership: Membership, invited_by: User | None = None) -> str:
    """A fresh password link for a staff member who has not chosen a password yet; e-mailed and returned."""
    user = membership.user
    if user.has_usable_password():
        raise ValidationError(_("%(email)s has already chosen a password and can sign in.") % {"email": user.email})
    if not user.is_active:
        raise ValidationError(_("%(email)s is deactivated. Reactivate them first.") % {"email": user.email})
    # The same rule as the first invitation: a password link only for a login not made yet.
    if invitation_account(email=user.email, offer=Offer(clinic=membership.clinic), holder=user).outcome \
            is not Outcome.CREATE:
        raise ValidationError(_("%(email)s cannot be sent a password link. Ask them to use “Forgot your password?” on "
                                "the sign-in page.") % {"email": user.email})
    link = staff_password_link(user)
    _staff_invitation_email(membership=membership, link=link, invited_by=invited_by)
    logger.info("invitation re-sent to user %s for clinic %s", user.pk, membership.clinic_id)
    return link


def _staff_change_check(*, membership: Membership, by: User | None, verb: str) -> None:
    user = membership.user
    if by is not None and user.pk == by.pk:
        raise ValidationError(_("You cannot deactivate your own account. Ask another clinic admin.")
                              if verb == "deactivate"
                              else _("You cannot reactivate your own account. Ask another clinic admin."))
    if Membership.objects.filter(user=user).exclude(clinic_id=membership.clinic_id).exists():
        # is_active is per account: changing it here would lock them out of (or into) another clinic too.
        message = (_("%(email)s also belongs to another clinic; ask Backstep support to deactivate them.")
                   if verb == "deactivate" else
                   _("%(email)s also belongs to another clinic; ask Backstep support to reactivate them."))
        raise ValidationError(message % {"email": user.email})


@transaction.atomic
def staff_deactivate(*, membership: Membership, by: User | None = None) -> int:
    """Stop a staff member signing in, and end their open sessions; returns how many sessions ended.

    Nothing is deleted: their patients, notes and history stay, and they can be
    reactivated. An admin cannot deactivate themselves, and a clinic always keeps
    at least one active admin.
    """
    # Lock the clinic row: two admins deactivating each other at once must not leave none.
    Clinic.objects.select_for_update().filter(pk=membership.clinic_id).first()
    membership = Membership.objects.select_related("user", "clinic").get(pk=membership.pk)
    user = membership.user
    _staff_change_check(membership=membership, by=by, verb="deactivate")
    if not user.is_active:
        return 0
    if membership.is_admin and not (
        Membership.objects.filter(clinic_id=membership.clinic_id, role=Membership.Role.ADMIN, user__is_active=True)
        .exclude(pk=membership.pk)
        .exists()
    ):
        raise ValidationError(
            f"{user.email} is the clinic's last active admin, and a clinic needs at least one. "
            "Invite another admin first."
        )
    user.is_active = False
    user.save(update_fields=["is_active"])
    ended = user_sessions_end(user=user)
    logger.info("user %s deactivated in clinic %s by user %s; %s sessions ended",
                user.pk, membership.clinic_id, getattr(by, "pk", None), ended)
    return ended


@transaction.atomic
def staff_reactivate(*, membership: Membership, by: User | None = None) -> None:
    """Let a deactivated staff member sign in again, with the role they had."""
    membership = Membership.objects.select_related("user").get(pk=membership.pk)
    user = membership.user
    _staff_change_check(membership=membership, by=by, verb="reactivate")
    if user.is_active:
        return
    user.is_active = True
    user.save(update_fields=["is_active"])
    logger.info("user %s reactivated in clinic %s by user %s", user.pk, membership.clinic_id, getattr(by, "pk", None))


def user_sessions_end(*, user: User) -> int:
    """Delete every stored session signed in as `user`; returns how many.

    Sessions are not indexed by user, so this decodes the unexpired ones: fine
    for a rare admin action. It goes through the session store, so cached_db
    sessions leave the cache too. With a cache-only session engine nothing can
    be listed, but Django's ModelBackend already refuses inactive users on
    every request, so a deactivated user is signed out either way.
    """
    if settings.SESSION_ENGINE not in ("django.contrib.sessions.backends.db",
                                       "django.contrib.sessions.backends.cached_db"):
        return 0
    store = import_module(settings.SESSION_ENGINE).SessionStore
    wanted = str(user.pk)
    keys = [
        session.session_key
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if str(session.get_decoded().get("_auth_user_id")) == wanted
    ]
    for key in keys:
        store(session_key=key).delete()
    return len(keys)
