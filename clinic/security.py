"""Sign-in hardening: lockout after failed passwords, two-factor for staff, staff session limits.

- Failed sign-ins are counted by django-axes per (e-mail, client address): the
  fifth failure locks that pair for SIGN_IN_LOCKOUT_MINUTES, so an attacker on
  another network cannot lock the real user out. A success, or a password
  reset, clears the count. The lockout shows our sign-in page with status 429.
- Staff (therapists and clinic admins) and everyone who can open Django's
  admin (staff or superuser status), never patients, use TOTP two-factor
  (django-otp) with single-use recovery codes. A code is asked for whenever
  they have an authenticator set up; setting one up is required always under
  DJANGO_ENV=production, else for staff when their clinic says so
  (ClinicSettings.require_two_factor) and for admin users when the site says
  so (ADMIN_REQUIRE_TWO_FACTOR) or any clinic they belong to does.
  `two_factor_required` is that rule, in one place.
- Staff sessions end after STAFF_SESSION_IDLE_SECONDS without a request and
  STAFF_SESSION_MAX_SECONDS after signing in; patients keep 30 days.

`SignInSecurityMiddleware` enforces the last two in one place. The services
below (`two_factor_*`, `recovery_codes_*`) are the only code that creates,
confirms or removes devices.
"""

from __future__ import annotations

import logging
import time
from base64 import b32encode
from dataclasses import dataclass
from urllib.parse import urlencode

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, logout
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.qr import qr_svg

logger = logging.getLogger(__name__)

# Session keys (Unix seconds). Names are namespaced: other apps share the session.
SIGNED_IN_AT = "security.signed_in_at"
LAST_SEEN = "security.last_seen"
# Until when "this staff member needs no code" may be trusted without asking the database again.
TWO_FACTOR_NOT_NEEDED_UNTIL = "security.two_factor_not_needed_until"

# Refresh LAST_SEEN (a session write) and re-check the two-factor need at most this often.
ACTIVITY_RESOLUTION_S = 60
RECOVERY_CODE_COUNT = 10
AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_CODES_NAME = "Recovery codes"

TWO_FACTOR_API_MESSAGE = "Two-factor verification required: finish signing in in the browser."


# ---------------------------------------------------------------------------
# Failed sign-ins (django-axes)
# ---------------------------------------------------------------------------


class SignInLockoutBackend(AxesStandaloneBackend):
    """Refuses a locked-out (e-mail, address) pair before the password is checked.

    Axes' own backend raises when called without a request; code that calls
    `authenticate()` directly (scripts, tests) has no client address to lock,
    so it is let through to the model backend, which checks the password as usual.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def sign_in_username(request, credentials) -> str | None:
    """The e-mail a sign-in attempt is counted under: case and spaces do not make a new one."""
    username = (credentials or {}).get("username")
    if username is None and request is not None:
        username = request.POST.get("username")
    if not username:
        return None
    return str(username).strip().lower()


def sign_in_client_ip(request) -> str | None:
    """The client address a sign-in attempt is counted under: the same one the audit trail records."""
    from clinic.audit import client_ip

    return client_ip(request)


def sign_in_locked_out(request, original_response=None, credentials=None):
    """The sign-in page again, status 429, saying why and for how long (axes' AXES_LOCKOUT_CALLABLE)."""
    from clinic.forms import SignInForm

    minutes = settings.SIGN_IN_LOCKOUT_MINUTES
    form = SignInForm(request, initial={"username": sign_in_username(request, credentials) or ""})
    response = render(request, "registration/login.html", {
        "form": form,
        "next": request.POST.get("next", "") if request.method == "POST" else "",
        "locked_out_message": _(
            "Too many failed attempts for this e-mail from this network. Try again in %(minutes)s minutes "
            "or reset your password."
        ) % {"minutes": minutes},
    }, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response


def sign_in_failures_clear(*, email: str) -> int:
    """Forget failed sign-ins for `email` from every address, e.g. after a password reset; returns how many."""
    from axes.utils import reset

    return reset(username=email.strip().lower())


def password_proves(request, *, user, password: str) -> bool:
    """Whether `password` is `user`'s current password, checked as a sign-in is.

    Pages that ask for an existing password outside the sign-in page (an
    invitation to an existing account) go through this, so failures count
    towards the same (e-mail, address) lockout and a locked-out pair gets the
    same 429 page: such a page is no way round the limit for guessing passwords.
    """
    # An account without a usable password goes through authenticate() too: Django then hashes anyway and
    # axes counts the failure, so neither the time taken nor the lockout tells such an account apart.
    if not password:
        return False
    signed_in = authenticate(request, username=user.email, password=password)
    return signed_in is not None and signed_in.pk == user.pk


# ---------------------------------------------------------------------------
# Two-factor: what a staff member needs, and the device services
# ---------------------------------------------------------------------------

NEED_NOTHING = ""
NEED_VERIFY = "verify"
NEED_SETUP = "setup"


def can_open_site_admin(user) -> bool:
    """Whether Django's admin may let `user` in: an active account with staff or superuser status."""
    return bool(user.is_active and (user.is_staff or user.is_superuser))


def uses_two_factor(*, user, actor) -> bool:
    """Who signs in with a second factor at all: clinic staff and anyone who can open Django's admin.

    Patients (without admin rights) never are.
    """
    return actor.is_staff_member or can_open_site_admin(user)


def two_factor_required(*, user, actor) -> bool:
    """Whether `user` must have an authenticator: the one rule, for clinic staff and site administrators alike.

    - DJANGO_ENV=production: everyone who uses two-factor (see `uses_two_factor`);
    - clinic staff: when their clinic's settings require it;
    - anyone who can open Django's admin: when the site setting ADMIN_REQUIRE_TWO_FACTOR is on, or when any
      clinic they are staff of requires it (the admin reaches every clinic's patients).
    """
    from clinic.models import ClinicSettings

    if not uses_two_factor(user=user, actor=actor):
        return False
    if settings.PRODUCTION:
        return True
    if can_open_site_admin(user):
        if settings.ADMIN_REQUIRE_TWO_FACTOR:
            return True
        return ClinicSettings.objects.filter(
            require_two_factor=True, clinic__is_active=True, clinic__memberships__user=user).exists()
    return ClinicSettings.objects.filter(clinic=actor.clinic, require_two_factor=True).exists()


def authenticator_get(*, user):
    """The staff member's confirmed authenticator (TOTP) device, or None."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-id").first()


def two_factor_need(*, user, actor) -> str:
    """What stands between a signed-in user and the app: nothing, a code (verify) or an authenticator (setup).

    Only clinic staff and those who can open Django's admin are ever asked
    (`uses_two_factor`). One already verified in this session needs nothing;
    one with an authenticator always gives a code; one without needs to set
    one up only when `two_factor_required` says so.
    """
    if not uses_two_factor(user=user, actor=actor):
        return NEED_NOTHING
    # django-otp's middleware adds is_verified to request.user; a user without it (at sign-in) is not verified.
    if getattr(user, "is_verified", None) and user.is_verified():
        return NEED_NOTHING
    if authenticator_get(user=user) is not None:
        return NEED_VERIFY
    if two_factor_required(user=user, actor=actor):
        return NEED_SETUP
    return NEED_NOTHING


def authenticator_pending(*, user):
    """The unconfirmed authenticator being set up, created on first call.

    Reused on every visit to the set-up page, so reloading it does not change
    the QR code the staff member may already have scanned.
    """
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
    return device


def authenticator_secret(device) -> str:
    """The device's secret in base32, in groups of four, for typing into an app by hand."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def authenticator_qr_svg(device) -> str:
    """The device's otpauth:// link as an inline SVG QR code: drawn here, no request to anyone."""
    return qr_svg(device.config_url, title=_("QR code for your authenticator app"))


def is_recovery_code_device(device) -> bool:
    from django_otp.plugins.otp_static.models import StaticDevice

    return isinstance(device, StaticDevice)


def _normalized_code(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


class TwoFactorThrottled(ValidationError):
    """Too many wrong codes: django-otp makes the device wait before it checks another."""


def _recovery_codes_create(*, user) -> list[str]:
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

    # Same device, new tokens: a session verified with a recovery code stays verified.
    device = StaticDevice.objects.filter(user=user).order_by("id").first()
    if device is None:
        device = StaticDevice.objects.create(user=user, name=RECOVERY_CODES_NAME, confirmed=True)
    StaticDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.token_set.all().delete()
    codes = []
    while len(codes) < RECOVERY_CODE_COUNT:
        code = StaticToken.random_token()
        if code not in codes:
            codes.append(code)
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@transaction.atomic
def two_factor_confirm(*, user, code: str):
    """Turn on two-factor: check `code` against the pending authenticator.

    On success the authenticator is confirmed (any older one removed) and ten
    new recovery codes replace the old ones; returns (device, codes), the codes
    to be shown once. Returns None when the code is wrong.
    """
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        return None
    _raise_if_throttled(device)
    if not device.verify_token(_normalized_code(code)):
        return None
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _recovery_codes_create(user=user)
    logger.info("user %s turned on two-factor sign-in", user.pk)
    return device, codes


def _raise_if_throttled(device) -> None:
    allowed, info = device.verify_is_allowed()
    if allowed:
        return
    locked_until = (info or {}).get("locked_until")
    seconds = max(1, int((locked_until - timezone.now()).total_seconds())) if locked_until else 1
    raise TwoFactorThrottled(
        _("Too many wrong codes. Wait %(seconds)s seconds, then try the newest code.") % {"seconds": seconds}
    )


@transaction.atomic
def two_factor_verify(*, user, code: str):
    """The device that accepts `code`: a 6-digit authenticator code or an unused recovery code; else None.

    A recovery code is used up. Wrong codes slow further tries down
    (django-otp's throttling); TwoFactorThrottled says how long to wait.
    """
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    code = _normalized_code(code)
    if not code:
        return None
    # Route by shape, so a recovery code never counts as a wrong authenticator code.
    model = TOTPDevice if (code.isdigit() and len(code) == 6) else StaticDevice
    for device in model.objects.select_for_update().filter(user=user, confirmed=True).order_by("id"):
        _raise_if_throttled(device)
        if device.verify_token(code):
            if model is StaticDevice:
                logger.info("user %s used a recovery code (%s left)", user.pk, device.token_set.count())
            return device
    return None


@transaction.atomic
def recovery_codes_regenerate(*, user) -> list[str]:
    """Replace the staff member's recovery codes with ten new ones; the old ones stop working. Returns them."""
    if authenticator_get(user=user) is None:
        raise ValidationError(_("Turn on two-factor sign-in first."))
    codes = _recovery_codes_create(user=user)
    logger.info("user %s made new recovery codes", user.pk)
    return codes


def recovery_codes_left(*, user) -> int:
    from django_otp.plugins.otp_static.models import StaticToken

    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


@transaction.atomic
def two_factor_disable(*, user, actor) -> None:
    """Turn two-factor off: remove the authenticator and recovery codes. Refused where it is required."""
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if two_factor_required(user=user, actor=actor):
        if actor.is_staff_member:
            raise ValidationError(_("Your clinic requires two-factor sign-in, so it cannot be turned off."))
        raise ValidationError(_("Site administrators must use two-factor sign-in, so it cannot be turned off."))
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    logger.info("user %s turned off two-factor sign-in", user.pk)


@transaction.atomic
def clinic_two_factor_require(*, clinic, required: bool, updated_by) -> None:
    """Switch whether the clinic's staff must use two-factor sign-in, recording who changed it."""
    from clinic.models import ClinicSettings

    row = ClinicSettings.objects.select_for_update().filter(clinic=clinic).first() or ClinicSettings(clinic=clinic)
    row.require_two_factor = bool(required)
    row.updated_by = updated_by
    row.full_clean()
    row.save()
    logger.info("clinic %s two-factor requirement set to %s by user %s", clinic.pk, row.require_two_factor,
                getattr(updated_by, "pk", None))


# ---------------------------------------------------------------------------
# Session bookkeeping and the middleware
# ---------------------------------------------------------------------------


def session_security_start(*, request, user) -> None:
    """At every sign-in: start the staff session clocks and decide whether a code will be needed.

    Deciding here (and caching "nothing needed" for a minute) keeps the first
    pages after sign-in free of extra queries and session writes.
    """
    session = getattr(request, "session", None)
    if session is None:
        return
    from clinic.tenancy import resolve_actor

    now = int(time.time())
    session[SIGNED_IN_AT] = now
    session[LAST_SEEN] = now
    session.pop(TWO_FACTOR_NOT_NEEDED_UNTIL, None)
    actor = resolve_actor(user)
    if uses_two_factor(user=user, actor=actor) and two_factor_need(user=user, actor=actor) == NEED_NOTHING:
        session[TWO_FACTOR_NOT_NEEDED_UNTIL] = now + ACTIVITY_RESOLUTION_S


def on_user_logged_in(sender, request, user, **kwargs) -> None:
    """Signal receiver (connected in ClinicConfig.ready): start the session clocks at sign-in."""
    if request is not None:
        session_security_start(request=request, user=user)


@dataclass(frozen=True)
class SessionEnd:
    reason: str


def _session_end_reason(session, now: int) -> SessionEnd | None:
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


def _session_end_message(end: SessionEnd) -> str:
    if end.reason == "max":
        return _("You were signed out because you signed in more than %(hours)s hours ago. "
                 "Please sign in again.") % {"hours": settings.STAFF_SESSION_MAX_SECONDS // 3600}
    return _("You were signed out after %(minutes)s minutes without activity, to protect patient data. "
             "Please sign in again.") % {"minutes": settings.STAFF_SESSION_IDLE_SECONDS // 60}


def _is_api(request) -> bool:
    return request.path_info.startswith("/api/")


def _sends_api_key(request) -> bool:
    # Mirrors ApiKeyAuthentication: with this keyword the key, never the session, authenticates.
    from clinic.api.authentication import KEYWORD

    header = request.META.get("HTTP_AUTHORIZATION", "")
    return header.partition(" ")[0] == KEYWORD


class SignInSecurityMiddleware:
    """Ends idle and over-long staff sessions, and holds unverified staff at the two-factor pages.

    "Staff" here is everyone but patients, site administrators included: every
    page they ask for, Django's admin and its login page too, waits until
    `two_factor_need` has nothing left. Runs after django-otp's middleware
    (request.user.is_verified) and the tenancy middleware (request.actor).
    Patients who cannot open the admin, and anonymous requests, pass straight
    through. Requests sending an API key are not held: the key, not the
    session, authenticates them.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self._open_paths: tuple[str, ...] | None = None

    def open_paths(self) -> tuple[str, ...]:
        """Pages an unverified staff member may still reach (resolved on first use: the URLconf loads late).

        Django's admin has none: its login page would sign in again, not verify.
        """
        if self._open_paths is None:
            self._open_paths = (
                reverse("logout"), reverse("two-factor-verify"), reverse("two-factor-setup"),
                reverse("healthz"),
            )
        return self._open_paths

    def __call__(self, request):
        user = getattr(request, "user", None)
        actor = getattr(request, "actor", None)
        if user is None or not user.is_authenticated or actor is None:
            return self.get_response(request)
        if actor.is_patient and not can_open_site_admin(user):
            return self.get_response(request)
        now = int(time.time())
        end = _session_end_reason(request.session, now)
        if end is not None:
            return self._end_session(request, end)
        need = self._two_factor_need(request, now)
        if need and not self._may_pass_unverified(request):
            if _is_api(request):
                return JsonResponse({"detail": TWO_FACTOR_API_MESSAGE}, status=403)
            return redirect(self._two_factor_url(request, need))
        return self.get_response(request)

    def _two_factor_need(self, request, now: int) -> str:
        if not uses_two_factor(user=request.user, actor=request.actor):
            return NEED_NOTHING
        session = request.session
        not_needed_until = session.get(TWO_FACTOR_NOT_NEEDED_UNTIL)
        if isinstance(not_needed_until, int) and now < not_needed_until:
            return NEED_NOTHING
        need = two_factor_need(user=request.user, actor=request.actor)
        if need == NEED_NOTHING and not request.user.is_verified():
            # Re-checked a minute later: the clinic may start requiring it, or a device may be added elsewhere.
            session[TWO_FACTOR_NOT_NEEDED_UNTIL] = now + ACTIVITY_RESOLUTION_S
        else:
            session.pop(TWO_FACTOR_NOT_NEEDED_UNTIL, None)
        return need

    def _may_pass_unverified(self, request) -> bool:
        path = request.path_info
        if path in self.open_paths() or path.startswith(settings.STATIC_URL):
            return True
        return _is_api(request) and _sends_api_key(request)

    @staticmethod
    def _two_factor_url(request, need: str) -> str:
        url = reverse("two-factor-verify" if need == NEED_VERIFY else "two-factor-setup")
        if request.method in ("GET", "HEAD"):
            url += "?" + urlencode({"next": request.get_full_path()})
        return url

    def _end_session(self, request, end: SessionEnd):
        from clinic.tenancy import ANONYMOUS

        user_id = request.user.pk
        logout(request)  # flushes the session server-side: the old cookie is worthless
        request.actor = ANONYMOUS
        logger.info("session of user %s ended: %s", user_id, end.reason)
        if _is_api(request):
            # Carry on as anonymous: the API answers 401 like for any request without credentials.
            return self.get_response(request)
        messages.warning(request, _session_end_message(end))
        url = reverse("login")
        if request.method in ("GET", "HEAD"):
            url += "?" + urlencode({"next": request.get_full_path()})
        return redirect(url)
