"""Template context shared by every page."""

from __future__ import annotations

from functools import cache
from typing import Any

from clinic import selectors


def clinic_admin_alerts(request) -> dict[str, Any]:
    """For clinic admins: how many staff e-mails failed, counted once per page and only if the page shows it."""
    actor = getattr(request, "actor", None)
    if actor is None or not actor.is_clinic_admin:
        return {}
    return {"failed_notifications": cache(lambda: selectors.notification_failed_count(actor=actor))}
