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

Who the caller is (membership and role, or patient record, with the clinic
and its settings, and the two-factor facts of staff) is resolved once and
cached (`cached_actor`) under the user's `access_version`, which comes with
the user row every request loads anyway. Every change to what is cached
raises that version in the same transaction (`access_changed`, connected to
the models' signals in ClinicConfig.ready), so the very next request resolves
again: a demoted or removed therapist, a deactivated clinic, a removed
authenticator are seen at once. The user row itself (active, password, staff
status) is never cached.
"""

from __future__ import annotations

import hashlib
import zoneinfo
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db.models import F, Model, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.access_cache import access_cache_get, access_cache_set, row_build, row_values
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
    # Staff and site administrators: the two-factor facts (clinic.security.two_factor.TwoFactorState), resolved
    # with the rest; None for patients, and when resolved without them (then they are read when needed).
    two_factor: Any = None

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
    """Find the clinic role of a signed-in user: staff membership first, then patient profile (from the database;
    requests use `cached_actor`)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return ANONYMOUS
    return _with_two_factor(_resolved(user))


def _resolved(user) -> Actor:
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
    # The latest pain during (the red-session notice) is read only by the pages that show it
    # (patients.selectors.patient_latest_pain_during), not with the caller on every request.
    patient = (
        Patient.objects.select_related("clinic", "clinic__settings")
        .filter(user=user, clinic__is_active=True)
        .first()
    )
    if patient is not None:
        return Actor(user=user, clinic=patient.clinic, patient=patient)
    return Actor(user=user)


def _with_two_factor(actor: Actor) -> Actor:
    from clinic.security.two_factor import two_factor_state  # clinic.security reads this module: a real cycle

    state = two_factor_state(user=actor.user, actor=actor)
    if state is None:
        return actor
    return Actor(user=actor.user, clinic=actor.clinic, membership=actor.membership, patient=actor.patient,
                 two_factor=state)


# ---------------------------------------------------------------------------
# The caller's state, cached under the user's access_version
# ---------------------------------------------------------------------------


@cache
def _cached_shape() -> str:
    """The fields of what is cached: a deploy that adds one never reads an entry written before it."""
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from clinic.models import ClinicSettings

    names = [f"{model._meta.label}.{field.attname}"
             for model in (Membership, Clinic, ClinicSettings, Patient, TOTPDevice, StaticDevice)
             for field in model._meta.concrete_fields]
    return hashlib.sha256(" ".join(names).encode()).hexdigest()[:12]


def access_cache_key(user) -> str:
    """The key of `user`'s cached state at their current version.

    The account's creation time is part of it, so a reused id (a test database rolled back) never meets
    another account's entry.
    """
    joined = int(user.date_joined.timestamp() * 1_000_000) if user.date_joined else 0
    # The site-wide two-factor rules are settings, not rows: part of the key rather than a version.
    rules = f"{int(bool(settings.PRODUCTION))}{int(bool(settings.ADMIN_REQUIRE_TWO_FACTOR))}"
    return f"tenancy.actor:{_cached_shape()}:{rules}:{user.pk}:{joined}:{user.access_version}"


# A patient record in the cache keeps ids and plain values, never health data (clinic.access_cache).
PATIENT_COLUMNS_NOT_CACHED = frozenset({"date_of_birth", "condition", "side", "surgery_date", "email",
                                        "external_ref"})


def cached_actor(user) -> Actor:
    """`resolve_actor(user)`, from the cache while nothing it depends on has changed (see `access_changed`).

    Whether the account is active is read from the user row of this request, never from the cache. When the
    cache cannot be reached (or failed in the last ACCESS_CACHE_BREAK_SECONDS), the caller is resolved from
    the database.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return ANONYMOUS
    seconds = settings.ACCESS_CACHE_SECONDS
    if not seconds or getattr(user, "access_version", None) is None:
        return resolve_actor(user)
    key = access_cache_key(user)
    actor = _actor_from_entry(user, access_cache_get(key))
    if actor is not None:
        return actor
    actor = resolve_actor(user)
    access_cache_set(key, _entry_of(actor), seconds)
    return actor


def _entry_of(actor: Actor) -> dict:
    """What is cached of `actor`: its rows as plain values, and the two-factor facts."""
    clinic = actor.clinic
    clinic_settings = getattr(clinic, "settings", None) if clinic is not None else None
    state = actor.two_factor
    return {
        "user": actor.user.pk,
        "membership": row_values(actor.membership),
        "patient": row_values(actor.patient, leave_out=PATIENT_COLUMNS_NOT_CACHED),
        "clinic": row_values(clinic),
        "settings": row_values(clinic_settings),
        "two_factor": None if state is None else [sorted(state.device_ids), state.has_authenticator,
                                                  state.setup_required],
    }


def _actor_from_entry(user, entry) -> Actor | None:
    """The Actor an entry describes, or None (no entry, or one that is not this user's)."""
    from clinic.models import ClinicSettings
    from clinic.security.two_factor import TwoFactorState  # clinic.security reads this module: a real cycle

    if not isinstance(entry, dict) or entry.get("user") != user.pk:
        return None
    clinic = row_build(Clinic, entry["clinic"])
    clinic_settings = row_build(ClinicSettings, entry["settings"])
    if clinic is not None and clinic_settings is not None:
        clinic.settings = clinic_settings
    membership, patient = row_build(Membership, entry["membership"]), row_build(Patient, entry["patient"])
    for row in (membership, patient):
        if row is not None:
            if row.user_id != user.pk or row.clinic_id != getattr(clinic, "pk", None):
                return None
            row.user, row.clinic = user, clinic
    state = entry["two_factor"]
    two_factor = None if state is None else TwoFactorState(device_ids=frozenset(state[0]),
                                                           has_authenticator=state[1], setup_required=state[2])
    return Actor(user=user, clinic=clinic, membership=membership, patient=patient, two_factor=two_factor)


def access_warm(user) -> None:
    """At sign-in: resolve the caller into the cache, so the first page after it costs no more than the next.

    Runs after Django stored the sign-in time (a user save, which raised the version): the version is read
    again first, so the entry is filed under the one the next request will load.
    """
    from clinic.models import User

    if not settings.ACCESS_CACHE_SECONDS or not getattr(user, "is_active", False):
        return
    version = User.objects.filter(pk=user.pk).values_list("access_version", flat=True).first()
    if version is None:
        return
    user.access_version = version
    cached_actor(user)


def access_changed(*, user_ids=(), clinic_id: int | None = None) -> None:
    """What tenancy cached about these users (or everyone of `clinic_id`) is out of date: raise their version.

    One UPDATE in the caller's transaction: if the change rolls back, so does this; once it commits, the next
    request of each of them resolves again.
    """
    from clinic.models import User

    condition = Q(pk__in=[pk for pk in user_ids if pk is not None])
    if clinic_id is not None:
        condition |= Q(pk__in=Membership.objects.filter(clinic_id=clinic_id).values("user_id"))
        condition |= Q(pk__in=Patient.objects.filter(clinic_id=clinic_id, user__isnull=False).values("user_id"))
    User.objects.filter(condition).update(access_version=F("access_version") + 1)


def _user_changed(sender, instance, **kwargs) -> None:
    access_changed(user_ids=[instance.pk])


def _membership_changed(sender, instance, **kwargs) -> None:
    access_changed(user_ids=[instance.user_id])


def _patient_before_save(sender, instance, **kwargs) -> None:
    # A record moved to another account: the old account's cached state named it.
    if instance.pk is not None and not kwargs.get("raw"):
        old = Patient.objects.filter(pk=instance.pk).values_list("user_id", flat=True).first()
        if old is not None and old != instance.user_id:
            access_changed(user_ids=[old])


def _patient_changed(sender, instance, **kwargs) -> None:
    access_changed(user_ids=[instance.user_id])


def _clinic_changed(sender, instance, **kwargs) -> None:
    access_changed(clinic_id=instance.pk)


def _clinic_settings_changed(sender, instance, **kwargs) -> None:
    access_changed(clinic_id=instance.clinic_id)


def _device_changed(sender, instance, **kwargs) -> None:
    access_changed(user_ids=[instance.user_id])


def _signed_out(sender, request=None, user=None, **kwargs) -> None:
    # (Signing in saves the user's sign-in time, which raises the version already.)
    if user is not None:
        access_changed(user_ids=[user.pk])


def access_signals_connect() -> None:
    """Connect `access_changed` to every change of what `cached_actor` keeps (ClinicConfig.ready)."""
    from django.contrib.auth.signals import user_logged_out
    from django.db.models.signals import post_delete, post_save, pre_save
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from clinic.models import ClinicSettings, User

    receivers = [
        (post_save, User, _user_changed),
        (post_save, Membership, _membership_changed), (post_delete, Membership, _membership_changed),
        (pre_save, Patient, _patient_before_save),
        (post_save, Patient, _patient_changed), (post_delete, Patient, _patient_changed),
        (post_save, Clinic, _clinic_changed),
        (post_save, ClinicSettings, _clinic_settings_changed),
        (post_delete, ClinicSettings, _clinic_settings_changed),
    ]
    for device in (TOTPDevice, StaticDevice):
        receivers += [(post_save, device, _device_changed), (post_delete, device, _device_changed)]
    for signal, model, receiver in receivers:
        signal.connect(receiver, sender=model, dispatch_uid=f"tenancy-access-{model._meta.label}-{receiver.__name__}"
                       f"-{id(signal)}")
    user_logged_out.connect(_signed_out, dispatch_uid="tenancy-access-signed-out")


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
        actor = cached_actor(getattr(request, "user", None))
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
