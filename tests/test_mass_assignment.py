"""Fields that decide ownership — clinic, therapist, patient, role — cannot be set or moved by a request from
someone not allowed to, whatever the body says (API and pages)."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from clinic.models import Membership
from patients.models import Assignment, Measurement, MorningCheckIn, Patient, SessionLog
from protocols.models import Protocol
from tests.api.support import api, rows, walk  # noqa: F401 (fixtures)
from tests.factories import PatientFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]

PATIENT = {"first_name": "Sam", "last_name": "Test", "condition": "pfp", "side": "left"}


def test_new_patient_lands_in_the_callers_clinic_whatever_the_body_says(world, api):
    response = api("therapist_a").post("/api/v1/patients/", {**PATIENT, "clinic": world.clinic_b.pk})
    assert response.status_code == 201, response.content
    assert Patient.objects.get(pk=response.json()["id"]).clinic_id == world.clinic_a.pk


@pytest.mark.parametrize("method", ["post", "put", "patch"])
def test_patient_cannot_be_given_another_clinics_therapist(world, api, method):
    client = api("therapist_a")
    body = {**PATIENT, "therapist": world.therapist_b.pk}
    if method == "post":
        response = client.post("/api/v1/patients/", body)
    else:
        response = getattr(client, method)(f"/api/v1/patients/{world.patient_a1.pk}/", body)
    assert response.status_code == 400 and "therapist" in response.json(), response.content
    world.patient_a1.refresh_from_db()
    assert world.patient_a1.therapist_id == world.therapist_a.pk


def test_patient_cannot_be_moved_to_another_clinic(world, api):
    response = api("therapist_a").patch(f"/api/v1/patients/{world.patient_a1.pk}/", {"clinic": world.clinic_b.pk})
    assert response.status_code == 200
    world.patient_a1.refresh_from_db()
    assert world.patient_a1.clinic_id == world.clinic_a.pk


def test_a_patient_logs_sessions_only_for_themselves(world, api):
    client = api("patient_a1")
    own = client.post("/api/v1/sessions/", {"exercise": walk(world.assignment_a1).pk, "patient": world.patient_a2.pk,
                                            "duration_min": 10, "pain_during": 1, "pain_after": 1})
    assert own.status_code == 201, own.content
    assert SessionLog.objects.get(pk=own.json()["id"]).patient_id == world.patient_a1.pk
    others = client.post("/api/v1/sessions/", {"exercise": walk(world.assignment_a2).pk, "duration_min": 10,
                                               "pain_during": 1, "pain_after": 1})
    assert others.status_code == 400 and "exercise" in others.json()
    assert not SessionLog.objects.filter(patient=world.patient_a2).exists()


def test_a_patients_checkin_stays_theirs(world, rows, api):
    client = api("patient_a1")
    created = client.post("/api/v1/checkins/", {"pain": 2, "patient": world.patient_a2.pk})
    assert created.status_code in (200, 201), created.content
    assert MorningCheckIn.objects.get(pk=created.json()["id"]).patient_id == world.patient_a1.pk
    moved = client.patch(f"/api/v1/checkins/{rows.checkin_a1.pk}/", {"patient": world.patient_a2.pk, "pain": 3})
    assert moved.status_code == 200
    rows.checkin_a1.refresh_from_db()
    assert (rows.checkin_a1.patient_id, rows.checkin_a1.pain) == (world.patient_a1.pk, 3)


def test_staff_cannot_write_for_another_clinics_patient(world, rows, api):
    client = api("therapist_a")
    measurement = client.post("/api/v1/measurements/", {"patient": world.patient_b1.pk, "effusion": "trace"})
    assert measurement.status_code == 400 and "patient" in measurement.json()
    assignment = client.post("/api/v1/assignments/", {"patient": world.patient_b1.pk,
                                                       "protocol": world.assignment_a1.protocol_id})
    assert assignment.status_code == 400 and "patient" in assignment.json()
    fresh = PatientFactory(clinic=world.clinic_a)
    other_protocol = client.post("/api/v1/assignments/", {"patient": fresh.pk, "protocol": rows.protocol_b.pk})
    assert other_protocol.status_code == 400 and "protocol" in other_protocol.json()
    assert not Measurement.objects.filter(patient=world.patient_b1, recorded_by=world.therapist_a).exists()
    assert not Assignment.objects.filter(patient=fresh).exists()


def test_recorded_by_is_the_caller(world, api):
    response = api("therapist_a").post("/api/v1/measurements/", {"patient": world.patient_a1.pk, "effusion": "0",
                                                                  "recorded_by": world.therapist_b.pk})
    assert response.status_code == 201
    assert Measurement.objects.get(pk=response.json()["id"]).recorded_by_id == world.therapist_a.pk


def test_protocol_clinic_is_the_callers(world, rows, api):
    client = api("therapist_a")
    created = client.post("/api/v1/protocols/", {"name": "Mine", "condition": "pfp", "clinic": world.clinic_b.pk})
    assert created.status_code == 201, created.content
    assert Protocol.objects.get(pk=created.json()["id"]).clinic_id == world.clinic_a.pk
    client.patch(f"/api/v1/protocols/{rows.protocol_a.pk}/", {"clinic": world.clinic_b.pk})
    rows.protocol_a.refresh_from_db()
    assert rows.protocol_a.clinic_id == world.clinic_a.pk


def test_patient_form_refuses_another_clinics_therapist(client, world):
    client.force_login(world.therapist_a)
    response = client.post(reverse("patients:edit", args=[world.patient_a1.pk]), {
        **PATIENT, "therapist": world.therapist_b.pk, "clinic": world.clinic_b.pk})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    world.patient_a1.refresh_from_db()
    assert (world.patient_a1.clinic_id, world.patient_a1.therapist_id) == (world.clinic_a.pk, world.therapist_a.pk)


def test_staff_invite_cannot_pick_the_clinic_or_an_unknown_role(client, world):
    client.force_login(world.admin_a)
    response = client.post(reverse("clinic-admin:staff-invite"), {
        "email": "new@a.test", "first_name": "New", "role": "superuser", "clinic": world.clinic_b.pk})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    ok = client.post(reverse("clinic-admin:staff-invite"), {
        "email": "new@a.test", "first_name": "New", "role": "therapist", "clinic": world.clinic_b.pk})
    assert ok.status_code == 200
    membership = Membership.objects.get(user__email="new@a.test")
    assert (membership.clinic_id, membership.role) == (world.clinic_a.pk, "therapist")


def test_phone_form_cannot_log_for_another_patient(client, world):
    from patients.services import clinic_today

    client.force_login(world.patient_a1.user)
    response = client.post(reverse("patients:log-session"), {
        "exercise": walk(world.assignment_a2).pk, "date": clinic_today(world.clinic_a).isoformat(),
        "completed": "yes", "duration_min": "10", "speed_kmh": "2.5", "incline_pct": "0", "pain_during": "1",
        "pain_after": "1", "client_uuid": str(uuid.uuid4()), "patient": world.patient_a2.pk})
    assert response.status_code == 200  # the form again, with its error
    assert not SessionLog.objects.exists()
