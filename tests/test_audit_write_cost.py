"""Issue 21: the audit write is cheap. A logged session's event is one INSERT with no reads; a list page's event
and the patients it contained are one statement on PostgreSQL (no BEGIN/COMMIT round trips), written whole."""

from __future__ import annotations

import uuid

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from clinic.models import AuditEvent, AuditEventPatient
from patients.services import clinic_today
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _audit_sql(captured) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if "clinic_auditevent" in q["sql"]]


def test_a_logged_session_writes_its_event_in_one_insert_and_reads_nothing_for_it(world):
    walk = world.assignment_a1.exercises.get(order=0, phase__order=0)
    form = {"exercise": walk.pk, "date": clinic_today(world.clinic_a).isoformat(), "completed": "yes",
            "duration_min": "10", "speed_kmh": "2.5", "incline_pct": "0", "pain_during": "2", "pain_after": "1",
            "rpe": "5", "notes": "", "client_uuid": str(uuid.uuid4())}
    client = _client(world.patient_a1.user)
    with CaptureQueriesContext(connection) as captured:
        assert client.post("/log/", form, HTTP_ACCEPT="application/json").status_code == 201
    audit = _audit_sql(captured)
    assert len(audit) == 1 and audit[0].startswith('INSERT INTO "clinic_auditevent"')
    event = AuditEvent.objects.get(route="patients:log-session")
    assert event.patient_id == world.patient_a1.pk and event.clinic_id == world.clinic_a.pk


def test_a_list_page_writes_its_event_and_patients_in_one_statement_on_postgresql(world):
    if connection.vendor != "postgresql":
        pytest.skip("one statement on PostgreSQL; SQLite writes the event and its patients in a transaction")
    for n in range(3):
        PatientFactory(clinic=world.clinic_a, therapist=world.therapist_a, last_name=f"Zed{n}")
    client = _client(world.therapist_a)
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/patients/").status_code == 200
    audit = _audit_sql(captured)
    assert len(audit) == 1 and audit[0].startswith("WITH event AS (INSERT INTO")
    assert not any(q["sql"] in ("BEGIN", "COMMIT") for q in captured.captured_queries)
    event = AuditEvent.objects.get(route="patients:list")
    shown = list(AuditEventPatient.objects.filter(event=event).order_by("id").values_list("patient_id", flat=True))
    assert event.patient_count == len(shown) == 5
    assert set(shown) == set(world.clinic_a.patients.values_list("pk", flat=True))


def test_an_event_whose_patients_cannot_be_written_is_not_written_either(world):
    if connection.vendor != "postgresql":
        pytest.skip("the one-statement write is PostgreSQL's")
    from clinic.audit_write import event_with_patients_insert

    event = AuditEvent(clinic_id=world.clinic_a.pk, actor_role="therapist", action="read", method="GET",
                       route="patients:list", object_type="patient", status_code=200, patient_count=2)
    # The same patient twice breaks the (patient, event) unique constraint after the event row is inserted.
    with pytest.raises(IntegrityError), transaction.atomic():
        event_with_patients_insert(event, [world.patient_a1.pk, world.patient_a1.pk])
    assert not AuditEvent.objects.filter(route="patients:list").exists()
    assert not AuditEventPatient.objects.exists()
