"""Joining by code or QR in the clinic: a short one-time code, valid 15 minutes, that lets the patient set a password.

The therapist shows the code (and a QR code of its link) on the patient page;
the patient types or scans it on their phone, chooses a password and is
signed in — no e-mail is sent. Codes are 8 characters from an alphabet
without look-alikes (40 bits), kept only as an HMAC keyed with SECRET_KEY (a
stolen row cannot be brute-forced offline), single use, and a new code voids
the previous one. Wrong codes are counted per client address and in total
(the cache): past the limit, every attempt is refused for the lockout
window, so guessing a live code is hopeless. The invitation e-mail
(`invitations`) stays as the other way in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from clinic.models import User
from patients.models import JoinCode, Patient

logger = logging.getLogger(__name__)

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
CODE_LENGTH = 8
JOIN_CODE_MINUTES = 15
LOCKOUT_SECONDS = 15 * 60
FAILURES_PER_ADDRESS = 10
FAILURES_IN_TOTAL = 200


class JoinRefused(Exception):
    """The code cannot be used: reason is unknown, expired, used, activated or locked."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def normalize_code(raw: str) -> str:
    """What the patient typed, as stored: capitals, no spaces or dashes."""
    return "".join(ch for ch in (raw or "").upper() if ch.isalnum())


def format_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def code_hash(code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"join:{normalize_code(code)}".encode(), hashlib.sha256).hexdigest()


def patient_activated(patient: Patient) -> bool:
    """Whether the patient already has a login with a password (then a code cannot join them again)."""
    return patient.user is not None and patient.user.has_usable_password()


@transaction.atomic
def join_code_create(*, patient: Patient, created_by=None) -> tuple[JoinCode, str]:
    """A new code for the patient (returned once, formatted ABCD-2345); earlier open codes stop working."""
    if patient_activated(patient):
        raise ValidationError(gettext("This patient has already joined: they sign in with their e-mail and password."))
    now = timezone.now()
    JoinCode.objects.filter(patient=patient, used_at__isnull=True, voided_at__isnull=True).update(voided_at=now)
    code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    join_code = JoinCode.objects.create(patient=patient, code_hash=code_hash(code), created_by=created_by,
                                        expires_at=now + dt.timedelta(minutes=JOIN_CODE_MINUTES))
    logger.info("join code %s created for patient %s", join_code.pk, patient.pk)
    return join_code, format_code(code)


def _failure_keys(address: str | None) -> tuple[str, str]:
    return f"join-code:fail:{address or 'unknown'}", "join-code:fail:all"


def join_locked(address: str | None) -> bool:
    """Whether attempts from this address (or everyone's, after a burst) are refused for now."""
    per_address, total = _failure_keys(address)
    counts = cache.get_many([per_address, total])
    return counts.get(per_address, 0) >= FAILURES_PER_ADDRESS or counts.get(total, 0) >= FAILURES_IN_TOTAL


def _count_failure(address: str | None) -> None:
    for key in _failure_keys(address):
        cache.add(key, 0, timeout=LOCKOUT_SECONDS)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=LOCKOUT_SECONDS)


def _usable(join_code: JoinCode | None, now: dt.datetime) -> str | None:
    """Why a code cannot be used now (a JoinRefused reason), or None."""
    if join_code is None:
        return "unknown"
    if join_code.used_at is not None:
        return "used"
    if join_code.voided_at is not None or join_code.expires_at <= now:
        return "expired"
    if patient_activated(join_code.patient):
        return "activated"
    return None


def join_code_check(*, code: str, address: str | None) -> JoinCode:
    """The open code the patient typed; JoinRefused otherwise (a wrong code counts toward the lockout)."""
    if join_locked(address):
        logger.warning("join code attempt refused: locked out")
        raise JoinRefused("locked")
    normalized = normalize_code(code)
    join_code = None
    if len(normalized) == CODE_LENGTH:
        join_code = (JoinCode.objects.select_related("patient__user", "patient__clinic")
                     .filter(code_hash=code_hash(normalized)).first())
    reason = _usable(join_code, timezone.now())
    if reason is not None:
        if reason == "unknown":
            _count_failure(address)
        logger.warning("join code attempt failed (%s)%s", reason, f" for code {join_code.pk}" if join_code else "")
        raise JoinRefused(reason)
    return join_code


@transaction.atomic
def join_code_redeem(*, join_code_id: int, password: str, email: str = "") -> User:
    """Use an open code: the patient's login is created (or given its first password); returns the user."""
    join_code = (JoinCode.objects.select_for_update(of=("self",)).select_related("patient__user")
                 .filter(pk=join_code_id).first())
    reason = _usable(join_code, timezone.now())
    if reason is not None:
        raise JoinRefused(reason)
    patient = join_code.patient
    user = patient.user
    if user is None:
        address = User.objects.normalize_email(patient.email or email)
        if not address:
            raise ValidationError({"email": gettext("Type the e-mail address you will sign in with.")})
        if User.objects.filter(email__iexact=address).exists():
            raise ValidationError({"email": gettext("This e-mail already has a Backstep login. Ask your clinic to send "
                                            "you an invitation e-mail instead.")})
        user = User.objects.create_user(address, password, first_name=patient.first_name,
                                        last_name=patient.last_name)
        patient.user = user
        patient.email = patient.email or user.email
        patient.save(update_fields=["user", "email", "updated_at"])
    else:
        user.set_password(password)
        user.save(update_fields=["password"])
    join_code.used_at = timezone.now()
    join_code.save(update_fields=["used_at"])
    logger.info("join code %s used by patient %s", join_code.pk, patient.pk)
    return user
