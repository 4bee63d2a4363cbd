"""Tenancy, enforced in one place.

Every request gets an `Actor`: who is asking (a clinic admin, a therapist or a
patient) and for which clinic. Every view and API view that reads clinic data
goes through `scope_queryset`, which filters any tenant model by the lookups
the model declares:

- `TENANT_CLINIC_LOOKUP`: the path from the model to its Clinic
  ("clinic", "patient__clinic", ...);
- `TENANT_PATIENT_LOOKUP`: the path to its Patient, for rows a patient may see
  (absent: patients see none of this model);
- `TENANT_SHARED_WHEN_NO_CLINIC`: built-in rows (clinic is NULL) that every
  clinic's staff may read (the exercise library and protocol templates).

A model without TENANT_CLINIC_LOOKUP cannot be scoped, and asking is an error,
so a new model cannot silently leak across clinics.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.models import Clinic, Membership
from patients.models import Patient


@dataclass(frozen=True)
class Actor:
    """Who is making a request, resolved once per request."""

    user: Any
    clinic: Clinic | None = None
    membership: Membership | None = None
    patient: Patient | None = None
    api_key: Any = None

    @property
    def is_staff_member(self) -> bool:
        return self.membership is not None

    @property
    def is_clinic_admin(self) -> bool:
        return self.membership is not None and self.membership.is_admin

    @property
    def is_therapist(self) -> bool:
        return self.membership is not None and not self.membership.is_admin

    @property
    def is_patient(self) -> bool:
        return self.patient is not None

    @property
    def is_api_key(self) -> bool:
        """A reporting system's key: reads the whole clinic, writes nothing."""
        return self.api_key is not None

    @property
    def role(self) -> str:
        if self.membership is not None:
            return self.membership.role
        if self.patient is not None:
            return "patient"
        if self.api_key is not None:
            return "api_key"
        return "none"


ANONYMOUS = Actor(user=None)


def resolve_actor(user) -> Actor:
    """Find the clinic role of a signed-in user: staff membership first, then patient profile."""
    if user is None or not user.is_authenticated or not user.is_active:
        return ANONYMOUS
    from patients.selectors import latest_pain_during  # patients.selectors scopes with this module: a real cycle

    # The clinic's settings come in the same query: every page's footer and the patient pages read its
    # contact and thresholds (clinic.selectors.clinic_guidance) without asking again.
    membership = (
        Membership.objects.select_related("clinic", "clinic__settings")
        .filter(user=user, clinic__is_active=True)
        .order_by("id")
        .first()
    )
    if membership is not None:
        return Actor(user=user, clinic=membership.clinic, membership=membership)
    # A patient's latest pain during, so every phone page can show how to reach the clinic after a red session.
    patient = (
        Patient.objects.select_related("clinic", "clinic__settings")
        .annotate(latest_pain_during=latest_pain_during())
        .filter(user=user, clinic__is_active=True)
        .first()
    )
    if patient is not None:
        return Actor(user=user, clinic=patient.clinic, patient=patient)
    return Actor(user=user)


def scope_queryset(queryset: QuerySet, actor: Actor) -> QuerySet:
    """Limit `queryset` to the rows `actor` may see. The one tenancy filter of the app."""
    model: type[Model] = queryset.model
    clinic_lookup = getattr(model, "TENANT_CLINIC_LOOKUP", None)
    if clinic_lookup is None:
        raise ImproperlyConfigured(f"{model.__name__} declares no TENANT_CLINIC_LOOKUP and cannot be scoped")
    if actor.clinic is None:
        return queryset.none()
    if actor.is_patient:
        patient_lookup = getattr(model, "TENANT_PATIENT_LOOKUP", None)
        if patient_lookup is None:
            return queryset.none()
        return queryset.filter(**{patient_lookup: actor.patient.pk})
    if not (actor.is_staff_member or actor.is_api_key):
        return queryset.none()
    condition = Q(**{clinic_lookup: actor.clinic})
    if getattr(model, "TENANT_SHARED_WHEN_NO_CLINIC", False):
        condition |= Q(**{f"{clinic_lookup}__isnull": True})
    return queryset.filter(condition)


def patient_lookup(model: type[Model]) -> str | None:
    """The path from a tenant model to its Patient ("pk" for Patient itself), or None for non-patient data.

    TENANT_PATIENT_LOOKUP where the model declares it; otherwise the clinic
    path without its last step ("patient__clinic" -> "patient") when that
    step passes through a patient (flags and invitations, which patients
    themselves may not read).
    """
    declared = getattr(model, "TENANT_PATIENT_LOOKUP", None)
    if declared is not None:
        return declared
    parent, _sep, _last = getattr(model, "TENANT_CLINIC_LOOKUP", "").rpartition("__")
    return parent if parent == "patient" or parent.endswith("__patient") else None


def get_scoped_or_404(queryset: QuerySet, actor: Actor, **lookup):
    """Fetch one row the actor may see; 404 (never 403) for rows of other tenants."""
    return get_object_or_404(scope_queryset(queryset, actor), **lookup)


def require_staff(actor: Actor) -> None:
    if not actor.is_staff_member:
        raise PermissionDenied(_("Clinic staff only"))


def require_clinic_admin(actor: Actor) -> None:
    if not actor.is_clinic_admin:
        raise PermissionDenied(_("Clinic admins only"))


def require_patient(actor: Actor) -> None:
    if not actor.is_patient:
        raise PermissionDenied(_("Patients only"))


class TenancyMiddleware:
    """Attach `request.actor` and run the request in the clinic's time zone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        actor = resolve_actor(getattr(request, "user", None))
        request.actor = actor
        if actor.clinic is not None:
            try:
                timezone.activate(zoneinfo.ZoneInfo(actor.clinic.timezone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


def tenancy_context(request) -> dict[str, Any]:
    """Template context: the actor, so layouts can show the right navigation."""
    return {"actor": getattr(request, "actor", ANONYMOUS)}
