"""The authorization matrix: every page and every API operation, for every kind of caller.

The routes come from the URL resolver, so a new page or endpoint that is not
declared below fails `test_every_route_is_in_the_matrix`. Each declaration
names who the route is for (its audience) and whose object its URL points at;
the expected outcome for each actor follows from that:

- "ok": let through (2xx, a redirect that is not to sign-in, or a 400/409 about
  the empty body the matrix sends: the caller passed the checks);
- "login": a page's redirect to sign-in; 401: the API without valid credentials;
- 403: signed in, wrong role; 404: the object belongs to another clinic or patient;
- 405: the method is not offered.

For every cell the test also asserts that refused requests change nothing (the
tenant tables are compared before and after), that no response shown to an
actor contains the name of a patient that actor may not see, and that every
successful request to a patient-data route wrote exactly one audit event
(and requests elsewhere none). Each actor's request runs in a savepoint that is
rolled back, so one actor's successful write cannot change the next one's answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from clinic.models import ApiKey, AuditEvent, ClinicSettings, Membership, Notification, User
from clinic.security import TWO_FACTOR_API_MESSAGE
from clinic.services import api_key_create, api_key_revoke, staff_join_link
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
from patients.services import invitation_create
from protocols.models import ExerciseTemplate, LadderStep, Phase, PrescribedExercise, Protocol
from tests.api.support import forget_throttle_history, rows  # noqa: F401 (fixture)
from tests.factories import PatientFactory, UserFactory
from tests.support import code_for, turn_on_two_factor

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]

ACTORS = ("anonymous", "patient_a1", "patient_a2", "therapist_a", "admin_a", "therapist_b", "key_a",
          "revoked_key_a")
KEYS = {"key_a", "revoked_key_a"}
STAFF_A = {"therapist_a", "admin_a"}
PATIENTS = {"patient_a1", "patient_a2"}


# --- Audiences: who a route is for, and what everyone else gets -----------------------------------------------

def signed_in_refusal(actor: str, *, other_clinic, patients, staff):
    """What a signed-in caller who is not in the audience gets: by clinic first, then by role."""
    if actor == "therapist_b":
        return other_clinic
    if actor in PATIENTS:
        return patients
    return staff


def page(allowed: set[str], other_clinic: str | int = 404, patients: str | int = 403, staff: str | int = 403):
    """An HTML page: `allowed` get through; the rest get sign-in (no session), 403 (wrong role) or 404."""
    def expect(actor: str):
        if actor in allowed:
            return "ok"
        if actor == "anonymous" or actor in KEYS:  # pages ignore API keys: no session, so sign in
            return "login"
        return signed_in_refusal(actor, other_clinic=other_clinic, patients=patients, staff=staff)
    return expect


def everyone(actor: str):
    return "ok"


def api(allowed: set[str], other_clinic: str | int = 404, patients: str | int = 403, staff: str | int = 403,
        keys: str | int = 403):
    """An API operation: `allowed` get through; no or revoked credentials 401; the rest 403 or 404."""
    def expect(actor: str):
        if actor in allowed:
            return "ok"
        if actor in ("anonymous", "revoked_key_a"):
            return 401
        if actor == "key_a":
            return keys
        return signed_in_refusal(actor, other_clinic=other_clinic, patients=patients, staff=staff)
    return expect


STAFF_PAGE = page(STAFF_A | {"therapist_b"})  # lists and forms: each clinic sees its own
STAFF_OBJECT_PAGE = page(STAFF_A)  # clinic A's object: clinic B's staff get 404
ADMIN_PAGE = page({"admin_a"}, other_clinic=403)  # therapist B is no admin: 403 before any lookup
PATIENT_PAGE = page(PATIENTS, staff=403, other_clinic=403)
SIGNED_IN_PAGE = page(PATIENTS | STAFF_A | {"therapist_b"})
OWN_SESSION_PAGE = page({"patient_a1"}, patients=404, other_clinic=403)  # patient A2 cannot find A1's session

STAFF_READ_LIST = api(STAFF_A | {"therapist_b", "key_a"})
STAFF_WRITE_LIST = api(STAFF_A | {"therapist_b"})
STAFF_READ_OBJECT = api(STAFF_A | {"key_a"})
STAFF_WRITE_OBJECT = api(STAFF_A)
ANY_ROLE_LIST = api(STAFF_A | {"therapist_b", "key_a"} | PATIENTS)
OWN_ROW_READ = api(STAFF_A | {"key_a", "patient_a1"}, patients=404)  # patient A2 cannot find A1's row
PATIENT_WRITE_LIST = api(PATIENTS, staff=403, other_clinic=403)
PATIENT_WRITE_OWN = api({"patient_a1"}, patients=404, staff=403, other_clinic=403)
ADMIN_API = api({"admin_a"}, other_clinic=403)


@dataclass
class Route:
    """One named route: its URL arguments (built from the world) and the expected outcome per method."""

    kwargs: Callable[[object], dict] = lambda o: {}
    methods: dict[str, Callable[[str], str | int]] = field(default_factory=dict)
    patient_data: bool = False
    path: str | None = None  # for routes that cannot be reversed (catch-alls)

    def url(self, name: str, objects) -> str:
        return self.path or reverse(name, kwargs=self.kwargs(objects))


def pk(attr: str) -> Callable[[object], dict]:
    return lambda o: {"pk": getattr(o, attr).pk}


def in_protocol_a(kwarg: str, attr: str) -> Callable[[object], dict]:
    """Arguments of a protocol-builder URL: clinic A's protocol and one of its phases, exercises or steps."""
    return lambda o: {"pk": o.protocol_a.pk, kwarg: getattr(o, attr).pk}


PHASE_A = in_protocol_a("phase_pk", "phase_a")
EXERCISE_A = in_protocol_a("exercise_pk", "exercise_a")
STEP_A = in_protocol_a("step_pk", "step_a")


# Every named route of the app. Django's own admin is checked separately (test_django_admin_is_for_site_staff).
MATRIX: dict[str, Route] = {
    # Signing in and out, health, the API's description: open to everyone.
    "home": Route(methods={"GET": SIGNED_IN_PAGE}),
    "healthz": Route(methods={"GET": everyone}),
    "login": Route(methods={"GET": everyone, "POST": everyone}),
    # Signing out always ends at the sign-in page.
    "logout": Route(methods={"POST": lambda a: "login", "GET": lambda a: 405}),
    "password_reset": Route(methods={"GET": everyone, "POST": everyone}),
    "password_reset_done": Route(methods={"GET": everyone}),
    "password_reset_confirm": Route(kwargs=lambda o: {"uidb64": "MQ", "token": "not-a-token"},
                                    methods={"GET": everyone}),
    "password_reset_complete": Route(methods={"GET": everyone}),
    # A revoked key is refused wherever it is sent, even on public pages of the API.
    "api-schema": Route(methods={"GET": lambda a: 401 if a == "revoked_key_a" else "ok"}),
    "api-docs": Route(methods={"GET": lambda a: 401 if a == "revoked_key_a" else "ok"}),
    "api-root": Route(methods={"GET": api(STAFF_A | {"therapist_b", "key_a"} | PATIENTS)}),
    # Two-factor sign-in and the account's security page (staff; patients have no second factor).
    "two-factor-verify": Route(methods={"GET": STAFF_PAGE, "POST": STAFF_PAGE}),
    "two-factor-setup": Route(methods={"GET": STAFF_PAGE, "POST": STAFF_PAGE}),
    "account-security": Route(methods={"GET": STAFF_PAGE}),
    "recovery-codes-new": Route(methods={"POST": STAFF_PAGE}),
    "two-factor-off": Route(methods={"POST": STAFF_PAGE}),
    # Clinic administration (clinic admins of clinic A; the objects are clinic A's).
    "clinic-admin:staff": Route(methods={"GET": ADMIN_PAGE}),
    "clinic-admin:staff-invite": Route(methods={"GET": ADMIN_PAGE, "POST": ADMIN_PAGE}),
    "clinic-admin:staff-resend": Route(pk("membership_therapist_a"), {"POST": ADMIN_PAGE}),
    "clinic-admin:staff-deactivate": Route(pk("membership_therapist_a"), {"GET": ADMIN_PAGE, "POST": ADMIN_PAGE}),
    "clinic-admin:staff-reactivate": Route(pk("membership_therapist_a"), {"GET": ADMIN_PAGE, "POST": ADMIN_PAGE}),
    "clinic-admin:settings": Route(methods={"GET": ADMIN_PAGE, "POST": ADMIN_PAGE}),
    "clinic-admin:api-keys": Route(methods={"GET": ADMIN_PAGE}),
    "clinic-admin:api-key-create": Route(methods={"GET": ADMIN_PAGE, "POST": ADMIN_PAGE}),
    "clinic-admin:api-key-revoke": Route(pk("key_a"), {"GET": ADMIN_PAGE, "POST": ADMIN_PAGE}),
    "clinic-admin:audit": Route(methods={"GET": ADMIN_PAGE}),
    # Staff e-mails that failed: kinds and staff recipients only, no patient data (so not audited).
    "clinic-admin:notifications": Route(methods={"GET": ADMIN_PAGE}),
    "clinic-admin:notification-retry": Route(pk("notification_a"), {"POST": ADMIN_PAGE}),
    # The therapist's workspace: patients and flags.
    "patients:list": Route(methods={"GET": STAFF_PAGE}, patient_data=True),
    "patients:create": Route(methods={"GET": STAFF_PAGE, "POST": STAFF_PAGE}, patient_data=True),
    "patients:detail": Route(pk("patient_a1"), {"GET": STAFF_OBJECT_PAGE}, patient_data=True),
    "patients:edit": Route(pk("patient_a1"), {"GET": STAFF_OBJECT_PAGE, "POST": STAFF_OBJECT_PAGE},
                           patient_data=True),
    "patients:assign": Route(pk("patient_a1"), {"GET": STAFF_OBJECT_PAGE, "POST": STAFF_OBJECT_PAGE},
                             patient_data=True),
    "patients:end-plan": Route(pk("patient_a1"), {"POST": STAFF_OBJECT_PAGE}, patient_data=True),
    "patients:step-change": Route(pk("patient_a1"), {"POST": STAFF_OBJECT_PAGE}, patient_data=True),
    "patients:phase-change": Route(pk("patient_a1"), {"POST": STAFF_OBJECT_PAGE}, patient_data=True),
    "patients:measurement": Route(pk("patient_a1"), {"POST": STAFF_OBJECT_PAGE}, patient_data=True),
    "patients:handout": Route(pk("patient_a1"), {"GET": STAFF_OBJECT_PAGE}, patient_data=True),
    "patients:invite": Route(pk("patient_a3"), {"POST": STAFF_OBJECT_PAGE}, patient_data=True),
    "patients:invite-revoke": Route(pk("patient_a3"), {"POST": STAFF_OBJECT_PAGE}, patient_data=True),
    "patients:flags": Route(methods={"GET": STAFF_PAGE}, patient_data=True),
    "patients:flag-bulk": Route(methods={"POST": STAFF_PAGE}, patient_data=True),
    "patients:flag-action": Route(pk("flag_a1"), {"POST": STAFF_OBJECT_PAGE}, patient_data=True),
    # The patient's phone.
    "patients:today": Route(methods={"GET": PATIENT_PAGE}, patient_data=True),
    "patients:log-session": Route(methods={"GET": PATIENT_PAGE, "POST": PATIENT_PAGE}, patient_data=True),
    "patients:session-saved": Route(pk("session_a1"), {"GET": page({"patient_a1"}, patients=404, other_clinic=403)},
                                    patient_data=True),
    # Only the patient who logged a session corrects or deletes it (for 24 hours; session A1 is fresh).
    "patients:session-edit": Route(pk("session_a1"), {"GET": OWN_SESSION_PAGE, "POST": OWN_SESSION_PAGE},
                                   patient_data=True),
    "patients:session-delete": Route(pk("session_a1"), {"GET": OWN_SESSION_PAGE, "POST": OWN_SESSION_PAGE},
                                     patient_data=True),
    "patients:checkin": Route(methods={"GET": PATIENT_PAGE, "POST": PATIENT_PAGE}, patient_data=True),
    "patients:history": Route(methods={"GET": PATIENT_PAGE}, patient_data=True),
    # Reached by its secret token, signed out; signed-in visitors see the same page.
    "patients:invitation": Route(lambda o: {"token": o.invitation_token}, {"GET": everyone, "POST": everyone},
                                 patient_data=True),
    # A clinic's invitation to an existing account: only that account, signed in, may use it (none of these is it;
    # test_invitation_links below has the invitee's own cells).
    "staff-join": Route(lambda o: {"token": o.staff_join_token},
                        {"GET": page(set(), other_clinic=403), "POST": page(set(), other_clinic=403)}),
    # Exercise library and protocol builder (clinic A's own template and protocol).
    "protocols:library": Route(methods={"GET": STAFF_PAGE}),
    "protocols:template-create": Route(methods={"GET": STAFF_PAGE, "POST": STAFF_PAGE}),
    "protocols:template-detail": Route(pk("template_a"), {"GET": STAFF_OBJECT_PAGE}),
    "protocols:template-edit": Route(pk("template_a"), {"GET": STAFF_OBJECT_PAGE, "POST": STAFF_OBJECT_PAGE}),
    "protocols:template-clone": Route(pk("template_a"), {"POST": STAFF_OBJECT_PAGE}),
    "protocols:list": Route(methods={"GET": STAFF_PAGE}),
    "protocols:create": Route(methods={"GET": STAFF_PAGE, "POST": STAFF_PAGE}),
    "protocols:detail": Route(pk("protocol_a"), {"GET": STAFF_OBJECT_PAGE}),
    "protocols:edit": Route(pk("protocol_a"), {"GET": STAFF_OBJECT_PAGE, "POST": STAFF_OBJECT_PAGE}),
    "protocols:clone": Route(pk("protocol_a"), {"POST": STAFF_OBJECT_PAGE}),
    "protocols:archive": Route(pk("protocol_a"), {"POST": STAFF_OBJECT_PAGE}),
    "protocols:restore": Route(pk("protocol_a"), {"POST": STAFF_OBJECT_PAGE}),
    "protocols:delete": Route(pk("protocol_a"), {"GET": STAFF_OBJECT_PAGE, "POST": STAFF_OBJECT_PAGE}),
    "protocols:phase-add": Route(pk("protocol_a"), {"GET": STAFF_OBJECT_PAGE, "POST": STAFF_OBJECT_PAGE}),
    "protocols:phase-edit": Route(PHASE_A, {"GET": STAFF_OBJECT_PAGE, "POST": STAFF_OBJECT_PAGE}),
    "protocols:phase-remove": Route(PHASE_A, {"POST": STAFF_OBJECT_PAGE}),
    "protocols:phase-move": Route(PHASE_A, {"POST": STAFF_OBJECT_PAGE}),
    "protocols:exercise-add": Route(PHASE_A, {"GET": STAFF_OBJECT_PAGE, "POST": STAFF_OBJECT_PAGE}),
    "protocols:exercise-edit": Route(EXERCISE_A, {"GET": STAFF_OBJECT_PAGE, "POST": STAFF_OBJECT_PAGE}),
    "protocols:exercise-remove": Route(EXERCISE_A, {"POST": STAFF_OBJECT_PAGE}),
    "protocols:exercise-move": Route(EXERCISE_A, {"POST": STAFF_OBJECT_PAGE}),
    "protocols:ladder": Route(EXERCISE_A, {"GET": STAFF_OBJECT_PAGE, "POST": STAFF_OBJECT_PAGE}),
    "protocols:step-edit": Route(STEP_A, {"GET": STAFF_OBJECT_PAGE, "POST": STAFF_OBJECT_PAGE}),
    # --- REST API ---
    "exercise-template-list": Route(methods={"GET": STAFF_READ_LIST}),
    "exercise-template-detail": Route(pk("template_a"), {"GET": STAFF_READ_OBJECT}),
    "protocol-list": Route(methods={"GET": STAFF_READ_LIST, "POST": STAFF_WRITE_LIST}),
    "protocol-detail": Route(pk("protocol_a"), {"GET": STAFF_READ_OBJECT, "PUT": STAFF_WRITE_OBJECT,
                                                "PATCH": STAFF_WRITE_OBJECT,
                                                # Protocols are archived, never deleted through the API.
                                                "DELETE": api(set(), staff=405, other_clinic=405)}),
    "protocol-archive": Route(pk("protocol_a"), {"POST": STAFF_WRITE_OBJECT}),
    "protocol-clone": Route(pk("protocol_a"), {"POST": STAFF_WRITE_OBJECT}),
    "protocol-phases": Route(pk("protocol_a"), {"PUT": STAFF_WRITE_OBJECT}),
    "progression-simulate": Route(methods={"POST": STAFF_WRITE_LIST}),
    "patient-list": Route(methods={"GET": STAFF_READ_LIST, "POST": STAFF_WRITE_LIST}, patient_data=True),
    "patient-detail": Route(pk("patient_a1"), {"GET": STAFF_READ_OBJECT, "PUT": STAFF_WRITE_OBJECT,
                                               "PATCH": STAFF_WRITE_OBJECT}, patient_data=True),
    "me-list": Route(methods={"GET": api(PATIENTS, staff=403, other_clinic=403)}, patient_data=True),
    "assignment-list": Route(methods={"GET": ANY_ROLE_LIST, "POST": STAFF_WRITE_LIST}, patient_data=True),
    "assignment-detail": Route(pk("assignment_a1"), {"GET": OWN_ROW_READ}, patient_data=True),
    "session-list": Route(methods={"GET": ANY_ROLE_LIST, "POST": PATIENT_WRITE_LIST}, patient_data=True),
    "session-detail": Route(pk("session_a1"), {"GET": OWN_ROW_READ}, patient_data=True),
    "checkin-list": Route(methods={"GET": ANY_ROLE_LIST, "POST": PATIENT_WRITE_LIST}, patient_data=True),
    "checkin-detail": Route(pk("checkin_a1"), {"GET": OWN_ROW_READ, "PUT": PATIENT_WRITE_OWN,
                                               "PATCH": PATIENT_WRITE_OWN}, patient_data=True),
    "measurement-list": Route(methods={"GET": STAFF_READ_LIST, "POST": STAFF_WRITE_LIST}, patient_data=True),
    "measurement-detail": Route(pk("measurement_a1"), {"GET": STAFF_READ_OBJECT}, patient_data=True),
    "flag-list": Route(methods={"GET": STAFF_READ_LIST}, patient_data=True),
    "flag-detail": Route(pk("flag_a1"), {"GET": STAFF_READ_OBJECT}, patient_data=True),
    "flag-acknowledge": Route(pk("flag_a1"), {"POST": STAFF_WRITE_OBJECT}, patient_data=True),
    "flag-approve": Route(pk("flag_a1"), {"POST": STAFF_WRITE_OBJECT}, patient_data=True),
    "flag-decline": Route(pk("flag_a1"), {"POST": STAFF_WRITE_OBJECT}, patient_data=True),
    "flag-resolve": Route(pk("flag_a1"), {"POST": STAFF_WRITE_OBJECT}, patient_data=True),
    "report-adherence": Route(methods={"GET": STAFF_READ_LIST}, patient_data=True),
    "audit-event-list": Route(methods={"GET": ADMIN_API}),
    "audit-event-detail": Route(pk("audit_event_a"), {"GET": ADMIN_API}),
    # Any other address under /api/v1/: the API's JSON 404 for everyone.
    "api-not-found": Route(path="/api/v1/no-such-endpoint/", methods={"GET": lambda a: 404}),
    # Exercise media: Backstep's drawings (no patient data, open), a clinic template's pictures and videos, and
    # those made for one patient (audited). A file is 404, never a sign-in page, for whoever may not see it.
    "exercise_media:demonstration": Route(lambda o: {"name": "retro-treadmill-walk"}, {"GET": everyone}),
    "exercise_media:template-media": Route(pk("template_a"), {"GET": STAFF_OBJECT_PAGE, "POST": STAFF_OBJECT_PAGE}),
    "exercise_media:template-media-delete": Route(
        lambda o: {"pk": o.template_a.pk, "media_pk": o.media_template_a.pk}, {"POST": STAFF_OBJECT_PAGE}),
    "exercise_media:patient-media": Route(pk("patient_a1"), {"GET": STAFF_OBJECT_PAGE, "POST": STAFF_OBJECT_PAGE},
                                          patient_data=True),
    "exercise_media:patient-media-delete": Route(
        lambda o: {"pk": o.patient_a1.pk, "media_pk": o.media_patient_a1.pk}, {"POST": STAFF_OBJECT_PAGE},
        patient_data=True),
    "exercise_media:status": Route(lambda o: {"pk": o.media_patient_a1.pk}, {"GET": STAFF_OBJECT_PAGE}),
    # Template A is in no patient's plan here: only clinic A's staff see its picture.
    "exercise_media:file": Route(lambda o: {"pk": o.media_template_a.pk, "variant": "file"},
                                 {"GET": lambda a: "ok" if a in STAFF_A else 404}),
    "exercise_media:patient-file": Route(lambda o: {"pk": o.media_patient_a1.pk, "variant": "file"},
                                         {"GET": lambda a: "ok" if a in STAFF_A | {"patient_a1"} else 404},
                                         patient_data=True),
    "exercise_media:education": Route(methods={"GET": ADMIN_PAGE}),
    "exercise_media:education-edit": Route(lambda o: {"topic": "first-session"},
                                           {"GET": ADMIN_PAGE, "POST": ADMIN_PAGE}),
}


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
    media_template_a: object  # a picture of clinic A's template A
    media_patient_a1: object  # a picture made for patient A1's first exercise


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
    return Objects(
        world=world, patient_a1=world.patient_a1, patient_a3=patient_a3, assignment_a1=world.assignment_a1,
        session_a1=rows.session_a1, checkin_a1=rows.checkin_a1, measurement_a1=rows.measurement_a1,
        flag_a1=rows.flag_a1, template_a=rows.template_a, protocol_a=rows.protocol_a, phase_a=phase,
        exercise_a=exercise, step_a=exercise.ladder_steps.order_by("order").first(),
        membership_therapist_a=Membership.objects.get(user=world.therapist_a),
        key_a=key_a, raw_key_a=raw_key_a, raw_revoked_key_a=raw_revoked,
        invitation_token=link.rstrip("/").rsplit("/", 1)[1], audit_event_a=event, notification_a=notification,
        staff_join_token=join_link.rstrip("/").rsplit("/", 1)[1],
        media_template_a=ready_picture(template=rows.template_a),
        media_patient_a1=ready_picture(exercise=world.assignment_a1.exercises.order_by("pk").first()),
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
                 Notification)


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


# --- The tests -----------------------------------------------------------------------------------------------

def app_routes() -> dict[str, str]:
    """Named routes of the app (not Django's admin), from the resolver: name -> pattern."""
    found: dict[str, str] = {}

    def walk(patterns, prefix="", namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                ns = namespace
                if pattern.namespace:
                    ns = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
                walk(pattern.url_patterns, prefix + str(pattern.pattern), ns)
            elif isinstance(pattern, URLPattern) and pattern.name:
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
                found.setdefault(name, prefix + str(pattern.pattern))

    walk(get_resolver().url_patterns)
    return {name: route for name, route in found.items() if not name.startswith("admin:")}


def test_every_route_is_in_the_matrix():
    routes = app_routes()
    assert set(routes) - set(MATRIX) == set(), "new routes need a row in MATRIX (who may use them?)"
    assert set(MATRIX) - set(routes) == set(), "MATRIX names routes that no longer exist"


def test_every_api_method_is_in_the_matrix():
    """Each method a viewset offers (from the router) has an expected outcome."""
    from clinic.api.urls import router

    for _prefix, viewset, basename in router.registry:
        for route in router.get_routes(viewset):
            name = route.name.format(basename=basename)
            offered = {method.upper() for method in route.mapping if hasattr(viewset, route.mapping[method])}
            if not offered:
                continue
            assert offered <= set(MATRIX[name].methods), f"{name}: {offered - set(MATRIX[name].methods)} undeclared"


def test_patient_data_routes_are_the_audited_ones(objects):
    """The audit policy (clinic/audit_policy.py) and this matrix agree, so no patient-data route goes unrecorded."""
    from django.urls import resolve

    from clinic.audit_policy import audit_policy

    for name, route in MATRIX.items():
        match = resolve(route.url(name, objects))
        policy = audit_policy(match.url_name, match.namespace, match.route)
        assert (policy is not None) == route.patient_data, name


CELLS = [(name, method) for name, route in MATRIX.items() for method in route.methods]


@pytest.mark.parametrize("name, method", CELLS, ids=[f"{m} {n}" for n, m in CELLS])
def test_matrix(objects, name, method):
    route = MATRIX[name]
    url = route.url(name, objects)
    problems = []
    for actor in ACTORS:
        expected = route.methods[method](actor)
        client = client_for(actor, objects)
        with transaction.atomic():
            before_state = fingerprint() if expected != "ok" and method != "GET" else None
            events_before = AuditEvent.objects.count()
            response = send(client, method, url, actor)
            got = outcome(response)
            if got != expected:
                problems.append(f"{actor}: expected {expected}, got {response.status_code} "
                                f"{response.get('Location', '')}")
            if response.status_code >= 500:
                problems.append(f"{actor}: server error")
            new_events = AuditEvent.objects.count() - events_before
            if expected != "ok":
                if before_state is not None and fingerprint() != before_state:
                    problems.append(f"{actor}: a refused {method} changed data")
                if new_events:
                    problems.append(f"{actor}: a refused request wrote an audit event")
            elif route.patient_data and response.status_code < 400:
                if new_events != 1:
                    problems.append(f"{actor}: patient-data request wrote {new_events} audit events, not 1")
            elif not route.patient_data and new_events:
                problems.append(f"{actor}: {new_events} audit events on a route without patient data")
            if not getattr(response, "streaming", False):
                body = response.content.decode(errors="replace")
                # Whole words: a staff member Faker names "Brooks" is not patient Bea Brook.
                leaked = [n for n in hidden_names(actor, objects, name) if re.search(rf"\b{re.escape(n)}\b", body)]
                if leaked:
                    problems.append(f"{actor}: response shows patients it may not see: {leaked}")
            transaction.set_rollback(True)
    assert not problems, f"{method} {url}:\n" + "\n".join(problems)


def admin_routes() -> dict[str, str]:
    """Every named route of Django's admin, with a URL for each (object ids "1", app "clinic")."""
    admin_resolver = next(p for p in get_resolver().url_patterns
                          if isinstance(p, URLResolver) and p.namespace == "admin")
    patterns: dict[str, str] = {}

    def walk(found, prefix=""):
        for pattern in found:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif pattern.name:
                patterns.setdefault(pattern.name, prefix + str(pattern.pattern))

    walk(admin_resolver.url_patterns)
    routes = {}
    for name, pattern in patterns.items():
        arguments = [a or b for a, b in re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", pattern)]
        kwargs = {arg: "clinic" if arg == "app_label" else "1" for arg in arguments}
        routes[name] = reverse(f"admin:{name}", kwargs=kwargs)
    assert {"patients_patient_changelist", "patients_sessionlog_change", "clinic_auditevent_changelist"} <= set(routes)
    return routes


def test_django_admin_is_for_site_staff_only(objects):
    """Django's admin (every named admin route) sends every clinic actor to the admin sign-in."""
    routes = admin_routes()
    for actor in ACTORS:
        client = client_for(actor, objects)
        for name, url in routes.items():
            if name in ("login", "logout"):
                continue
            response = client.get(url)
            assert response.status_code == 302 and response["Location"].startswith("/admin/login/"), (actor, name)


# --- Site administrators: a superuser with no clinic, in production ---------------------------------------------

@pytest.fixture
def superuser(objects, settings):
    """A superuser without a clinic, under DJANGO_ENV=production's rule (two-factor for everyone in the admin)."""
    settings.PRODUCTION = True
    return UserFactory(email="root@backstep.test", is_staff=True, is_superuser=True)


HELD_OPEN = {"logout", "two-factor-verify", "two-factor-setup", "healthz"}  # the pages that finish signing in


@pytest.mark.parametrize("has_authenticator", [False, True], ids=["no authenticator", "unverified"])
def test_a_site_admin_without_a_verified_second_factor_is_held_everywhere(objects, superuser, has_authenticator):
    """Every admin route and every page and API operation of the app waits for set-up or the code."""
    if has_authenticator:
        turn_on_two_factor(superuser)
    waiting_at = "/accounts/two-factor/" if has_authenticator else "/accounts/two-factor/setup/"
    client = Client(raise_request_exception=False)
    client.force_login(superuser)
    cells = [(f"admin:{name}", "GET", url) for name, url in admin_routes().items()]
    cells += [(name, method, route.url(name, objects)) for name, route in MATRIX.items() for method in route.methods
              if name not in HELD_OPEN]
    hidden = hidden_names("anonymous", objects, "")
    problems = []
    for name, method, url in cells:
        with transaction.atomic():
            before_state = fingerprint() if method != "GET" else None
            events_before = AuditEvent.objects.count()
            response = send(client, method, url, "superuser")
            if url.startswith("/api/"):
                held = response.status_code == 403 and response.json()["detail"] == TWO_FACTOR_API_MESSAGE
            else:
                location = response.get("Location", "")
                held = response.status_code == 302 and location.split("?")[0] == waiting_at
                if method == "GET" and location != f"{waiting_at}?{urlencode({'next': url})}":
                    held = False  # and back to the page asked for afterwards
            if not held:
                problems.append(f"{method} {name}: {response.status_code} {response.get('Location', '')}")
            if AuditEvent.objects.count() != events_before:
                problems.append(f"{method} {name}: wrote an audit event")
            if before_state is not None and fingerprint() != before_state:
                problems.append(f"{method} {name}: changed data")
            if [n for n in hidden if n in response.content.decode(errors="replace")]:
                problems.append(f"{method} {name}: shows a patient's name")
            transaction.set_rollback(True)
    assert not problems, "\n".join(problems)


def test_a_verified_site_admin_reaches_every_admin_route_and_reads_patient_data(objects, superuser):
    device, _codes = turn_on_two_factor(superuser)
    client = Client(raise_request_exception=False)
    client.force_login(superuser)
    response = client.post(reverse("two-factor-verify"), {"code": code_for(device), "next": "/admin/"})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    problems = []
    for name, url in admin_routes().items():
        if name == "logout":
            continue  # would end the session the rest of the loop uses
        response = client.get(url)
        location = response.get("Location", "")
        if response.status_code >= 500 or location.startswith(("/accounts/", "/admin/login/")):
            problems.append(f"{name}: {response.status_code} {location}")
    assert not problems, "\n".join(problems)
    # Every clinic's patients, each read recorded in the audit trail as the site administrator's.
    events_before = AuditEvent.objects.count()
    page = client.get(reverse("admin:patients_patient_changelist"))
    body = page.content.decode()
    assert page.status_code == 200 and all(name in body for name in ("Ashby", "Avery", "Abbott", "Brook"))
    detail = client.get(reverse("admin:patients_patient_change", args=[objects.world.patient_b1.pk]))
    assert detail.status_code == 200 and "Brook" in detail.content.decode()
    events = list(AuditEvent.objects.order_by("id")[events_before:])
    # The list showed two clinics' patients: one event filed under each clinic read, then the detail's.
    assert [(e.actor_role, e.user_id) for e in events] == [("site_admin", superuser.pk)] * 3
    world = objects.world
    assert sorted(e.clinic_id for e in events[:2]) == sorted([world.clinic_a.pk, world.clinic_b.pk])
    assert (events[2].clinic_id, events[2].patient_id) == (world.clinic_b.pk, world.patient_b1.pk)


# --- Invitation links: the invitee's own cells (the rule is clinic/invitations.py) ------------------------------

CHOSEN = "someone-chose-this-1"

# Whose address the invitation names, who opens it, the page they get, and what a posted new password does.
INVITATION_CELLS = [
    ("a new address", "anonymous", "create", "creates the login"),
    ("a new address", "another user", "create", "creates the login"),
    ("patient A1's login", "anonymous", "prove", "changes nothing"),
    ("patient A1's login", "its owner", "attach", "changes nothing"),
    ("patient A1's login", "another user", "prove", "changes nothing"),
    ("the superuser", "anonymous", "prove", "changes nothing"),
    ("the superuser", "its owner", "refuse", "changes nothing"),
    ("the superuser", "another user", "prove", "changes nothing"),
    ("therapist B", "anonymous", "prove", "changes nothing"),
    ("therapist B", "its owner", "refuse", "changes nothing"),
    ("therapist B", "another user", "prove", "changes nothing"),
]


@pytest.mark.parametrize("whose, visitor, shown, post", INVITATION_CELLS,
                         ids=[f"{w} - {v}" for w, v, _s, _p in INVITATION_CELLS])
def test_invitation_links(objects, whose, visitor, shown, post):
    """An invitation creates a login or attaches to one its owner proves; it never sets an existing password."""
    w = objects.world
    superuser = User.objects.create_superuser("root@site.test", "a-superuser-password-1")
    account = {"a new address": None, "patient A1's login": w.patient_a1.user, "the superuser": superuser,
               "therapist B": w.therapist_b}[whose]
    if account is None:
        patient, token = objects.patient_a3, objects.invitation_token
    else:
        patient = w.patient_a1 if whose == "patient A1's login" else PatientFactory(
            clinic=w.clinic_a, therapist=w.therapist_a, first_name="Ivy", last_name="Invitee")
        Patient.objects.filter(pk=patient.pk).update(email=account.email.upper())
        patient.refresh_from_db()
        _invitation, link = invitation_create(patient=patient, created_by=w.therapist_a, send=False)
        token = link.rstrip("/").rsplit("/", 1)[1]
    url = reverse("patients:invitation", kwargs={"token": token})
    client = Client()
    if visitor == "its owner":
        client.force_login(account)
    elif visitor == "another user":
        client.force_login(w.therapist_a)
    page = client.get(url)
    assert page.status_code == 200 and page.context["outcome"] == shown
    hashes = dict(User.objects.values_list("pk", "password"))
    response = client.post(url, {"password1": CHOSEN, "password2": CHOSEN})
    assert response.status_code < 500
    assert dict(User.objects.filter(pk__in=hashes).values_list("pk", "password")) == hashes, "a password changed"
    patient.refresh_from_db()
    if post == "creates the login":
        assert response.status_code == 302 and patient.user.check_password(CHOSEN) and patient.user.pk not in hashes
    elif shown == "attach":
        assert response.status_code == 302 and patient.user == account
    else:
        assert patient.user_id == (account.pk if whose == "patient A1's login" else None)


def test_staff_join_link_as_the_invited_account(objects):
    """The cell the matrix cannot hold: the invited account itself, signed in, joins; its password stays."""
    joiner = User.objects.get(email="joiner@example.test")
    hash_before = joiner.password
    client = Client()
    client.force_login(joiner)
    url = reverse("staff-join", kwargs={"token": objects.staff_join_token})
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 302
    joiner.refresh_from_db()
    assert Membership.objects.get(user=joiner).clinic == objects.world.clinic_a and joiner.password == hash_before
