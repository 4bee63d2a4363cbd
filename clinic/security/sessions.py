"""How long a signed-in session lasts: staff by the clock, patients for 30 days on their own phone.

- Staff (and everyone but patients, site administrators included) are signed
  out after STAFF_SESSION_IDLE_SECONDS without a request and
  STAFF_SESSION_MAX_SECONDS after signing in; the clocks start here at sign-in
  and `session_end_reason` reads them (SignInSecurityMiddleware acts on it).
- Patients stay signed in for PATIENT_SESSION_SECONDS (30 days) until they
  sign out: the phone is theirs, and the morning check-in should not start
  with a password.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from clinic.tenancy import access_warm
from patients.models import Patient

# Session keys (Unix seconds). Names are namespaced: other apps share the session.
SIGNED_IN_AT = "security.signed_in_at"
LAST_SEEN = "security.last_seen"
# Earlier releases kept "this staff member needs no code" here for a minute; now only removed where found
# (the two-factor facts are cached with the caller's role and dropped by any change: clinic.tenancy).
TWO_FACTOR_NOT_NEEDED_UNTIL = "security.two_factor_not_needed_until"

# Refresh LAST_SEEN (a session write) at most this often.
ACTIVITY_RESOLUTION_S = 60

PATIENT_SESSION_SECONDS = 30 * 24 * 60 * 60


def session_security_start(*, request, user) -> None:
    """At every sign-in: start the staff session clocks, and resolve the caller into the cache.

    Whether a code is needed is decided on every request from the caller's cached two-factor facts
    (clinic.tenancy.cached_actor), so nothing about it is kept in the session; resolving them here keeps
    the first page after sign-in as cheap as the next.
    """
    session = getattr(request, "session", None)
    if session is None:
        return
    now = int(time.time())
    session[SIGNED_IN_AT] = now
    session[LAST_SEEN] = now
    session.pop(TWO_FACTOR_NOT_NEEDED_UNTIL, None)
    access_warm(user)


def patient_session_keep(*, request, user) -> None:
    """Patients stay signed in on their own phone for 30 days (staff: the shorter default) until they sign out."""
    if hasattr(request, "session") and Patient.objects.filter(user=user).exists():
        request.session.set_expiry(PATIENT_SESSION_SECONDS)


def on_user_logged_in(sender, request, user, **kwargs) -> None:
    """Signal receiver (connected in ClinicConfig.ready): start the session clocks, keep patients signed in."""
    if request is not None:
        session_security_start(request=request, user=user)
        patient_session_keep(request=request, user=user)


@dataclass(frozen=True)
class SessionEnd:
    reason: str


def session_end_reason(session, now: int) -> SessionEnd | None:
    """Why a staff session is over (too long since sign-in, or idle), refreshing its clocks otherwise."""
    signed_in_at = session.get(SIGNED_IN_AT)
    last_seen = session.get(LAST_SEEN)
    if not isinstance(signed_in_at, int) or not isinstance(last_seen, int):
        session[SIGNED_IN_AT] = now if not isinstance(signed_in_at, int) else signed_in_at
        session[LAST_SEEN] = now
        return None
    if now - signed_in_at > settings.STAFF_SESSION_MAX_SECONDS:
        return SessionEnd("max")
    if now - last_seen > settings.STAFF_SESSION_IDLE_SECONDS:
        return SessionEnd("idle")
    if now - last_seen >= ACTIVITY_RESOLUTION_S:
        session[LAST_SEEN] = now  # at most one session write a minute
    return None


def session_end_message(end: SessionEnd) -> str:
    """What the sign-in page tells someone whose staff session `end` ended."""
    if end.reason == "max":
        return _("You were signed out because you signed in more than %(hours)s hours ago. "
                 "Please sign in again.") % {"hours": settings.STAFF_SESSION_MAX_SECONDS // 3600}
    return _("You were signed out after %(minutes)s minutes without activity, to protect patient data. "
             "Please sign in again.") % {"minutes": settings.STAFF_SESSION_IDLE_SECONDS // 60}
