"""What the bad-input suites (test_bad_input.py, test_bad_input_fields.py) share: the API addresses they post
to and a valid session body to spoil."""

from __future__ import annotations

from tests.api.support import walk

SESSIONS = "/api/v1/sessions/"
PATIENTS = "/api/v1/patients/"


def session_body(world, **overrides) -> dict:
    body = {"exercise": walk(world.assignment_a1).pk, "duration_min": 10, "speed_kmh": 2.5, "incline_pct": 0,
            "pain_during": 2, "pain_after": 1}
    body.update(overrides)
    return body
