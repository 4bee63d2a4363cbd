"""Change times: a corrected session, a renamed patient and an ended plan show as changed (meta.lastUpdated,
`_lastUpdated`, the registry's `since` behind Bulk `_since`), and rows left alone do not."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fhir.registry import RESOURCE_TYPES
from fhir.tests.fhir_world import fill
from patients.models import Assignment, Measurement, MorningCheckIn, Patient, PhaseVersion, SessionLog, StepVersion
from patients.services import assignment_end, patient_update, session_log_update
from tests.api.support import api  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

FHIR = "/fhir/R4/"


@pytest.fixture
def aged(world):
    """The filled world as if everything was made an hour ago; returns the moment half an hour ago."""
    fill(world)
    hour_ago = timezone.now() - dt.timedelta(hours=1)
    for model in (Patient, SessionLog, Measurement, Assignment, MorningCheckIn):
        model.objects.update(created_at=hour_ago, updated_at=hour_ago)
    for model in (StepVersion, PhaseVersion):
        model.objects.update(created_at=hour_ago)
    return timezone.now() - dt.timedelta(minutes=30)


def _ids(client, path, **params) -> list[str]:
    response = client.get(f"{FHIR}{path}", params)
    assert response.status_code == 200, response.content
    return [entry["resource"]["id"] for entry in response.json()["entry"]]


def _after(mark: dt.datetime) -> str:
    return "gt" + mark.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_corrected_session_is_changed_after_the_correction(world, aged, api):
    client = api("key_a")
    assert _ids(client, "Observation", _lastUpdated=_after(aged)) == []
    session = world.patient_a1.sessions.order_by("pk").first()
    session_log_update(patient=world.patient_a1, session=session, today=dt.date.today(),
                       pain_after=0 if session.pain_after else 1)
    session.refresh_from_db()
    assert session.updated_at > aged > session.created_at
    assert _ids(client, "Observation", _lastUpdated=_after(aged)) == [f"session-{session.pk}"]
    read = client.get(f"{FHIR}Observation/session-{session.pk}").json()
    assert read["meta"]["lastUpdated"].startswith(session.updated_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M"))
    changed = RESOURCE_TYPES["Observation.session"].rows(world.clinic_a, since=aged)
    assert list(changed.values_list("pk", flat=True)) == [session.pk]


def test_a_renamed_patient_is_changed_and_the_others_are_not(world, aged, api):
    client = api("key_a")
    patient_update(patient=world.patient_a2, last_name="Renamed")
    assert _ids(client, "Patient", _lastUpdated=_after(aged)) == [str(world.patient_a2.pk)]
    changed = RESOURCE_TYPES["Patient"].rows(world.clinic_a, since=aged)
    assert list(changed.values_list("pk", flat=True)) == [world.patient_a2.pk]


def test_an_ended_plan_is_changed(world, aged, api):
    client = api("key_a")
    assert _ids(client, "CarePlan", _lastUpdated=_after(aged)) == []
    assignment_end(assignment=world.assignment_a1, end_date=dt.date.today())
    assert _ids(client, "CarePlan", _lastUpdated=_after(aged)) == [str(world.assignment_a1.pk)]


def test_a_changed_measurement_is_changed(world, aged):
    measurement = world.patient_a1.measurements.get()
    measurement.rom_pct = 97
    measurement.save()
    for code in ("quad-lsi", "rom"):
        rows = RESOURCE_TYPES[f"Observation.measurement.{code}"].rows(world.clinic_a, since=aged)
        assert list(rows.values_list("pk", flat=True)) == [measurement.pk]
