"""Writes for clinics and their staff."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from clinic.models import Clinic, ClinicSettings, Membership, User

logger = logging.getLogger(__name__)


@transaction.atomic
def clinic_create(*, name: str, slug: str | None = None, timezone: str | None = None) -> Clinic:
    """Create a clinic with its settings row (engine defaults, no automatic progression)."""
    clinic = Clinic(name=name, slug=slug or slugify(name))
    if timezone:
        clinic.timezone = timezone
    clinic.full_clean()
    clinic.save()
    ClinicSettings.objects.create(clinic=clinic)
    return clinic


@transaction.atomic
def user_create(*, email: str, password: str | None, first_name: str = "", last_name: str = "") -> User:
    user = User(email=User.objects.normalize_email(email).lower(), first_name=first_name, last_name=last_name)
    user.set_password(password) if password else user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    return user


@transaction.atomic
def staff_member_add(*, clinic: Clinic, user: User, role: str = Membership.Role.THERAPIST) -> Membership:
    """Give a user a role (admin or therapist) in a clinic."""
    membership = Membership(clinic=clinic, user=user, role=role)
    membership.full_clean()
    membership.save()
    return membership


API_KEY_MARK = "bsk"
LAST_USED_RESOLUTION_S = 60


def _api_key_hash(raw: str) -> str:
    import hashlib

    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def api_key_create(*, clinic: Clinic, name: str, created_by=None, expires_days: int | None = None):
    """Create a read-only API key for a clinic; returns (row, the key in clear: shown once, never stored)."""
    import datetime as dt
    import secrets

    from django.core.exceptions import ValidationError
    from django.utils import timezone

    from clinic.models import ApiKey

    if expires_days is not None and expires_days < 1:
        raise ValidationError({"expires_days": "A key must be valid for at least one day."})
    prefix = secrets.token_hex(6)
    raw = f"{API_KEY_MARK}_{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(
        clinic=clinic,
        name=name.strip(),
        prefix=prefix,
        key_hash=_api_key_hash(raw),
        created_by=created_by,
        expires_at=timezone.now() + dt.timedelta(days=expires_days) if expires_days else None,
    )
    key.full_clean()
    key.save()
    return key, raw


def api_key_revoke(*, key) -> None:
    from django.utils import timezone

    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])


def api_key_authenticate(raw: str):
    """The usable key for `raw` (not revoked, not expired, clinic active), or None."""
    import hmac

    from django.utils import timezone

    from clinic.models import ApiKey

    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_MARK:
        return None
    key = ApiKey.objects.select_related("clinic").filter(prefix=parts[1]).first()
    now = timezone.now()
    if key is None or not hmac.compare_digest(key.key_hash, _api_key_hash(raw)):
        return None
    if not key.is_usable(now) or not key.clinic.is_active:
        return None
    # Record use at most once a minute: a write per request would cost more than the read.
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > LAST_USED_RESOLUTION_S:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


# ---------------------------------------------------------------------------
# Clinic administration: staff invitations, deactivation, clinic settings
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class StaffInvitation:
    """What `therapist_invite` did: the membership, and the password link (None for an existing account)."""

    membership: Membership
    link: str | None
    created_user: bool


def staff_password_link(user: User) -> str:
    """A link for `user` to choose a password, on Django's password-reset confirmation page.

    Django's token generator signs the current password hash and last login, so
    the link stops working once a password is chosen, and after PASSWORD_RESET_TIMEOUT.
    """
    from django.conf import settings
    from django.contrib.auth.tokens import default_token_generator
    from django.urls import reverse
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return settings.SITE_URL + reverse("password_reset_confirm", kwargs={"uidb64": uidb64, "token": token})


def staff_link_valid_days() -> int:
    from django.conf import settings

    return max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)


def _staff_email_send(*, template: str, subject: str, to: str, context: dict) -> None:
    """Send after commit; a mail server that is down must not undo the invitation (the link is also shown)."""
    from django.core.mail import send_mail
    from django.template.loader import render_to_string

    def send():
        try:
            send_mail(subject, render_to_string(template, context), None, [to])
        except Exception:
            logger.warning("staff e-mail %s could not be sent", template, exc_info=True)

    transaction.on_commit(send)


@transaction.atomic
def therapist_invite(
    *,
    clinic: Clinic,
    email: str,
    first_name: str = "",
    last_name: str = "",
    role: str = Membership.Role.THERAPIST,
    invited_by: User | None = None,
) -> StaffInvitation:
    """Add a therapist or clinic admin to a clinic and e-mail them.

    A new address gets an account with no usable password and a link to choose
    one. An existing account with no role anywhere is added as it is and told
    by e-mail; it gets no password link, because the link is also shown to the
    admin and must not let them take over an account that already has a password.
    Accounts that are patients, belong to another clinic or are deactivated
    cannot be invited: a second role would not work (a user has one role).
    """
    from patients.models import Patient

    email = User.objects.normalize_email(email.strip()).lower()
    user = User.objects.filter(email__iexact=email).first()
    created = user is None
    if user is None:
        user = user_create(email=email, password=None, first_name=first_name.strip(), last_name=last_name.strip())
    elif Membership.objects.filter(user=user, clinic=clinic).exists():
        raise ValidationError({"email": f"{email} is already on this clinic's staff list."})
    elif not user.is_active or user.memberships.exists() or Patient.objects.filter(user=user).exists():
        # Deliberately vague: other clinics' staff and patients are not this admin's business.
        raise ValidationError({"email": "This e-mail address cannot be invited. Ask the person for another address."})
    membership = staff_member_add(clinic=clinic, user=user, role=role)
    link = staff_password_link(user) if not user.has_usable_password() else None
    _staff_invitation_email(membership=membership, link=link, invited_by=invited_by)
    logger.info("user %s invited to clinic %s as %s (new account: %s)", user.pk, clinic.pk, role, created)
    return StaffInvitation(membership=membership, link=link, created_user=created)


def _staff_invitation_email(*, membership: Membership, link: str | None, invited_by: User | None) -> None:
    from django.conf import settings
    from django.urls import reverse

    clinic = membership.clinic
    _staff_email_send(
        template="emails/staff_invitation.txt" if link else "emails/staff_added.txt",
        subject=f"You have been added to {clinic.name} in Backstep",
        to=membership.user.email,
        context={
            "clinic": clinic.name,
            "role": str(membership.get_role_display()).lower(),
            "invited_by": str(invited_by) if invited_by else "",
            "link": link,
            "sign_in": settings.SITE_URL + reverse("login"),
            "days": staff_link_valid_days(),
        },
    )


@transaction.atomic
def staff_invite_resend(*, membership: Membership, invited_by: User | None = None) -> str:
    """A fresh password link for a staff member who has not chosen a password yet; e-mailed and returned."""
    user = membership.user
    if user.has_usable_password():
        raise ValidationError(f"{user.email} has already chosen a password and can sign in.")
    if not user.is_active:
        raise ValidationError(f"{user.email} is deactivated. Reactivate them first.")
    link = staff_password_link(user)
    _staff_invitation_email(membership=membership, link=link, invited_by=invited_by)
    logger.info("invitation re-sent to user %s for clinic %s", user.pk, membership.clinic_id)
    return link


def _staff_change_check(*, membership: Membership, by: User | None, verb: str) -> None:
    user = membership.user
    if by is not None and user.pk == by.pk:
        raise ValidationError(f"You cannot {verb} your own account. Ask another clinic admin.")
    if Membership.objects.filter(user=user).exclude(clinic_id=membership.clinic_id).exists():
        # is_active is per account: changing it here would lock them out of (or into) another clinic too.
        raise ValidationError(f"{user.email} also belongs to another clinic; ask Backstep support to {verb} them.")


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
    from importlib import import_module

    from django.conf import settings
    from django.contrib.sessions.models import Session
    from django.utils import timezone

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


def _override_value(name: str, value):
    """JSON-friendly numbers: Decimal from forms becomes int when whole (as the engine's defaults are), else float."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float) and value.is_integer() and ClinicSettings.ENGINE_SETTING_NAMES.get(name) is int:
        return int(value)
    return value


def engine_overrides_check(overrides: dict) -> None:
    """Ask the engine itself whether it accepts these overrides; ValidationError keyed by setting name.

    The same rules then hold here and in every progression check (an override
    the engine refused would make every check of the clinic fail).
    """
    from protocols.engine import EngineInputError, parse_input

    minimal_input = {
        "condition": "pfp",
        "today": "2026-01-01",
        "baseline_pain": 0,
        "frequency_per_week": 1,
        "ladder": [{"speed_kmh": 1, "incline_pct": 0, "duration_min": 1}],
        "current_step": 0,
        "settings": overrides,
    }
    try:
        parse_input(minimal_input)
    except EngineInputError as error:
        name = error.field.removeprefix("settings.")
        key = name if name in ClinicSettings.ENGINE_SETTING_NAMES else "engine_overrides"
        raise ValidationError({key: f"{name} {error.message}."}) from None


@transaction.atomic
def clinic_contact_update(*, clinic: Clinic, phone: str, email: str, hours: str,
                          updated_by: User | None) -> ClinicSettings:
    """Set how patients reach the clinic: phone, e-mail and opening hours, each on one line (may be empty)."""
    row = ClinicSettings.objects.select_for_update().filter(clinic=clinic).first() or ClinicSettings(clinic=clinic)
    row.contact_phone, row.contact_email, row.contact_hours = phone.strip(), email.strip(), hours.strip()
    row.updated_by = updated_by
    row.full_clean()
    row.save()
    logger.info("clinic %s contact updated by user %s", clinic.pk, getattr(updated_by, "pk", None))
    return row


@transaction.atomic
def clinic_settings_update(
    *,
    clinic: Clinic,
    engine_overrides: dict,
    auto_apply_progressions: bool,
    updated_by: User | None,
) -> ClinicSettings:
    """Replace the clinic's engine overrides and the automatic-progression switch, recording who did it.

    `engine_overrides` maps setting names to numbers; None means "use the
    engine's default" and is not stored, so a later change of a default
    reaches every clinic that did not override it.
    """
    overrides = {
        name: _override_value(name, value) for name, value in engine_overrides.items() if value is not None
    }
    row = ClinicSettings.objects.select_for_update().filter(clinic=clinic).first() or ClinicSettings(clinic=clinic)
    row.engine_overrides = overrides
    row.auto_apply_progressions = bool(auto_apply_progressions)
    row.updated_by = updated_by
    row.full_clean()
    engine_overrides_check(overrides)
    row.save()
    logger.info("clinic %s settings updated by user %s: overrides %s, automatic progression %s",
                clinic.pk, getattr(updated_by, "pk", None), sorted(overrides), row.auto_apply_progressions)
    return row
