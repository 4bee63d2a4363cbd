"""Writes for clinics and their staff."""

from __future__ import annotations

from django.db import transaction
from django.utils.text import slugify

from clinic.models import Clinic, ClinicSettings, Membership, User


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
