"""The world every cell of the authorization matrix runs in, and how a cell's request is sent and judged.

Clinic A's objects (`objects`), a client per actor, the patients each actor may not see, a fingerprint of the
tenant tables and the outcome a response counts as. Import the fixture into a test module
(`from tests.authorization_support import objects`) together with `rows` from tests.api.support.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.test import Client

from clinic.models import ApiKey, AuditEvent, ClinicSettings, Membership, Notification, User
from clinic.services import api_key_create, api_key_revoke, staff_join_link
from monitoring.models import Enrolment, RunningTimer, TimeEntry
from monitoring.services import enrolment_start, time_entry_create
from outcomes.answering import response_submit
from outcomes.models import AssignmentQuestionnaire, ImportedQuestionnaire, QuestionnaireResponse
from outcomes.plan_questionnaires import plan_questionnaire_add
from patients.models import (
    AssignedLadderStep,
    Assignment,
    Flag,
    Invitation,
    Measurement,
    MorningCheckIn,
    Patient,
    SessionLog,
)
from patients.services import clinic_today, invitation_create
from protocols.models import ExerciseTemplate, LadderStep, Phase, PrescribedExercise, Protocol
from tests.api.support import forget_throttle_history
from tests.factories import PatientFactory, UserFactory

# --- The world every cell runs in -----------------------------------------------------------------------------

@dataclass
class Objects:
    world: object
    patient_a1: Patient
    patient_a3: Patient  # invited, no account yet
    assignment_a1: Assignment
    session_a1: SessionLog
    checkin_a1: MorningCheckIn
    measurement_a1: Measurement
    flag_a1: Flag
    template_a: ExerciseTemplate
    protocol_a: Protocol
    phase_a: Phase
    exercise_a: PrescribedExercise
    step_a: LadderStep
    membership_therapist_a: Membership
    key_a: ApiKey
    raw_key_a: str
    raw_revoked_key_a: str
    invitation_token: str
    staff_join_token: str
    audit_event_a: AuditEvent
    notification_a: Notification
    time_entry_a1: TimeEntry  # patient A1 is enrolled in remote monitoring; therapist A logged this
    media_template_a: object  # a picture of clinic A's template A
    media_patient_a1: object  # a picture made for patient A1's first exercise
    questionnaire_a1: AssignmentQuestionnaire  # SANE on patient A1's plan (not on A2's)
    response_a1: QuestionnaireResponse  # patient A1's submitted SANE


@pytest.fixture
def objects(world, rows, settings, tmp_path) -> Objects:
    from exercise_media.tests.support import ready_picture, use_storage

    forget_throttle_history()
    use_storage(settings, tmp_path)
    patient_a3 = PatientFactory(clinic=world.clinic_a, therapist=world.therapist_a, email="a3@a.test",
                                first_name="Ada", last_name="Abbott")
    _invitation, link = invitation_create(patient=patient_a3, created_by=world.therapist_a)
    joiner = UserFactory(email="joiner@example.test")
    join_link = staff_join_link(clinic=world.clinic_a, user=joiner, role=Membership.Role.THERAPIST)
    key_a, raw_key_a = api_key_create(clinic=world.clinic_a, name="Reporting A")
    revoked, raw_revoked = api_key_create(clinic=world.clinic_a, name="Old reporting A")
    api_key_revoke(key=revoked)
    phase = rows.protocol_a.phases.order_by("order").first()
    exercise = phase.exercises.order_by("order").first()
    event = AuditEvent.objects.create(clinic=world.clinic_a, user=world.therapist_a, actor_role="therapist",
                                      action="read", method="GET", route="patients:list", object_type="patient",
                                      status_code=200)
    notification = Notification.objects.create(
        clinic=world.clinic_a, kind=Notification.Kind.URGENT_FLAG, recipient=world.therapist_a, flag=rows.flag_a1,
        subject="Backstep: urgent flag", body="…", status=Notification.Status.FAILED, attempts=5,
        last_error="SMTPServerDisconnected")
    today = clinic_today(world.clinic_a)
    enrolment_start(patient=world.patient_a1, setup_date=today - dt.timedelta(days=10), enrolled_by=world.therapist_a,
                    today=today)
    entry = time_entry_create(patient=world.patient_a1, author=world.therapist_a, date=today, minutes=12,
                              activity="Phone call", interactive=True, today=today)
    questionnaire = plan_questionnaire_add(assignment=world.assignment_a1, instrument_id="sane",
                                           user=world.therapist_a)
    response, _new = response_submit(patient=world.patient_a1, instrument_id="sane", today=today,
                                     answers={"SANE": 70})
    return Objects(
        world=world, patient_a1=world.patient_a1, patient_a3=patient_a3, assignment_a1=world.assignment_a1,
        session_a1=rows.session_a1, checkin_a1=rows.checkin_a1, measurement_a1=rows.measurement_a1,
        flag_a1=rows.flag_a1, template_a=rows.template_a, protocol_a=rows.protocol_a, phase_a=phase,
        exercise_a=exercise, step_a=exercise.ladder_steps.order_by("order").first(),
        membership_therapist_a=Membership.objects.get(user=world.therapist_a),
        key_a=key_a, raw_key_a=raw_key_a, raw_revoked_key_a=raw_revoked,
        invitation_token=link.rstrip("/").rsplit("/", 1)[1], audit_event_a=event, notification_a=notification,
        staff_join_token=join_link.rstrip("/").rsplit("/", 1)[1], time_entry_a1=entry,
        media_template_a=ready_picture(template=rows.template_a),
        media_patient_a1=ready_picture(exercise=world.assignment_a1.exercises.order_by("pk").first()),
        questionnaire_a1=questionnaire, response_a1=response,
    )


def client_for(actor: str, o: Objects) -> Client:
    client = Client(raise_request_exception=False)
    w = o.world
    users = {"patient_a1": w.patient_a1.user, "patient_a2": w.patient_a2.user, "therapist_a": w.therapist_a,
             "admin_a": w.admin_a, "therapist_b": w.therapist_b}
    if actor in users:
        client.force_login(users[actor])
    elif actor == "key_a":
        client.defaults["HTTP_AUTHORIZATION"] = f"Api-Key {o.raw_key_a}"
    elif actor == "revoked_key_a":
        client.defaults["HTTP_AUTHORIZATION"] = f"Api-Key {o.raw_revoked_key_a}"
    return client


# Names of the patients each actor may not see; none of them may appear in a response that actor gets.
VISIBLE = {
    "patient_a1": {"patient_a1"}, "patient_a2": {"patient_a2"},
    "therapist_a": {"patient_a1", "patient_a2", "patient_a3"}, "admin_a": {"patient_a1", "patient_a2", "patient_a3"},
    "key_a": {"patient_a1", "patient_a2", "patient_a3"}, "therapist_b": {"patient_b1"},
    "anonymous": set(), "revoked_key_a": set(),
}


def hidden_names(actor: str, o: Objects, route_name: str) -> list[str]:
    w = o.world
    patients = {"patient_a1": w.patient_a1, "patient_a2": w.patient_a2, "patient_a3": o.patient_a3,
                "patient_b1": w.patient_b1}
    visible = set(VISIBLE[actor])
    if route_name == "patients:invitation":
        visible.add("patient_a3")  # the invitation greets its own patient by name, whoever holds the link
    return [p.last_name for key, p in patients.items() if key not in visible]


TENANT_TABLES = (Patient, Assignment, AssignedLadderStep, SessionLog, MorningCheckIn, Measurement, Flag, Invitation,
                 Protocol, Phase, PrescribedExercise, LadderStep, ExerciseTemplate, Membership, ClinicSettings, ApiKey,
                 Notification, Enrolment, TimeEntry, RunningTimer, ImportedQuestionnaire, AssignmentQuestionnaire,
                 QuestionnaireResponse)


def fingerprint() -> dict:
    """Every tenant row, plus who may sign in: enough to see any write at all."""
    state = {model.__name__: sorted(map(repr, model.objects.values_list())) for model in TENANT_TABLES}
    # A key's "last used" time is bookkeeping of the refusal itself, not a write the caller made.
    state["ApiKey"] = sorted(ApiKey.objects.values_list("pk", "clinic_id", "name", "key_hash", "revoked_at"))
    state["users"] = sorted(User.objects.values_list("pk", "is_active", "password", "email"))
    return state


def outcome(response) -> str | int:
    status = response.status_code
    if status in (301, 302, 303):
        location = response["Location"]
        return "login" if location.startswith(("/accounts/login/", "/admin/login/")) else "ok"
    if status < 300 or status in (400, 409):
        return "ok"
    return status


def send(client: Client, method: str, url: str, actor: str):
    if url.startswith("/api/"):
        return client.generic(method, url, data="{}" if method != "GET" else "", content_type="application/json")
    if method == "GET":
        return client.get(url)
    return client.post(url, {})
