"""Helpers of the sign-in security tests: signing in, ageing a session, two-factor switches."""

from __future__ import annotations

import time

from clinic import security
from clinic.models import ClinicSettings
from tests.factories import PASSWORD

LOGIN = "/accounts/login/"
PATIENTS = "/patients/"
LOCKED = "Too many failed attempts for this e-mail from this network. Try again in 15 minutes or reset your password."


def sign_in(client, email, password=PASSWORD, ip="10.0.0.1", **extra):
    return client.post(LOGIN, {"username": email, "password": password}, REMOTE_ADDR=ip, **extra)


def signed_in_as(client):
    return client.session.get("_auth_user_id")


def unthrottle(device):
    """Forget wrong codes (django-otp makes the next try wait after each), as if time had passed."""
    type(device).objects.filter(pk=device.pk).update(throttling_failure_count=0, throttling_failure_timestamp=None)


def require_two_factor(clinic):
    ClinicSettings.objects.filter(clinic=clinic).update(require_two_factor=True)


def age_session(client, **seconds_ago):
    """Move the session's clocks back: signed_in=..., last_seen=... seconds ago."""
    session = client.session
    now = int(time.time())
    if "signed_in" in seconds_ago:
        session[security.SIGNED_IN_AT] = now - seconds_ago["signed_in"]
    if "last_seen" in seconds_ago:
        session[security.LAST_SEEN] = now - seconds_ago["last_seen"]
    session.save()
