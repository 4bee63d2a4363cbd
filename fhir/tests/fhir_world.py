"""Test data for the FHIR tests: the shared `world` with sessions, check-ins, measurements and flags."""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal

from django.utils import timezone

from outcomes import instruments, scoring
from outcomes.demo_wording import import_test_wording
from outcomes.models import QuestionnaireResponse
from patients.models import Flag
from patients.services import assignment_create
from tests.factories import MeasurementFactory, MorningCheckInFactory, PatientFactory, SessionLogFactory, make_protocol

# Parse with the R4B models of fhir.resources (R4B differs from R4 only in resources Backstep does not emit).
FHIR_MODULES = {
    "Organization": "organization", "Practitioner": "practitioner", "Patient": "patient",
    "PlanDefinition": "plandefinition", "ActivityDefinition": "activitydefinition", "CarePlan": "careplan",
    "Observation": "observation", "Flag": "flag", "Bundle": "bundle",
    "CapabilityStatement": "capabilitystatement", "OperationOutcome": "operationoutcome",
    "Questionnaire": "questionnaire", "QuestionnaireResponse": "questionnaireresponse",
}


def validate(resource: dict):
    """Parse one resource with its fhir.resources model; raises on anything invalid."""
    module = importlib.import_module(f"fhir.resources.R4B.{FHIR_MODULES[resource['resourceType']]}")
    return getattr(module, resource["resourceType"]).model_validate(resource)


def fill(world, *, sessions: int = 3) -> None:
    """Every kind of row for patients A1 and B1: sessions (minutes and sets), check-ins, measurements, flags."""
    today = dt.date.today()
    for patient, assignment in ((world.patient_a1, world.assignment_a1), (world.patient_b1, world.assignment_b1)):
        walk, quads = list(assignment.exercises.order_by("order"))[:2]
        for day in range(sessions):
            SessionLogFactory(exercise=walk, date=today - dt.timedelta(days=day), rpe=4)
        SessionLogFactory(exercise=quads, duration_min=None, speed_kmh=None, incline_pct=None, sets=3, reps=10,
                          completed=False)
        MorningCheckInFactory(patient=patient, date=today - dt.timedelta(days=1), pain=3)
        MeasurementFactory(patient=patient, effusion="1+", quad_lsi_pct=Decimal("82.5"), hop_lsi_pct=None,
                           rom_pct=Decimal("95"), running_signoff=True)
        Flag.objects.create(patient=patient, exercise=walk, kind=Flag.Kind.PAIN_RED, severity=Flag.Severity.URGENT,
                            reasons=["Pain 7/10 during the session."])
        Flag.objects.create(patient=patient, exercise=quads, kind=Flag.Kind.LOW_ADHERENCE,
                            severity=Flag.Severity.WARNING, status=Flag.Status.RESOLVED,
                            resolved_at=timezone.now(), reasons=["2 of 5 sessions this week."])


def crowd(world, patients: int = 30) -> None:
    """Many more of clinic A's patients, plans, flags, protocols and templates, so pages of 50 fill up."""
    protocol = make_protocol(clinic=world.clinic_a)
    for number in range(patients):
        patient = PatientFactory(clinic=world.clinic_a, therapist=world.therapist_a, last_name=f"Crowd{number}")
        assignment = assignment_create(patient=patient, protocol=protocol, start_date=dt.date.today(),
                                       baseline_pain=1, assigned_by=world.therapist_a)
        walk, quads = list(assignment.exercises.order_by("order"))[:2]
        SessionLogFactory(exercise=walk)
        Flag.objects.create(patient=patient, exercise=walk, kind=Flag.Kind.PAIN_RED, severity=Flag.Severity.URGENT,
                            reasons=["Pain 6/10."])
        Flag.objects.create(patient=patient, exercise=quads, kind=Flag.Kind.IMPROVED, severity=Flag.Severity.INFO,
                            reasons=["Better."])
    for _number in range(patients):
        make_protocol(clinic=world.clinic_a)


def submitted_response(patient, assignment, instrument_id: str, answers: dict, *, activities=(), submitted=True,
                       due_date: dt.date | None = None) -> QuestionnaireResponse:
    """A response as the phone leaves it: submitted with its scores computed and stored (or a draft)."""
    instrument = instruments.get(instrument_id)
    scores = scoring.score(instrument, answers)
    return QuestionnaireResponse.objects.create(
        patient=patient, assignment=assignment, instrument_id=instrument_id, instrument_version=instrument.version,
        due_date=due_date or dt.date.today(), answers=answers, activities=list(activities),
        status=QuestionnaireResponse.Status.SUBMITTED if submitted else QuestionnaireResponse.Status.DRAFT,
        scores=scores.as_dict() if submitted else {}, primary_score=scores.primary.value if submitted else None,
        submitted_at=timezone.now() if submitted else None, answered_on=dt.date.today() if submitted else None)


def answer(world) -> None:
    """Submitted questionnaires. Clinic A imported KOOS-PF's wording (test wording); A1 answered it, SANE, PSFS
    (two activities) and the weekly pain with `worst` only (so `average` is not scorable); A2 has a draft only.
    B1 answered SANE."""
    import_test_wording(world.clinic_a, instrument_id="koos-pf")
    a1, plan = world.patient_a1, world.assignment_a1
    submitted_response(a1, plan, "koos-pf", {f"PF{n}": n % 5 for n in range(1, 12)})
    submitted_response(a1, plan, "sane", {"SANE": 70})
    submitted_response(a1, plan, "psfs", {"A1": 4, "A2": 7}, activities=["Climbing stairs", "Kneeling to garden"])
    submitted_response(a1, plan, "knee-pain-weekly", {"worst": 6})
    submitted_response(world.patient_a2, None, "sane", {"SANE": 50}, submitted=False)
    submitted_response(world.patient_b1, world.assignment_b1, "sane", {"SANE": 40})


def answer_sane(world, times: int) -> None:
    """`times` more submitted SANEs of patient A1, one a day back from yesterday."""
    today = dt.date.today()
    for day in range(1, times + 1):
        submitted_response(world.patient_a1, world.assignment_a1, "sane", {"SANE": 50 + day % 40},
                           due_date=today - dt.timedelta(days=day))
