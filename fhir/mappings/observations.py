"""Session logs, morning check-ins and clinic measurements as Observations.

- A session: one Observation, category `activity`, LOINC 55411-3 (exercise
  duration, minutes) with pain during and after (LOINC 72514-3, 0-10), speed
  (km/h), incline (%), effort (Borg CR10), sets, reps, hold and whether it was
  completed as components. A session logged as sets has no minutes: its value
  is absent with the reason said, and the sets are components.
- A morning check-in: LOINC 72514-3, the morning's pain 0-10.
- A measurement: one Observation per value recorded (MEASUREMENT_VALUES), in
  Backstep's code system where no LOINC code fits.

Observation ids say where they come from: `session-12`, `checkin-7`,
`measurement-3-quad-lsi` (see OBSERVATION_ID).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fhir.mappings.common import (
    EFFUSION_GRADES,
    LOINC,
    OBSERVATION_CATEGORY,
    backstep_code,
    canonical,
    coding,
    quantity,
    reference,
)

EXERCISE_DURATION = "55411-3"
PAIN_SEVERITY = "72514-3"
OBSERVATION_ID = re.compile(r"^(session|checkin)-(\d{1,18})$|^measurement-(\d{1,18})-([a-z-]+)$")


def _category(code: str, display: str) -> list[dict]:
    return [{"coding": [coding(OBSERVATION_CATEGORY, code, display)]}]


def _pain(value: int, text: str) -> dict:
    return {"code": {"coding": [coding(LOINC, PAIN_SEVERITY, "Pain severity - 0-10 verbal numeric rating [Score] "
                                                             "- Reported")], "text": text},
            "valueInteger": value}


def _session_components(session) -> list[dict]:
    components = [_pain(session.pain_during, "Worst pain during the session"),
                  _pain(session.pain_after, "Pain right after the session")]
    if session.speed_kmh is not None:
        components.append({"code": backstep_code("treadmill-speed", "Treadmill speed"),
                           "valueQuantity": quantity(session.speed_kmh, "km/h")})
    if session.incline_pct is not None:
        components.append({"code": backstep_code("treadmill-incline", "Treadmill incline"),
                           "valueQuantity": quantity(session.incline_pct, "%")})
    if session.rpe is not None:
        components.append({"code": backstep_code("rpe-cr10", "Effort (Borg CR10, 0-10)"), "valueInteger": session.rpe})
    for name, display in (("sets", "Sets done"), ("reps", "Reps per set")):
        if getattr(session, name) is not None:
            components.append({"code": backstep_code(name, display), "valueInteger": getattr(session, name)})
    if session.hold_seconds is not None:
        components.append({"code": backstep_code("hold", "Hold per rep"),
                           "valueQuantity": quantity(session.hold_seconds, "s")})
    components.append({"code": backstep_code("completed", "Session completed as planned"),
                       "valueBoolean": session.completed})
    return components


def session_observation(session) -> dict:
    """Needs `session.exercise` selected with the row (its name and plan)."""
    resource = {
        "resourceType": "Observation",
        "id": f"session-{session.pk}",
        "basedOn": [reference("CarePlan", session.exercise.assignment_id)],
        "status": "final",
        "category": _category("activity", "Activity"),
        "code": {"coding": [coding(LOINC, EXERCISE_DURATION, "Exercise duration")], "text": session.exercise.name},
        "subject": reference("Patient", session.patient_id),
        "effectiveDateTime": session.date.isoformat(),
    }
    if session.duration_min is not None:
        resource["valueQuantity"] = quantity(session.duration_min, "min")
    else:
        resource["dataAbsentReason"] = {"text": "Logged as sets, not minutes (see the components)."}
    resource["component"] = _session_components(session)
    return resource


def checkin_observation(checkin) -> dict:
    return {
        "resourceType": "Observation",
        "id": f"checkin-{checkin.pk}",
        "status": "final",
        "category": _category("survey", "Survey"),
        "code": {"coding": [coding(LOINC, PAIN_SEVERITY, "Pain severity - 0-10 verbal numeric rating [Score] - "
                                                          "Reported")], "text": "Morning knee pain"},
        "subject": reference("Patient", checkin.patient_id),
        "effectiveDateTime": checkin.date.isoformat(),
        "valueInteger": checkin.pain,
    }


@dataclass(frozen=True)
class MeasurementValue:
    """One value a measurement may hold: the field, its code in Backstep's system, and how its value is said."""

    field: str
    code: str
    display: str

    def is_recorded(self, measurement) -> bool:
        value = getattr(measurement, self.field)
        if self.field == "running_signoff":
            return bool(value)  # False is the default, "not signed off (yet)", not a finding
        return value is not None and value != ""

    def value(self, measurement) -> dict:
        value = getattr(measurement, self.field)
        if self.field == "effusion":
            grade = coding(canonical(EFFUSION_GRADES), value, measurement.get_effusion_display())
            return {"valueCodeableConcept": {"coding": [grade], "text": measurement.get_effusion_display()}}
        if self.field == "running_signoff":
            return {"valueBoolean": True}
        return {"valueQuantity": quantity(value, "%")}


MEASUREMENT_VALUES = (
    MeasurementValue("effusion", "effusion-stroke-test", "Knee effusion (stroke test)"),
    MeasurementValue("quad_lsi_pct", "quad-lsi", "Quadriceps strength limb symmetry index"),
    MeasurementValue("hop_lsi_pct", "hop-lsi", "Hop test limb symmetry index"),
    MeasurementValue("rom_pct", "rom", "Knee range of motion, % of the other side"),
    MeasurementValue("running_signoff", "running-signoff", "Therapist's running sign-off"),
)


def measurement_observation(measurement, value: MeasurementValue) -> dict:
    """The Observation of one value of a measurement (the caller checks `value.is_recorded(measurement)`)."""
    return {
        "resourceType": "Observation",
        "id": f"measurement-{measurement.pk}-{value.code}",
        "status": "final",
        "category": _category("exam", "Exam"),
        "code": backstep_code(value.code, value.display),
        "subject": reference("Patient", measurement.patient_id),
        "effectiveDateTime": measurement.date.isoformat(),
        **value.value(measurement),
    }


def measurement_observations(measurement) -> list[dict]:
    """Every Observation of one measurement row, one per value recorded (possibly none)."""
    return [measurement_observation(measurement, value) for value in MEASUREMENT_VALUES
            if value.is_recorded(measurement)]
