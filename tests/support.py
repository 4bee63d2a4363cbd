"""Test helpers shared by app tests and the cross-app suites (the authorization matrix, browser tests)."""

from __future__ import annotations

import time

from django_otp.oath import TOTP

from clinic import security


def code_for(device) -> str:
    """The authenticator's code for the next time step it will accept (codes are never accepted twice)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if totp.t() <= device.last_t:
        totp.time += device.step * (device.last_t + 1 - totp.t())
    return f"{totp.token():0{device.digits}d}"


def turn_on_two_factor(user):
    """A confirmed authenticator and ten recovery codes, through the real services."""
    pending = security.authenticator_pending(user=user)
    device, codes = security.two_factor_confirm(user=user, code=code_for(pending))
    return device, codes
