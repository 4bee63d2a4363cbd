"""`demo_seed`: (re)build the demo clinics, their staff and patients, then run today's checks."""

from __future__ import annotations

import random
import zoneinfo
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from clinic.models import Clinic, Membership, User
from clinic.services import clinic_create, staff_member_add
from patients.demo.definitions import DEMO_CLINICS, ClinicDef, StaffDef
from patients.demo.history import PatientHistory, SeedContext, user_ensure
from patients.models import (
    Assignment,
    Flag,
    Measurement,
    MorningCheckIn,
    Patient,
    PhaseVersion,
    SessionLog,
    StepVersion,
)
from patients.services import assignments_check
from protocols.models import Protocol
from protocols.services import library_install

DEMO_SEED = 2026


class DemoSeedRefused(RuntimeError):
    """Raised instead of writing demo users with known passwords into a production database."""


@dataclass
class DemoSummary:
    """Row counts per demo clinic after seeding (no health values)."""

    clinics: dict[str, dict[str, int]] = field(default_factory=dict)
    logins: list[tuple[str, str]] = field(default_factory=list)


@transaction.atomic
def demo_seed(*, clinics: tuple[ClinicDef, ...] = DEMO_CLINICS, seed: int = DEMO_SEED) -> DemoSummary:
    """Install the library, then (re)build the demo clinics, their staff, patients and history.

    Refuses with DemoSeedRefused when DJANGO_ENV is production.
    """
    if settings.DJANGO_ENV == "production":
        raise DemoSeedRefused("Demo data has well-known passwords and is never loaded when DJANGO_ENV=production.")
    library_install()
    protocols = {p.slug: p for p in Protocol.objects.filter(clinic__isnull=True)}
    rng = random.Random(seed)
    summary = DemoSummary()
    for definition in clinics:
        clinic = _clinic_seed(definition, protocols, rng)
        # Run today's checks as the nightly sweep would, so the demo shows the
        # engine's regressions, suggestions and flags (no e-mails for demo data).
        assignments_check(assignment_ids=list(Assignment.objects.filter(patient__clinic=clinic)
                                              .values_list("pk", flat=True)), notify=False)
        summary.clinics[clinic.name] = _clinic_counts(clinic)
        summary.logins += [(s.email, s.password) for s in definition.staff]
        summary.logins += [p.login for p in definition.patients if p.login]
    return summary


def _clinic_seed(definition: ClinicDef, protocols: dict[str, Protocol], rng: random.Random) -> Clinic:
    clinic = Clinic.objects.filter(slug=definition.slug).first()
    if clinic is None:
        clinic = clinic_create(name=definition.name, slug=definition.slug, timezone=definition.timezone)
    staff = {s.email: _staff_ensure(clinic, s) for s in definition.staff}
    # Rebuild rather than patch: history is relative to today, and deleting a
    # patient cascades to assignments, logs, check-ins, measurements and flags.
    Patient.objects.filter(clinic=clinic).delete()
    context = SeedContext(
        clinic=clinic,
        today=timezone.localdate(timezone=zoneinfo.ZoneInfo(clinic.timezone)),
        history_weeks=definition.history_weeks,
        staff=staff,
        protocols=protocols,
        rng=rng,
    )
    for number, patient_def in enumerate(definition.patients, start=1):
        PatientHistory(context, patient_def, ref=f"{definition.ref_prefix}-{number:03d}").build()
    return clinic


def _staff_ensure(clinic: Clinic, definition: StaffDef) -> User:
    user = user_ensure(definition.email, definition.password, definition.first_name, definition.last_name)
    membership = Membership.objects.filter(clinic=clinic, user=user).first()
    if membership is None:
        staff_member_add(clinic=clinic, user=user, role=definition.role)
    elif membership.role != definition.role:
        membership.role = definition.role
        membership.save(update_fields=["role"])
    return user


def _clinic_counts(clinic: Clinic) -> dict[str, int]:
    return {
        "staff": Membership.objects.filter(clinic=clinic).count(),
        "patients": Patient.objects.filter(clinic=clinic).count(),
        "assignments": Assignment.objects.filter(patient__clinic=clinic).count(),
        "sessions": SessionLog.objects.filter(patient__clinic=clinic).count(),
        "check-ins": MorningCheckIn.objects.filter(patient__clinic=clinic).count(),
        "measurements": Measurement.objects.filter(patient__clinic=clinic).count(),
        "step changes": StepVersion.objects.filter(exercise__assignment__patient__clinic=clinic).count(),
        "phase changes": PhaseVersion.objects.filter(assignment__patient__clinic=clinic).count(),
        "open flags": Flag.objects.filter(patient__clinic=clinic).exclude(status=Flag.Status.RESOLVED).count(),
    }
