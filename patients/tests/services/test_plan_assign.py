"""plan_assign: the assign page's write, an ACL-R patient's surgery date and the plan, together or not at all."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from patients.models import Assignment
from patients.services import clinic_today, plan_assign
from tests.factories import PatientFactory, make_protocol

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


@pytest.fixture
def acl_patient(world):
    today = clinic_today(world.clinic_a)
    return PatientFactory(clinic=world.clinic_a, therapist=world.therapist_a, condition="acl",
                          surgery_date=today - dt.timedelta(weeks=10))


def assign(patient, protocol, *, surgery_date, by):
    return plan_assign(patient=patient, protocol=protocol, start_date=clinic_today(patient.clinic),
                       baseline_pain=2, surgery_date=surgery_date, assigned_by=by)


def test_the_new_surgery_date_and_the_plan_are_saved_together(world, acl_patient):
    new_date = acl_patient.surgery_date - dt.timedelta(days=3)
    assignment = assign(acl_patient, make_protocol(condition="acl"), surgery_date=new_date, by=world.therapist_a)
    acl_patient.refresh_from_db()
    assert acl_patient.surgery_date == new_date
    assert assignment.status == Assignment.Status.ACTIVE and assignment.assigned_by == world.therapist_a


def test_a_refused_plan_leaves_the_running_plan_and_the_surgery_date_as_they_were(world, acl_patient):
    kept_date = acl_patient.surgery_date
    running = assign(acl_patient, make_protocol(condition="acl"), surgery_date=kept_date, by=world.therapist_a)
    with pytest.raises(ValidationError) as refused:
        assign(acl_patient, make_protocol(condition="acl"), surgery_date=kept_date - dt.timedelta(days=5),
               by=world.therapist_a)
    assert "already has an active assignment" in str(refused.value)
    acl_patient.refresh_from_db()
    assert acl_patient.surgery_date == kept_date  # the date written first was rolled back with the refusal
    assert list(acl_patient.assignments.values_list("pk", "status")) == [(running.pk, Assignment.Status.ACTIVE)]


def test_a_protocol_of_another_clinic_changes_nothing(world, acl_patient):
    kept_date = acl_patient.surgery_date
    with pytest.raises(ValidationError, match="another clinic"):
        assign(acl_patient, make_protocol(clinic=world.clinic_b, condition="acl"),
               surgery_date=kept_date - dt.timedelta(days=5), by=world.therapist_a)
    acl_patient.refresh_from_db()
    assert acl_patient.surgery_date == kept_date and not acl_patient.assignments.exists()


def test_a_knee_pain_patient_keeps_no_surgery_date(world):
    patient = PatientFactory(clinic=world.clinic_a, therapist=world.therapist_a, condition="pfp")
    assign(patient, make_protocol(), surgery_date=None, by=world.therapist_a)
    patient.refresh_from_db()
    assert patient.surgery_date is None and patient.assignments.get().status == Assignment.Status.ACTIVE
