"""patients 0011: rows made before it take their creation time as their last change (nothing older records one)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from patients.models import Patient, SessionLog
from tests.factories import PatientFactory, SessionLogFactory, make_protocol

BEFORE = [("patients", "0010_outcome_flags")]


@pytest.mark.django_db(transaction=True)
def test_existing_rows_are_backfilled_from_their_creation_time():
    from patients.services import assignment_create

    patient = PatientFactory()
    plan = assignment_create(patient=patient, protocol=make_protocol(clinic=patient.clinic),
                             start_date=dt.date.today(), baseline_pain=1, assigned_by=None)
    session = SessionLogFactory(exercise=plan.exercises.order_by("order").first())
    made = timezone.now() - dt.timedelta(days=200)
    Patient.objects.filter(pk=patient.pk).update(created_at=made)
    SessionLog.objects.filter(pk=session.pk).update(created_at=made - dt.timedelta(days=1))
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    # Forward through 0011 to every app's latest migration, as the other tests' database is (later patients
    # migrations add columns the model reads).
    executor.migrate(executor.loader.graph.leaf_nodes())
    patient.refresh_from_db()
    session.refresh_from_db()
    assert patient.updated_at == made
    assert session.updated_at == made - dt.timedelta(days=1)
