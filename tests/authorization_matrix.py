"""The authorization matrix's declarations: every named route, who it is for, and what everyone else gets.

A route added to the app needs a row in MATRIX, or `test_every_route_is_in_the_matrix` fails. Each row names
the route's audience and whose object its URL points at; the expected outcome for each actor follows from that
("ok", "login", 401, 403, 404 or 405: see tests/test_authorization_matrix.py, which runs every cell).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.urls import reverse

from reminders.mail import unsubscribe_token

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
# A questionnaire on patient A1's plan only: patient A2 finds none (404); saving an answer to it is refused (400).
OWN_QUESTIONNAIRE_PAGE = page({"patient_a1"}, patients=404, other_clinic=403)

STAFF_READ_LIST = api(STAFF_A | {"therapist_b", "key_a"})
STAFF_WRITE_LIST = api(STAFF_A | {"therapist_b"})
STAFF_READ_OBJECT = api(STAFF_A | {"key_a"})
STAFF_WRITE_OBJECT = api(STAFF_A)
ANY_ROLE_LIST = api(STAFF_A | {"therapist_b", "key_a"} | PATIENTS)
OWN_ROW_READ = api(STAFF_A | {"key_a", "patient_a1"}, patients=404)  # patient A2 cannot find A1's row
PATIENT_WRITE_LIST = api(PATIENTS, staff=403, other_clinic=403)
PATIENT_WRITE_OWN = api({"patient_a1"}, patients=404, staff=403, other_clinic=403)
ADMIN_API = api({"admin_a"}, other_clinic=403)
# A bulk export's status and files: only the caller who started it (API key A); other callers of its clinic 404.
KEY_A_OWN_EXPORT = api({"key_a"}, staff=404, other_clinic=404)


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


def fhir_id(value: Callable[[object], object]) -> Callable[[object], dict]:
    return lambda o: {"resource_id": str(value(o))}


# The FHIR API: metadata is open (FHIR clients read it first); every signed-in role and the clinic's key search
# every type (a patient finds what is about them, and the clinic, therapist and definitions it refers to); a read
# of another clinic's or patient's resource is 404. Writes are not offered (405 once the caller is known).
FHIR_NOT_OFFERED = api(set(), staff=405, other_clinic=405, patients=405, keys=405)
FHIR_CLINIC_READ = api(STAFF_A | {"key_a"} | PATIENTS)  # clinic A's Organization, therapist A (A1's and A2's)
FHIR_DEFINITION_READ = api(STAFF_A | {"key_a"}, patients=404)  # clinic A's protocol, in no patient's plan
# A built-in questionnaire: every clinic has its own (Backstep's wording, the same id); a patient reads the ones they
# answered (A1 submitted SANE, A2 did not).
FHIR_BUILT_IN_QUESTIONNAIRE = api(STAFF_A | {"key_a", "patient_a1", "therapist_b"}, patients=404)
FHIR_PATIENT_DATA = ("Patient", "CarePlan", "Observation", "Flag", "QuestionnaireResponse")
FHIR_READS = {
    "Patient": (fhir_id(lambda o: o.patient_a1.pk), OWN_ROW_READ),
    "CarePlan": (fhir_id(lambda o: o.assignment_a1.pk), OWN_ROW_READ),
    "Observation": (fhir_id(lambda o: f"session-{o.session_a1.pk}"), OWN_ROW_READ),
    "Flag": (fhir_id(lambda o: o.flag_a1.pk), OWN_ROW_READ),
    "Organization": (fhir_id(lambda o: o.world.clinic_a.pk), FHIR_CLINIC_READ),
    "Practitioner": (fhir_id(lambda o: o.world.therapist_a.pk), FHIR_CLINIC_READ),
    "PlanDefinition": (fhir_id(lambda o: o.protocol_a.pk), FHIR_DEFINITION_READ),
    "ActivityDefinition": (fhir_id(lambda o: o.template_a.pk), FHIR_DEFINITION_READ),
    "Questionnaire": (fhir_id(lambda o: "sane-1"), FHIR_BUILT_IN_QUESTIONNAIRE),
    "QuestionnaireResponse": (fhir_id(lambda o: o.response_a1.pk), OWN_ROW_READ),
}
FHIR_ROUTES = {
    "fhir:metadata": Route(methods={"GET": lambda a: 401 if a == "revoked_key_a" else "ok"}),
    "fhir:not-found": Route(path="/fhir/R4/Medication", methods={"GET": lambda a: 401 if a == "revoked_key_a"
                                                                 else 404}),
    "fhir:Patient-everything": Route(fhir_id(lambda o: o.patient_a1.pk), {"GET": OWN_ROW_READ}, patient_data=True),
    # (POST is tried where it could write no audit event; fhir/tests/api checks 405 on the patient-data types.)
    **{f"fhir:{fhir_type}-search": Route(methods={"GET": ANY_ROLE_LIST} | (
        {} if fhir_type in FHIR_PATIENT_DATA else {"POST": FHIR_NOT_OFFERED}),
        patient_data=fhir_type in FHIR_PATIENT_DATA) for fhir_type in FHIR_READS},
    **{f"fhir:{fhir_type}-read": Route(kwargs, {"GET": expect}, patient_data=fhir_type in FHIR_PATIENT_DATA)
       for fhir_type, (kwargs, expect) in FHIR_READS.items()},
}


# Every named route of the app. Django's own admin is checked separately (test_django_admin_is_for_site_staff).
MATRIX: dict[str, Route] = {
    # Signing in and out, health, the API's description: open to everyone.
    "home": Route(methods={"GET": SIGNED_IN_PAGE}),
    "healthz": Route(methods={"GET": everyone}),
    # The phone app's service worker and its offline page: no patient data, open to everyone.
    "service-worker": Route(methods={"GET": everyone}),
    "offline": Route(methods={"GET": everyone}),
    "offline-language": Route(kwargs=lambda o: {"language": "de"}, methods={"GET": everyone}),
    # The JavaScript catalog of one language: our interface strings only, open to everyone (signed-out pages use it).
    "js-catalog": Route(kwargs=lambda o: {"language": "de", "version": "any"}, methods={"GET": everyone}),
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
    # Everyone's own language (a patient's or a staff member's; the actor names the row written).
    "language": Route(methods={"GET": SIGNED_IN_PAGE, "POST": SIGNED_IN_PAGE}),
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
    # Joining by a code: the therapist shows one for clinic A's patient A3 (no login yet); the patient types it
    # signed out (anyone may try: wrong codes are counted toward a lockout); the password step needs a code
    # accepted in this browser's session first, which none of these has: refused for everyone.
    "patients:join-code": Route(pk("patient_a3"), {"POST": STAFF_OBJECT_PAGE}, patient_data=True),
    "patients:join": Route(methods={"GET": everyone, "POST": everyone}),
    "patients:join-password": Route(methods={"GET": lambda a: 403, "POST": lambda a: 403}, patient_data=True),
    # Reminders: the patient's settings and push subscription (phone), the signed e-mail unsubscribe link (anyone
    # holding it; it only ever turns e-mail reminders off), the clinic's defaults (admins).
    "reminders:settings": Route(methods={"GET": PATIENT_PAGE, "POST": PATIENT_PAGE}, patient_data=True),
    "reminders:push-subscribe": Route(methods={"POST": PATIENT_PAGE}, patient_data=True),
    "reminders:push-unsubscribe": Route(methods={"POST": PATIENT_PAGE}, patient_data=True),
    "reminders:unsubscribe": Route(lambda o: {"token": unsubscribe_token(o.patient_a1.pk)},
                                   {"GET": everyone, "POST": everyone}, patient_data=True),
    "reminders:clinic-defaults": Route(methods={"GET": ADMIN_PAGE, "POST": ADMIN_PAGE}),
    # Remote monitoring: the clinic's list and CSV, patient A1's monitoring (enrolled), therapist A's time entry.
    "monitoring:clinic": Route(methods={"GET": STAFF_PAGE}, patient_data=True),
    "monitoring:export": Route(methods={"GET": STAFF_PAGE}, patient_data=True),
    "monitoring:patient": Route(pk("patient_a1"), {"GET": STAFF_OBJECT_PAGE}, patient_data=True),
    "monitoring:enrol": Route(pk("patient_a1"), {"GET": STAFF_OBJECT_PAGE, "POST": STAFF_OBJECT_PAGE},
                              patient_data=True),
    "monitoring:unenrol": Route(pk("patient_a1"), {"GET": STAFF_OBJECT_PAGE, "POST": STAFF_OBJECT_PAGE},
                                patient_data=True),
    "monitoring:timer-start": Route(pk("patient_a1"), {"POST": STAFF_OBJECT_PAGE}, patient_data=True),
    "monitoring:timer-stop": Route(pk("patient_a1"), {"POST": STAFF_OBJECT_PAGE}, patient_data=True),
    "monitoring:time-add": Route(pk("patient_a1"), {"GET": STAFF_OBJECT_PAGE, "POST": STAFF_OBJECT_PAGE},
                                 patient_data=True),
    # Therapist A wrote the entry; admin A may change it as clinic admin.
    "monitoring:time-edit": Route(pk("time_entry_a1"), {"GET": STAFF_OBJECT_PAGE, "POST": STAFF_OBJECT_PAGE},
                                  patient_data=True),
    "monitoring:time-delete": Route(pk("time_entry_a1"), {"GET": STAFF_OBJECT_PAGE, "POST": STAFF_OBJECT_PAGE},
                                    patient_data=True),
    # Questionnaires: the clinic's outcomes page and CSV, patient A1's plan questionnaires, A1's SANE on the phone.
    "outcomes:clinic": Route(methods={"GET": STAFF_PAGE}, patient_data=True),
    "outcomes:export": Route(methods={"GET": STAFF_PAGE}, patient_data=True),
    "outcomes:plan-add": Route(pk("patient_a1"), {"GET": STAFF_OBJECT_PAGE, "POST": STAFF_OBJECT_PAGE},
                               patient_data=True),
    "outcomes:plan-skip": Route(lambda o: {"pk": o.patient_a1.pk, "row": o.questionnaire_a1.pk},
                                {"POST": STAFF_OBJECT_PAGE}, patient_data=True),
    "outcomes:protocol-questionnaires": Route(pk("protocol_a"), {"GET": STAFF_OBJECT_PAGE, "POST": STAFF_OBJECT_PAGE}),
    "outcomes:answer": Route(lambda o: {"instrument_id": "sane"},
                             {"GET": OWN_QUESTIONNAIRE_PAGE, "POST": OWN_QUESTIONNAIRE_PAGE}, patient_data=True),
    "outcomes:answer-save": Route(lambda o: {"instrument_id": "sane"}, {"POST": PATIENT_PAGE}, patient_data=True),
    "outcomes:answered": Route(lambda o: {"instrument_id": "sane"}, {"GET": OWN_QUESTIONNAIRE_PAGE},
                               patient_data=True),
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
    "questionnaireresponse-list": Route(methods={"GET": STAFF_READ_LIST}, patient_data=True),
    "questionnaireresponse-detail": Route(pk("response_a1"), {"GET": STAFF_READ_OBJECT}, patient_data=True),
    "flag-acknowledge": Route(pk("flag_a1"), {"POST": STAFF_WRITE_OBJECT}, patient_data=True),
    "flag-approve": Route(pk("flag_a1"), {"POST": STAFF_WRITE_OBJECT}, patient_data=True),
    "flag-decline": Route(pk("flag_a1"), {"POST": STAFF_WRITE_OBJECT}, patient_data=True),
    "flag-resolve": Route(pk("flag_a1"), {"POST": STAFF_WRITE_OBJECT}, patient_data=True),
    "report-adherence": Route(methods={"GET": STAFF_READ_LIST}, patient_data=True),
    "report-rtm": Route(methods={"GET": STAFF_READ_LIST}, patient_data=True),
    "audit-event-list": Route(methods={"GET": ADMIN_API}),
    "audit-event-detail": Route(pk("audit_event_a"), {"GET": ADMIN_API}),
    # Any other address under /api/v1/: the API's JSON 404 for everyone.
    "api-not-found": Route(path="/api/v1/no-such-endpoint/", methods={"GET": lambda a: 404}),
    # --- FHIR R4 read API (fhir/) ---
    **FHIR_ROUTES,
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
    # Outcomes: the clinic admin's imported questionnaire wording (audited: what patients are asked), and the
    # score calculator (staff and API keys; a POST that reads and writes nothing).
    "outcomes:questionnaires": Route(methods={"GET": ADMIN_PAGE}, patient_data=True),
    "outcomes:questionnaire-import": Route(methods={"GET": ADMIN_PAGE, "POST": ADMIN_PAGE}, patient_data=True),
    # The clinic's change thresholds: every clinic's staff read their own; only the admin changes them.
    "outcomes:thresholds": Route(methods={"GET": STAFF_PAGE, "POST": ADMIN_PAGE}, patient_data=True),
    "outcomes-score": Route(methods={"POST": api(STAFF_A | {"therapist_b", "key_a"})}),
    # FHIR Bulk Data export (the kick-off without `Prefer: respond-async` answers 400: the caller got through;
    # the status URL shows counts and links, no patient data).
    "fhir:export": Route(methods={"GET": STAFF_READ_LIST}, patient_data=True),
    "fhir:group-export": Route(lambda o: {"group_id": o.world.therapist_a.pk}, {"GET": STAFF_READ_OBJECT},
                               patient_data=True),
    "fhir:export-status": Route(pk("export_a"), {"GET": KEY_A_OWN_EXPORT, "DELETE": KEY_A_OWN_EXPORT}),
    "fhir:export-file": Route(lambda o: {"pk": o.export_a.pk, "file_pk": o.export_file_a.pk},
                              {"GET": KEY_A_OWN_EXPORT}, patient_data=True),
    # The clinic admin's export page (no patient data on it), one patient's record and erasure.
    "interop:exports": Route(methods={"GET": ADMIN_PAGE}),
    "interop:export-start": Route(methods={"POST": ADMIN_PAGE}, patient_data=True),
    "interop:patient-record": Route(pk("patient_a1"), {"GET": ADMIN_PAGE}, patient_data=True),
    "interop:patient-erase": Route(pk("patient_a1"), {"GET": ADMIN_PAGE, "POST": ADMIN_PAGE}, patient_data=True),
    # The patient's own copy of their data.
    "interop:my-data": Route(methods={"GET": PATIENT_PAGE}, patient_data=True),
    "interop:my-data-bundle": Route(methods={"GET": PATIENT_PAGE}, patient_data=True),
}
