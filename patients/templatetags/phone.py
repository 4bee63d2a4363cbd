"""Template helpers of the patient's phone pages."""

from __future__ import annotations

from django import template

from patients import outbox
from patients.models import Patient

register = template.Library()


@register.filter
def outbox_owner(patient) -> str:
    """The owner tag the outbox script files the page's entries under; "" when no patient is signed in."""
    # Anything but a patient (None, or "" for a variable a template does not have) owns nothing.
    return outbox.outbox_owner(patient) if isinstance(patient, Patient) else ""
