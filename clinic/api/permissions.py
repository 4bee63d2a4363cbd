"""Who is asking, and what each role may do. Used by every API view (settings' defaults)."""

from __future__ import annotations

import logging

from rest_framework import exceptions, permissions, throttling

from clinic.models import ApiKey
from clinic.tenancy import ANONYMOUS, Actor

logger = logging.getLogger(__name__)


def actor_of(request) -> Actor:
    """The actor of an API request: the API key's clinic, or the signed-in user's role."""
    if isinstance(getattr(request, "auth", None), ApiKey):
        key = request.auth
        return Actor(user=None, clinic=key.clinic, api_key=key)
    return getattr(request._request, "actor", ANONYMOUS)


class IsAuthenticatedActor(permissions.BasePermission):
    """A signed-in user with a clinic role, or a valid API key."""

    def has_permission(self, request, view) -> bool:
        actor = actor_of(request)
        if actor.is_api_key:
            return True
        if not (request.user and request.user.is_authenticated):
            return False
        if actor.clinic is None:
            raise exceptions.PermissionDenied("Your account is not linked to a clinic.")
        return True


class ApiKeysReadOnly(permissions.BasePermission):
    message = "API keys are read-only."

    def has_permission(self, request, view) -> bool:
        return request.method in permissions.SAFE_METHODS or not actor_of(request).is_api_key


class StaffOrApiKey(permissions.BasePermission):
    message = "Only clinic staff can do this."

    def has_permission(self, request, view) -> bool:
        actor = actor_of(request)
        return actor.is_staff_member or actor.is_api_key


class StaffOnly(permissions.BasePermission):
    message = "Only clinic staff can do this."

    def has_permission(self, request, view) -> bool:
        return actor_of(request).is_staff_member


class PatientOnly(permissions.BasePermission):
    message = "Only patients can do this."

    def has_permission(self, request, view) -> bool:
        return actor_of(request).is_patient


DEFAULT_PERMISSIONS = [IsAuthenticatedActor, ApiKeysReadOnly]


class ApiKeyRateThrottle(throttling.SimpleRateThrottle):
    """Per-key request limit (429 with Retry-After); browser sessions are not throttled here."""

    scope = "api_key"

    def get_cache_key(self, request, view):
        if not isinstance(getattr(request, "auth", None), ApiKey):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}

    def allow_request(self, request, view) -> bool:
        # The counts live in the cache (Redis in production). If it is unreachable, reports keep
        # working unthrottled for that moment rather than every key getting a 500.
        try:
            return super().allow_request(request, view)
        except Exception:  # noqa: BLE001 - any cache client error; logged, never raised
            logger.warning("API key rate limit not applied: the cache is unreachable", exc_info=True)
            return True




class ClinicAdminOnly(permissions.BasePermission):
    message = "Only clinic admins can do this."

    def has_permission(self, request, view) -> bool:
        return actor_of(request).is_clinic_admin
