"""The cache behind `clinic.tenancy.cached_actor`: a short-timeout alias, a per-process breaker, plain values.

Three rules keep it safe:

- **It never slows a request down.** The caller cache has its own alias (`ACCESS_CACHE_ALIAS`), whose
  Redis socket timeouts are a fraction of a second (settings.py), unlike the default cache's 2 s. The
  first error or timeout opens a per-process breaker: for `ACCESS_CACHE_BREAK_SECONDS` every request
  goes straight to the database without touching the cache, so a hung Redis costs one short wait per
  process, not one per request (a session log must answer within 2 s with the broker hung:
  tests/integration/test_reliability.py).
- **It holds ids and plain values only.** Model instances are never pickled: each row is kept as a
  dict of chosen columns (ints, strings, booleans, dates) and rebuilt with `Model.from_db`. A patient
  record keeps no health data (no date of birth, condition, side or surgery date); a page that reads
  one of those loads the columns left out, in one query, from the database.
- **It is never shared across users.** The key names the user (tenancy adds the user's id, creation
  time and access version), and the entry names them again: an entry for anyone else is ignored.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db.models import Model

logger = logging.getLogger(__name__)

_closed_until = 0.0  # monotonic time before which this process does not ask the cache (the breaker is open)


def access_cache_open() -> bool:
    """Whether the breaker lets this process ask the cache now."""
    return time.monotonic() >= _closed_until


def access_cache_reset() -> None:
    """Close the breaker (tests; a deploy starts closed)."""
    global _closed_until
    _closed_until = 0.0


def _trip(what: str) -> None:
    global _closed_until
    _closed_until = time.monotonic() + settings.ACCESS_CACHE_BREAK_SECONDS
    logger.warning("caller cache %s failed; resolving callers from the database for %s s", what,
                   settings.ACCESS_CACHE_BREAK_SECONDS, exc_info=True)


def access_cache_get(key: str) -> Any:
    """The entry under `key`, or None when absent, when the breaker is open, or when the cache fails."""
    if not access_cache_open():
        return None
    try:
        return caches[settings.ACCESS_CACHE_ALIAS].get(key)
    except Exception:  # noqa: BLE001 - a cache outage costs queries, never a request
        _trip("read")
        return None


def access_cache_set(key: str, value: Any, seconds: int) -> None:
    if not access_cache_open():
        return
    try:
        caches[settings.ACCESS_CACHE_ALIAS].set(key, value, seconds)
    except Exception:  # noqa: BLE001
        _trip("write")


# --- Rows as plain values --------------------------------------------------------------------------------------


def row_values(instance: Model | None, *, leave_out: frozenset[str] = frozenset()) -> dict[str, Any] | None:
    """The concrete columns of `instance` (by attname, in model order), but those named in `leave_out`."""
    if instance is None:
        return None
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields
            if field.attname not in leave_out}


def row_build(model: type[Model], values: dict[str, Any] | None) -> Model | None:
    """The instance `row_values` described, as loaded from the database; columns left out are deferred.

    Reading a deferred column loads every deferred column at once (one query, not one per column).
    """
    if values is None:
        return None
    names = [field.attname for field in model._meta.concrete_fields if field.attname in values]
    instance = model.from_db("default", names, [values[name] for name in names])
    if len(names) != len(model._meta.concrete_fields):
        instance.refresh_from_db = _DeferredTogether(instance)
    return instance


class _DeferredTogether:
    """`refresh_from_db` of a rebuilt instance: a deferred column asked for alone brings the others with it.

    A module-level class rather than a closure, so the instance still pickles and copies.
    """

    def __init__(self, instance: Model):
        self.instance = instance

    def __call__(self, using=None, fields=None, **kwargs):
        instance = self.instance
        deferred = instance.get_deferred_fields()
        if fields is not None and deferred and set(fields) <= deferred:
            fields = sorted(deferred)
        return type(instance).refresh_from_db(instance, using=using, fields=fields, **kwargs)
