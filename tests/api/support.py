"""Shared pieces of the resource API tests: a client per role, and a clinic with one row of everything.

Import the fixtures into a test module (`from tests.api.support import api, rows`) to use them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from clinic.services import api_key_create, api_key_revoke
from patients.models import AssignedExercise, Flag
from patients.services import clinic_today
from tests.factories import (
    ExerciseTemplateFactory,
    MeasurementFactory,
    MorningCheckInFactory,
    SessionLogFactory,
    make_protocol,
)

# Who can ask: signed-in users of clinics A and B, API keys of both clinics, a revoked key, nobody.
ROLES = ("anonymous", "admin_a", "therapist_a", "patient_a1", "patient_a2", "therapist_b", "patient_b1", "key_a",
         "key_b", "revoked_key_a")


def forget_throttle_history() -> None:
    """Key ids repeat between tests on SQLite (rolled back), so a key could inherit an earlier test's requests.

    Only the local-memory cache is cleared: with Redis (CI) ids never repeat,
    and that Redis database is shared with the Celery broker.
    """
    from django.core.cache import caches
    from django.core.cache.backends.locmem import LocMemCache

    if isinstance(caches["default"], LocMemCache):
        caches["default"].clear()


@pytest.fixture
def api(world):
    """api("therapist_a") -> an APIClient signed in as that role (or carrying that API key)."""
    forget_throttle_history()

    def client_for(role: str) -> APIClient:
        client = APIClient()
        if role == "anonymous":
            return client
        if role in ("key_a", "key_b", "revoked_key_a"):
            clinic = world.clinic_b if role == "key_b" else world.clinic_a
            key, raw = api_key_create(clinic=clinic, name=role)
            if role == "revoked_key_a":
                api_key_revoke(key=key)
            client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
            return client
        users = {
            "admin_a": world.admin_a, "therapist_a": world.therapist_a, "therapist_b": world.therapist_b,
            "patient_a1": world.patient_a1.user, "patient_a2": world.patient_a2.user,
            "patient_b1": world.patient_b1.user,
        }
        client.force_login(users[role])
        return client

    return client_for


def walk(assignment) -> AssignedExercise:
    """The retro treadmill walk (the ladder exercise) of an assignment."""
    return assignment.exercises.get(order=0, phase__order=0)


@dataclass
class Rows:
    """One row of each kind for patient A1 (clinic A) and for patient B1 (clinic B)."""

    template_a: object
    template_b: object
    protocol_a: object
    protocol_b: object
    session_a1: object
    session_b1: object
    checkin_a1: object
    checkin_b1: object
    measurement_a1: object
    measurement_b1: object
    flag_a1: object
    flag_b1: object


def progression_flag(assignment, **overrides) -> Flag:
    exercise = walk(assignment)
    values = dict(patient=assignment.patient, exercise=exercise, kind=Flag.Kind.PROGRESSION,
                  severity=Flag.Severity.INFO, decision="progress", suggested_step=1, rules=["R11"],
                  reasons=["Three green sessions in a row: try the next step."], evidence={"green_sessions": 3})
    values.update(overrides)
    return Flag.objects.create(**values)


def sessions_for(assignment, count: int = 1, start: dt.date | None = None) -> list:
    start = start or clinic_today(assignment.patient.clinic) - dt.timedelta(days=count)
    return [SessionLogFactory(exercise=walk(assignment), date=start + dt.timedelta(days=n)) for n in range(count)]


@pytest.fixture
def rows(world) -> Rows:
    today = clinic_today(world.clinic_a)
    yesterday = today - dt.timedelta(days=1)
    return Rows(
        template_a=ExerciseTemplateFactory(clinic=world.clinic_a, name="Clinic A walk"),
        template_b=ExerciseTemplateFactory(clinic=world.clinic_b, name="Clinic B walk"),
        protocol_a=make_protocol(clinic=world.clinic_a),
        protocol_b=make_protocol(clinic=world.clinic_b),
        session_a1=sessions_for(world.assignment_a1)[0],
        session_b1=sessions_for(world.assignment_b1)[0],
        checkin_a1=MorningCheckInFactory(patient=world.patient_a1, date=yesterday),
        checkin_b1=MorningCheckInFactory(patient=world.patient_b1, date=yesterday),
        measurement_a1=MeasurementFactory(patient=world.patient_a1, quad_lsi_pct=Decimal("82.5")),
        measurement_b1=MeasurementFactory(patient=world.patient_b1),
        flag_a1=progression_flag(world.assignment_a1),
        flag_b1=progression_flag(world.assignment_b1),
    )


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}
