"""Patients' invitations: a one-time link, valid 7 days, to set a password or attach an existing login.

Only the token's hash is stored (`clinic.tokens`); which account the invitee
ends up with follows the one rule of `clinic.invitations`.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clinic.invitations import Outcome, invitation_account, invitation_account_claim
from clinic.language import patient_language
from clinic.notifications import email_send
from clinic.selectors import clinic_guidance
from clinic.tokens import token_hash
from patients.models import Invitation, Patient
from patients.selectors import InvitationInvalid, invitation_check, invitation_offer

logger = logging.getLogger(__name__)


INVITATION_DAYS = 7


@transaction.atomic
def invitation_create(*, patient: Patient, created_by=None, send: bool = True):
    """Create a one-time invitation (valid 7 days) and e-mail its link; returns (invitation, link).

    Earlier unused invitations of the patient stop working: only the newest link counts.
    """
    if not patient.email:
        raise ValidationError({"email": "Add the patient's e-mail address before inviting them."})
    now = timezone.now()
    Invitation.objects.filter(patient=patient, used_at__isnull=True, expires_at__gt=now).update(expires_at=now)
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        patient=patient, token_hash=token_hash(token), created_by=created_by,
        expires_at=now + dt.timedelta(days=INVITATION_DAYS),
    )
    link = settings.SITE_URL + reverse("patients:invitation", args=[token])
    if send:
        # In the patient's language (theirs, else the clinic's): the e-mail arrives before they ever sign in.
        with translation.override(patient_language(patient)):
            body = render_to_string("emails/invitation.txt", {"clinic": patient.clinic.name, "link": link,
                                                              "days": INVITATION_DAYS,
                                                              "guide": clinic_guidance(patient.clinic)})
            subject = _("Your Backstep invitation from %(clinic)s") % {"clinic": patient.clinic.name}
        email_send(subject=subject, body=body, to=[patient.email])
    logger.info("invitation %s created for patient %s", invitation.pk, patient.pk)
    return invitation, link


@transaction.atomic
def invitation_accept(*, token: str, password: str | None = None, proven=None):
    """Use an invitation by the one rule of clinic.invitations; returns the user to sign in.

    No login yet: it is created with `password` (already checked by Django's
    validators; the form does that). An existing login is attached only for
    `proven`, an account the invitee has shown they own (signed in as it, or
    its password typed), and keeps its password. ValidationError otherwise,
    with nothing changed and the invitation still open.
    """
    invitation = invitation_check(token)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.used_at is not None:  # a double submit that lost the race
        raise InvitationInvalid("used")
    patient = invitation.patient
    offer = invitation_offer(patient)
    decision = invitation_account(email=patient.email, offer=offer, holder=patient.user, proven=proven)
    if decision.outcome is Outcome.CREATE and not password:
        raise ValidationError({"password1": "Choose a password."})
    user = invitation_account_claim(email=patient.email, offer=offer, holder=patient.user, proven=proven,
                                    password=password, first_name=patient.first_name, last_name=patient.last_name)
    if patient.user_id != user.pk:
        patient.user = user
        patient.save(update_fields=["user", "updated_at"])
    invitation.used_at = timezone.now()
    invitation.save(update_fields=["used_at"])
    logger.info("invitation %s accepted (%s) for patient %s", invitation.pk, decision.outcome.value, patient.pk)
    return user


def invitation_revoke(*, patient: Patient) -> int:
    """Make the patient's unused invitation links stop working; returns how many were open."""
    now = timezone.now()
    return Invitation.objects.filter(patient=patient, used_at__isnull=True, expires_at__gt=now).update(expires_at=now)
