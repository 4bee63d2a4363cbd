"""`SignInSecurityMiddleware`: the staff session limits and the two-factor hold, enforced in one place."""

from __future__ import annotations

import logging
import time
from functools import partial
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import OTPMiddleware
from django_otp.models import Device

from clinic.api.authentication import KEYWORD
from clinic.security.sessions import (
    TWO_FACTOR_NOT_NEEDED_UNTIL,
    SessionEnd,
    session_end_message,
    session_end_reason,
)
from clinic.security.two_factor import (
    NEED_NOTHING,
    NEED_VERIFY,
    TWO_FACTOR_API_MESSAGE,
    can_open_site_admin,
    two_factor_need,
    uses_two_factor,
)
from clinic.tenancy import ANONYMOUS

logger = logging.getLogger(__name__)


def _is_api(request) -> bool:
    return request.path_info.startswith("/api/")


def _sends_api_key(request) -> bool:
    # Mirrors ApiKeyAuthentication: with this keyword the key, never the session, authenticates.
    header = request.META.get("HTTP_AUTHORIZATION", "")
    return header.partition(" ")[0] == KEYWORD


class TwoFactorStateMiddleware(OTPMiddleware):
    """django-otp's middleware (`request.user.otp_device`, `is_verified()`) without a query per request.

    Placed after the tenancy middleware: the device this session was verified with counts only while it is
    among the caller's confirmed devices that tenancy resolved and cached (`Actor.two_factor`, dropped by any
    device change), and is loaded only if something reads it. Callers resolved without those facts (patients,
    anonymous requests) get django-otp's own check.
    """

    def _verify_user_sync(self, request, user):
        state = getattr(getattr(request, "actor", None), "two_factor", None)
        if state is None or not user.is_authenticated:
            return super()._verify_user_sync(request, user)
        self._init_user_fields(user)
        persistent_id = request.session.get(DEVICE_ID_SESSION_KEY)
        if persistent_id:
            persistent_id = self._normalize_persistent_id(persistent_id)
            if persistent_id in state.device_ids:
                user.otp_device = SimpleLazyObject(partial(Device.from_persistent_id, persistent_id))
            else:
                del request.session[DEVICE_ID_SESSION_KEY]  # removed or unconfirmed: no longer verified
        return user


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
        end = session_end_reason(request.session, now)
        if end is not None:
            return self._end_session(request, end)
        need = self._two_factor_need(request)
        if need and not self._may_pass_unverified(request):
            if _is_api(request):
                return JsonResponse({"detail": TWO_FACTOR_API_MESSAGE}, status=403)
            return redirect(self._two_factor_url(request, need))
        return self.get_response(request)

    @staticmethod
    def _two_factor_need(request) -> str:
        """Asked on every request, without a query: the two-factor facts come cached with the caller's role
        (`Actor.two_factor`) and are resolved again after any change to them, so a device added elsewhere or a
        clinic starting to require it is seen on the next request."""
        if not uses_two_factor(user=request.user, actor=request.actor):
            return NEED_NOTHING
        request.session.pop(TWO_FACTOR_NOT_NEEDED_UNTIL, None)  # a minute's trust kept by earlier releases
        return two_factor_need(user=request.user, actor=request.actor)

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
        user_id = request.user.pk
        logout(request)  # flushes the session server-side: the old cookie is worthless
        request.actor = ANONYMOUS
        logger.info("session of user %s ended: %s", user_id, end.reason)
        if _is_api(request):
            # Carry on as anonymous: the API answers 401 like for any request without credentials.
            return self.get_response(request)
        messages.warning(request, session_end_message(end))
        url = reverse("login")
        if request.method in ("GET", "HEAD"):
            url += "?" + urlencode({"next": request.get_full_path()})
        return redirect(url)
