"""Reads of one patient's whole record: the FHIR Bundle of their right of access, and its readable summary.

The Bundle holds every resource about the patient (`fhir.registry.patient_compartment`,
the same mapping the FHIR API and bulk exports use); the summary shows the
same rows as people read them: plans with their exercises, sessions,
morning check-ins, measurements and flags raised about the patient.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db.models import Prefetch
from django.utils import timezone

from fhir import registry
from patients.models import AssignedExercise, Assignment, Flag, Measurement, MorningCheckIn, Patient, SessionLog


def patient_bundle(patient: Patient, *, base_url: str) -> dict:
    """A `collection` Bundle of everything about `patient`; each entry's fullUrl is its address under
    `base_url` (the FHIR base, ending in "/"), so the resources' relative references resolve inside it."""
    entries = [{"fullUrl": f"{base_url}{r['resourceType']}/{r['id']}", "resource": r}
               for r in registry.patient_compartment(patient.clinic, patient)]
    return {"resourceType": "Bundle", "id": str(uuid.uuid4()), "type": "collection",
            "timestamp": timezone.now().isoformat(), "entry": entries}


@dataclass(frozen=True)
class PatientRecord:
    patient: Patient
    plans: list[Assignment]
    sessions: list[SessionLog]
    checkins: list[MorningCheckIn]
    measurements: list[Measurement]
    flags: list[Flag]


def patient_record(patient: Patient) -> PatientRecord:
    """Everything Backstep holds about `patient`, newest first, in a fixed number of queries."""
    exercises = Prefetch("exercises", queryset=AssignedExercise.objects.order_by("order"))
    return PatientRecord(
        patient=patient,
        plans=list(patient.assignments.order_by("-start_date", "-pk").prefetch_related(exercises)),
        sessions=list(SessionLog.objects.filter(patient=patient).select_related("exercise")
                      .order_by("-date", "-created_at")),
        checkins=list(MorningCheckIn.objects.filter(patient=patient).order_by("-date")),
        measurements=list(Measurement.objects.filter(patient=patient).order_by("-date", "-created_at")),
        flags=list(Flag.objects.filter(patient=patient).select_related("exercise").order_by("-created_at")),
    )
