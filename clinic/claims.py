"""Claimed, heart-beating background work on a row: one helper for every job that must survive a dead worker.

A run takes a row by writing a fresh `claim_token` and `claimed_at` (and adding
one to `attempts`) in one UPDATE that only matches a claimable row; it keeps
`claimed_at` fresh while it works, and writes its outcome only while it still
holds the token. A worker that dies leaves a claim that goes stale, and the
next run may take the row again. Used by exercise media's transcode and bulk
FHIR exports; the model needs `claim_token`, `claimed_at` and `attempts`.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from django.db.models import F, Model, Q
from django.utils import timezone


def claim(model: type[Model], pk: int, claimable: Q, *, now, **fields) -> tuple[str, int] | None:
    """Take row `pk` if it matches `claimable`, writing `fields` too: (token, attempt number) or None."""
    token = secrets.token_hex(16)
    taken = model._default_manager.filter(claimable, pk=pk).update(
        claim_token=token, claimed_at=now, attempts=F("attempts") + 1, **fields)
    if not taken:
        return None
    return token, model._default_manager.values_list("attempts", flat=True).get(pk=pk)


def finish(model: type[Model], pk: int, token: str, **fields) -> bool:
    """Write the outcome only if this run still holds the claim (a stale run never overwrites a newer one)."""
    return bool(model._default_manager.filter(pk=pk, claim_token=token).update(claim_token="", **fields))


@dataclass
class Heartbeat:
    """Keeps a claim fresh (at most every `every` seconds) and tells the run whether it still holds it."""

    model: type[Model]
    pk: int
    token: str
    every: float = 2.0
    last: float = 0.0

    def __call__(self, *, force: bool = False, **fields) -> bool:
        now = time.monotonic()
        if not force and now - self.last < self.every:
            return True
        self.last = now
        return bool(self.model._default_manager.filter(pk=self.pk, claim_token=self.token).update(
            claimed_at=timezone.now(), **fields))
