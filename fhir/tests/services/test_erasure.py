"""Erasure: the patient's rows, files and login go; the audit trail stays; the confirmation must match."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from clinic.clock import clinic_today
from clinic.models import AuditEvent, AuditEventPatient, Notification, User
from exercise_media.models import ExerciseMedia
from exercise_media.storage import media_storage
from exercise_media.tests.support import ready_picture, use_storage
from fhir.erasure import erasure_word, patient_erase
from monitoring.models import TimeEntry
from outcomes.answering import response_submit
from outcomes.models import QuestionnaireResponse
from outcomes.plan_questionnaires import plan_questionnaire_add
from patients.models import Assignment, Flag, MorningCheckIn, Patient, SessionLog
from reminders.models import PushSubscription, ReminderPreference
from tests.factories import MorningCheckInFactory, SessionLogFactory

pytestmark = pytest.mark.django_db


def test_erasure_removes_the_patient_their_rows_files_and_login_and_keeps_the_trail(
        world, settings, tmp_path, django_capture_on_commit_callbacks):
    use_storage(settings, tmp_path)
    patient = world.patient_a1
    patient.external_ref = "MRN-001"
    patient.save()
    exercise = world.assignment_a1.exercises.order_by("pk").first()
    SessionLogFactory(exercise=exercise)
    MorningCheckInFactory(patient=patient)
    picture = ready_picture(exercise=exercise)
    flag = Flag.objects.create(patient=patient, exercise=exercise, kind=Flag.Kind.PAIN_RED,
                               severity=Flag.Severity.URGENT, reasons=["Pain 7/10."])
    Notification.objects.create(clinic=world.clinic_a, kind=Notification.Kind.URGENT_FLAG,
                                recipient=world.therapist_a, flag=flag, subject="Backstep: urgent flag",
                                body="A patient of yours (clinic reference MRN-001) has an urgent flag")
    files = [picture.file, picture.thumbnail]
    login_id, patient_id = patient.user_id, patient.pk
    event = AuditEvent.objects.create(clinic=world.clinic_a, user=world.therapist_a, actor_role="therapist",
                                      action="read", method="GET", route="patients:detail", object_type="patient",
                                      object_id=str(patient.pk), patient_id=patient.pk, status_code=200)
    AuditEventPatient.objects.create(event=event, patient_id=patient.pk)

    with django_capture_on_commit_callbacks(execute=True):
        removed = patient_erase(patient=patient, confirmation="  MRN-001 ")

    assert removed["patient"] == 1 and removed["sessionlog"] == 1 and removed["login"] == 1
    assert removed["notification"] == 1 and not Notification.objects.filter(body__contains="MRN-001").exists()
    assert not Patient.objects.filter(pk=patient_id).exists()
    assert not User.objects.filter(pk=login_id).exists()
    for model in (Assignment, SessionLog, MorningCheckIn, Flag, ExerciseMedia, TimeEntry):
        assert not model.objects.filter(patient_id=patient_id).exists(), model
    assert not any(media_storage().exists(name) for name in files)
    assert AuditEvent.objects.filter(patient_id=patient_id).count() == 1  # the trail keeps the id
    assert AuditEventPatient.objects.filter(patient_id=patient_id).count() == 1
    assert Patient.objects.filter(pk=world.patient_a2.pk).exists()  # nobody else


def test_the_confirmation_must_repeat_the_reference_or_the_name(world):
    patient = world.patient_a2
    assert erasure_word(patient) == patient.full_name  # no external reference
    with pytest.raises(ValidationError, match="full name"):
        patient_erase(patient=patient, confirmation="yes")
    patient.external_ref = "MRN-2"
    with pytest.raises(ValidationError, match="external reference"):
        patient_erase(patient=patient, confirmation=patient.full_name)
    assert Patient.objects.filter(pk=patient.pk).exists()


def test_a_login_that_is_also_staff_is_kept(world):
    from clinic.models import Membership

    patient = world.patient_a1
    Membership.objects.create(user=patient.user, clinic=world.clinic_b, role="therapist")
    removed = patient_erase(patient=patient, confirmation=erasure_word(patient))
    assert "login" not in removed and User.objects.filter(pk=patient.user_id).exists()


def test_erasure_also_removes_questionnaire_answers_reminder_settings_and_push_subscriptions(world):
    patient = world.patient_a1
    plan_questionnaire_add(assignment=world.assignment_a1, instrument_id="sane", user=world.therapist_a)
    response_submit(patient=patient, instrument_id="sane", today=clinic_today(world.clinic_a), answers={"SANE": 60})
    ReminderPreference.objects.create(patient=patient)
    PushSubscription.objects.create(patient=patient, endpoint="https://push.example.org/send/abc", p256dh="k", auth="a")
    patient_id = patient.pk

    patient_erase(patient=patient, confirmation=erasure_word(patient))

    for model in (QuestionnaireResponse, ReminderPreference, PushSubscription):
        assert not model.objects.filter(patient_id=patient_id).exists(), model
