"""Writes for the settings pages: a patient's choice, the clinic's defaults, push subscriptions, unsubscribe."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlparse

from django.core.exceptions import ValidationError
from django.db import transaction

from patients.models import Patient
from reminders.mail import unsubscribe_patient_id
from reminders.models import ClinicReminderDefaults, PushSubscription, ReminderPreference

ENDPOINT_SCHEMES = ("https://",)


def preference_save(*, preference: ReminderPreference) -> ReminderPreference:
    """Save a patient's reminder choice (a form-filled instance, new or existing)."""
    preference.full_clean()
    preference.save()
    return preference


def clinic_defaults_save(*, defaults: ClinicReminderDefaults) -> ClinicReminderDefaults:
    defaults.full_clean()
    defaults.save()
    return defaults


def push_subscribe(*, patient: Patient, endpoint: str, p256dh: str, auth: str,
                   allow_http: bool = False) -> PushSubscription:
    """Record (or move to this patient) a browser's push subscription; the endpoint is the key."""
    if not endpoint.startswith(ENDPOINT_SCHEMES) and not (allow_http and endpoint.startswith("http://")):
        raise ValidationError({"endpoint": "A push endpoint must be an https:// URL."})
    if not allow_http and not public_host(endpoint):
        raise ValidationError({"endpoint": "A push endpoint must be a push service on the internet."})
    if not p256dh or not auth or len(p256dh) > 200 or len(auth) > 64:
        raise ValidationError({"keys": "The subscription's keys are missing or malformed."})
    with transaction.atomic():
        subscription = PushSubscription.objects.select_for_update().filter(endpoint=endpoint).first()
        subscription = subscription or PushSubscription(endpoint=endpoint)
        subscription.patient, subscription.p256dh, subscription.auth = patient, p256dh, auth
        subscription.full_clean()
        subscription.save()
    return subscription


def public_host(url: str) -> bool:
    """Whether a URL names a host on the internet: not localhost, nor a private, loopback or link-local address.

    The worker posts to the endpoint a browser gave us; this keeps it from being pointed at the server's own
    network (push services are public hosts with names).
    """
    host = (urlparse(url).hostname or "").lower()
    if not host or host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return True
    return address.is_global


def push_unsubscribe(*, patient: Patient, endpoint: str) -> int:
    """Forget this patient's subscription at `endpoint`; returns how many were removed (0 or 1)."""
    deleted, _ = PushSubscription.objects.filter(patient=patient, endpoint=endpoint).delete()
    return deleted


def email_unsubscribe(*, token: str) -> Patient | None:
    """Turn e-mail reminders off for the patient a signed token names; None for a token not made here."""
    patient_id = unsubscribe_patient_id(token)
    patient = Patient.objects.filter(pk=patient_id).first() if patient_id else None
    if patient is None:
        return None
    with transaction.atomic():
        preference = ReminderPreference.objects.select_for_update().filter(patient=patient).first()
        if preference is None:
            defaults = ClinicReminderDefaults.objects.filter(clinic_id=patient.clinic_id).first()
            preference = ReminderPreference(patient=patient)
            if defaults:
                _copy_settings(defaults, preference)
        preference.email_enabled = False
        preference.save()
    return patient


def _copy_settings(source, target) -> None:
    for name in ("training_enabled", "training_time", "training_weekdays", "checkin_enabled", "checkin_time",
                 "nudge_enabled", "nudge_after_days", "quiet_start", "quiet_end", "push_enabled", "email_enabled"):
        setattr(target, name, getattr(source, name))
