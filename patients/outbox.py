"""Whose entry is it? The owner tag of entries queued in the phone's outbox.

A phone may be shared: an entry filled in on patient A's page can be sent
later, after B has signed in on the same browser. Every phone page and form
carries the signed-in patient's owner tag; the outbox script stores it with
each entry and sends an entry only from its owner's pages, and the phone views
refuse an entry whose tag is not the signed-in patient's. The tag is an HMAC
of the patient id keyed by SECRET_KEY: stable across sign-ins (an entry waits
for its owner), and neither the database id nor a name, so it can be neither
read nor made up from what a phone holds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.crypto import constant_time_compare, salted_hmac

if TYPE_CHECKING:
    from patients.models import Patient

OWNER_FIELD = "outbox_owner"
# What the phone views answer (with 409) for an entry of another patient; outbox.js knows it.
OTHER_ACCOUNT = "other-account"
_SALT = "backstep.patients.outbox-owner"


def outbox_owner(patient: Patient) -> str:
    """The patient's opaque owner tag (32 hex characters)."""
    return salted_hmac(_SALT, f"patient:{patient.pk}", algorithm="sha256").hexdigest()[:32]


def is_outbox_owner(patient: Patient, tag: str) -> bool:
    """Is `tag` this patient's owner tag?"""
    return constant_time_compare(tag, outbox_owner(patient))
