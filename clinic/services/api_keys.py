"""Reporting systems' API keys: created (shown once), revoked, and checked on every API request."""

from __future__ import annotations

import datetime as dt
import hmac
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from clinic.models import ApiKey, Clinic
from clinic.tokens import token_hash

API_KEY_MARK = "bsk"
LAST_USED_RESOLUTION_S = 60


@transaction.atomic
def api_key_create(*, clinic: Clinic, name: str, created_by=None, expires_days: int | None = None):
    """Create a read-only API key for a clinic; returns (row, the key in clear: shown once, never stored)."""
    if expires_days is not None and expires_days < 1:
        raise ValidationError({"expires_days": "A key must be valid for at least one day."})
    prefix = secrets.token_hex(6)
    raw = f"{API_KEY_MARK}_{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(
        clinic=clinic,
        name=name.strip(),
        prefix=prefix,
        key_hash=token_hash(raw),
        created_by=created_by,
        expires_at=timezone.now() + dt.timedelta(days=expires_days) if expires_days else None,
    )
    key.full_clean()
    key.save()
    return key, raw


def api_key_revoke(*, key) -> None:
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])


def api_key_authenticate(raw: str):
    """The usable key for `raw` (not revoked, not expired, clinic active), or None."""
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_MARK:
        return None
    key = ApiKey.objects.select_related("clinic").filter(prefix=parts[1]).first()
    now = timezone.now()
    if key is None or not hmac.compare_digest(key.key_hash, token_hash(raw)):
        return None
    if not key.is_usable(now) or not key.clinic.is_active:
        return None
    # Record use at most once a minute: a write per request would cost more than the read.
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > LAST_USED_RESOLUTION_S:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key
