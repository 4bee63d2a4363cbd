"""Template context for every page: the navigation's count of open flags."""

from __future__ import annotations

from functools import cache
from typing import Any

from patients.selectors import open_flag_count


def open_flags(request) -> dict[str, Any]:
    """`open_flag_count` for staff: counted once, and only if the page's navigation shows it (one query)."""
    actor = getattr(request, "actor", None)
    if actor is None or not actor.is_staff_member:
        return {}
    # The template engine calls a callable it finds in the context; cache() makes that one query per page.
    return {"open_flag_count": cache(lambda: open_flag_count(actor=actor))}
