"""Reads for the clinic administration pages. Every query goes through the tenancy filter."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, CharField, Q, QuerySet, Value, When

from clinic.models import ApiKey, AuditEvent, Clinic, ClinicSettings, Membership, Notification, User
from clinic.tenancy import Actor, get_scoped_or_404, scope_queryset
from patients.models import Patient
from protocols.engine import DEFAULT_SETTINGS


def staff_list(*, actor: Actor) -> QuerySet[Membership]:
    """The clinic's therapists and admins with their accounts: admins first, then by name."""
    return (
        scope_queryset(Membership.objects.select_related("user"), actor)
        .annotate(role_order=Case(When(role=Membership.Role.ADMIN, then=Value(0)), default=Value(1)))
        .order_by("role_order", "user__first_name", "user__last_name", "user__email")
    )


def staff_member_get(*, actor: Actor, pk: int) -> Membership:
    """One membership of the actor's clinic; 404 for other clinics'."""
    return get_scoped_or_404(Membership.objects.select_related("user", "clinic"), actor, pk=pk)


def staff_patient_count(*, membership: Membership) -> int:
    """How many of the clinic's patients have this staff member as their therapist."""
    return Patient.objects.filter(clinic_id=membership.clinic_id, therapist_id=membership.user_id).count()


def clinic_settings_get(*, clinic: Clinic) -> ClinicSettings:
    """The clinic's settings row, or an unsaved one with the defaults (nothing overridden, never changed)."""
    row = ClinicSettings.objects.select_related("updated_by").filter(clinic=clinic).first()
    return row or ClinicSettings(clinic=clinic)


@dataclass(frozen=True)
class ClinicGuidance:
    """What patients are told about their clinic: how to reach it, and the limits its checks apply."""

    name: str
    phone: str = ""
    email: str = ""
    hours: str = ""
    red_above: int = DEFAULT_SETTINGS["red_above"]
    running_speed_kmh: Decimal = Decimal(str(DEFAULT_SETTINGS["running_speed_kmh"]))

    @property
    def has_contact(self) -> bool:
        return bool(self.phone or self.email)


DEFAULT_GUIDANCE = ClinicGuidance(name="")


def patient_clinic_guidance(user) -> ClinicGuidance | None:
    """The guidance of the clinic a patient account belongs to (for e-mails to patients); None for staff."""
    patient = Patient.objects.select_related("clinic", "clinic__settings").filter(user=user).first()
    return clinic_guidance(patient.clinic) if patient is not None else None


def clinic_guidance(clinic: Clinic | None) -> ClinicGuidance:
    """The clinic's contact and its red-pain and running thresholds (overrides, else the engine's defaults).

    Reads `clinic.settings`, which the request's actor already holds (clinic/tenancy.py selects it with the
    clinic), so pages ask no extra query; elsewhere it costs one, cached on the clinic. No clinic: defaults.
    """
    if clinic is None:
        return DEFAULT_GUIDANCE
    try:
        row = clinic.settings
    except ClinicSettings.DoesNotExist:
        row = ClinicSettings(clinic=clinic)
    thresholds = {**DEFAULT_SETTINGS, **(row.engine_overrides or {})}
    return ClinicGuidance(
        name=clinic.name, phone=row.contact_phone, email=row.contact_email, hours=row.contact_hours,
        red_above=int(thresholds["red_above"]),
        running_speed_kmh=Decimal(str(thresholds["running_speed_kmh"])),
    )


# A list read on the audit page names this many of the patients it showed (the rest are counted).
AUDIT_NAMES_SHOWN = 3


def api_key_list(*, actor: Actor, now: dt.datetime) -> QuerySet[ApiKey]:
    """The clinic's API keys, newest first, each with `status`: active, expired or revoked (revoked wins)."""
    return (
        scope_queryset(ApiKey.objects.select_related("created_by"), actor)
        .annotate(
            status=Case(
                When(revoked_at__isnull=False, then=Value("revoked")),
                When(Q(expires_at__isnull=False) & Q(expires_at__lte=now), then=Value("expired")),
                default=Value("active"),
                output_field=CharField(),
            )
        )
        .order_by("-created_at", "-pk")
    )


def api_key_get(*, actor: Actor, pk: int) -> ApiKey:
    """One API key of the actor's clinic; 404 for other clinics'."""
    return get_scoped_or_404(ApiKey.objects.select_related("created_by"), actor, pk=pk)


def audit_event_list(*, actor: Actor) -> QuerySet:
    """The clinic's audit trail, newest first (clinic admins only: the caller checks the role)."""
    return scope_queryset(AuditEvent.objects.prefetch_related("patients"), actor).order_by("-occurred_at", "-id")


def audit_event_labels(*, actor: Actor, events) -> dict[str, dict[int, str]]:
    """Readable names for the users, keys and patients on one page of events, in three queries at most."""
    user_ids = {e.user_id for e in events if e.user_id}
    key_ids = {e.api_key_id for e in events if e.api_key_id}
    patient_ids = {e.patient_id for e in events if e.patient_id}
    patient_ids |= {row.patient_id for e in events for row in list(e.patients.all())[:AUDIT_NAMES_SHOWN]}
    users = {u.pk: u.get_full_name() or u.email for u in User.objects.filter(pk__in=user_ids)} if user_ids else {}
    keys = ({k.pk: k.name for k in scope_queryset(ApiKey.objects.filter(pk__in=key_ids), actor)}
            if key_ids else {})
    patients = ({p.pk: p.full_name for p in scope_queryset(Patient.objects.filter(pk__in=patient_ids), actor)}
                if patient_ids else {})
    return {"users": users, "keys": keys, "patients": patients}


def notification_problem_list(*, actor: Actor) -> QuerySet[Notification]:
    """The clinic's staff e-mails that failed, or failed once and wait for another attempt; newest first."""
    return (
        scope_queryset(Notification.objects.select_related("recipient"), actor)
        .filter(Q(status=Notification.Status.FAILED) | Q(status=Notification.Status.PENDING, attempts__gt=0))
        .order_by("-created_at", "-pk")
    )


def notification_failed_count(*, actor: Actor) -> int:
    """How many of the clinic's staff e-mails failed for good (shown beside the clinic admin's navigation)."""
    return scope_queryset(Notification.objects.filter(status=Notification.Status.FAILED), actor).count()


def notification_get(*, actor: Actor, pk: int) -> Notification:
    """One notification of the actor's clinic; 404 for other clinics'."""
    return get_scoped_or_404(Notification.objects.all(), actor, pk=pk)
