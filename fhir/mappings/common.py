"""What every mapping shares: canonical URLs under SITE_URL, code systems, references, numbers and times.

Backstep's own definitions (code systems, extensions, identifier systems) are
canonical URLs under `{SITE_URL}/fhir/`. They name things; nothing needs to be
served at them for a client to compare codes.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
FLAG_CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"

# Backstep's paths under {SITE_URL}/fhir/ (see canonical()).
BACKSTEP_CODES = "CodeSystem/backstep"  # session components and clinic measurements without a LOINC code
EFFUSION_GRADES = "CodeSystem/effusion-grade"  # stroke-test grades 0, trace, 1+, 2+, 3+
EXERCISE_KINDS = "CodeSystem/exercise-kind"
FLAG_KINDS = "CodeSystem/flag-kind"
LADDER_STEP = "StructureDefinition/ladder-step"  # one rung of a load ladder: level, speed, incline, duration
LEVEL_IN_FORCE = "StructureDefinition/level-in-force"  # the ladder level an exercise is at now (from 1)


def canonical(path: str) -> str:
    """The canonical URL of one of Backstep's definitions, e.g. canonical(BACKSTEP_CODES)."""
    return f"{settings.SITE_URL}/fhir/{path}"


def patient_identifier_system(clinic_slug: str) -> str:
    """The identifier system of one clinic's patient references (the clinic's own numbering)."""
    return canonical(f"clinic/{clinic_slug}/patient-reference")


def reference(resource_type: str, resource_id) -> dict:
    return {"reference": f"{resource_type}/{resource_id}"}


def number(value) -> int | float:
    """A JSON number: whole values as integers (12, not 12.0), Decimals as floats."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def quantity(value, unit: str) -> dict:
    """A UCUM quantity; `unit` is both the human unit and the UCUM code (min, km/h, %, s)."""
    return {"value": number(value), "unit": unit, "system": UCUM, "code": unit}


def instant(moment: dt.datetime) -> str:
    """A FHIR instant: UTC with an explicit offset."""
    return moment.astimezone(dt.UTC).isoformat()


def coding(system: str, code: str, display: str = "") -> dict:
    return {"system": system, "code": code, **({"display": display} if display else {})}


def backstep_code(code: str, display: str) -> dict:
    """A CodeableConcept in Backstep's code system."""
    return {"coding": [coding(canonical(BACKSTEP_CODES), code, display)], "text": display}


def ladder_step_extension(order: int, speed_kmh, incline_pct, duration_min) -> dict:
    """One ladder step as the `ladder-step` extension: its level (from 1, as people read it) and its load."""
    return {
        "url": canonical(LADDER_STEP),
        "extension": [
            {"url": "level", "valueInteger": order + 1},
            {"url": "speed", "valueQuantity": quantity(speed_kmh, "km/h")},
            {"url": "incline", "valueQuantity": quantity(incline_pct, "%")},
            {"url": "duration", "valueQuantity": quantity(duration_min, "min")},
        ],
    }
