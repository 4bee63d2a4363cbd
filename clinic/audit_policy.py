"""Which routes hold patient data, and so are audited (clinic.audit): the policy, keyed by URL name."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AuditPolicy:
    """What a route touches: the object type, and the URL argument that holds its id (None for lists/forms)."""

    object_type: str
    id_kwarg: str | None = None


# Patient-data pages and API operations, by URL name. A route missing here is
# not audited; tests/test_authorization_matrix.py declares independently which
# routes hold patient data and fails if one of them writes no event.
PATIENT_PAGES = {
    "patients:list": AuditPolicy("patient"),
    "patients:create": AuditPolicy("patient"),
    "patients:detail": AuditPolicy("patient", "pk"),
    "patients:edit": AuditPolicy("patient", "pk"),
    "patients:assign": AuditPolicy("patient", "pk"),
    "patients:end-plan": AuditPolicy("patient", "pk"),
    "patients:step-change": AuditPolicy("patient", "pk"),
    "patients:phase-change": AuditPolicy("patient", "pk"),
    "patients:measurement": AuditPolicy("patient", "pk"),
    "patients:handout": AuditPolicy("patient", "pk"),
    "patients:invite": AuditPolicy("patient", "pk"),
    "patients:invite-revoke": AuditPolicy("patient", "pk"),
    "patients:flags": AuditPolicy("flag"),
    "patients:flag-bulk": AuditPolicy("flag"),
    "patients:flag-action": AuditPolicy("flag", "pk"),
    # The patient's own phone pages.
    "patients:today": AuditPolicy("plan"),
    "patients:log-session": AuditPolicy("session"),
    "patients:session-saved": AuditPolicy("session", "pk"),
    # A patient's own corrections (24 hours): writes, recorded like every other.
    "patients:session-edit": AuditPolicy("session", "pk"),
    "patients:session-delete": AuditPolicy("session", "pk"),
    "patients:checkin": AuditPolicy("checkin"),
    "patients:history": AuditPolicy("session"),
    "patients:invitation": AuditPolicy("invitation"),
    # Joining by a code shown in the clinic: showing one (staff), and choosing the password once a code was
    # accepted (signed out; the view names the patient). The code step itself shows no patient data: a wrong
    # code names no clinic, so it is logged and counted toward the lockout (patients/services/join_codes.py).
    "patients:join-code": AuditPolicy("patient", "pk"),
    "patients:join-password": AuditPolicy("join_code"),
    # Remote monitoring (monitoring/): the clinic's list and its CSV, a patient's monitoring, time entries.
    "monitoring:clinic": AuditPolicy("rtm_overview"),
    "monitoring:export": AuditPolicy("rtm_overview"),
    "monitoring:patient": AuditPolicy("patient", "pk"),
    "monitoring:enrol": AuditPolicy("patient", "pk"),
    "monitoring:unenrol": AuditPolicy("patient", "pk"),
    "monitoring:timer-start": AuditPolicy("patient", "pk"),
    "monitoring:timer-stop": AuditPolicy("patient", "pk"),
    "monitoring:time-add": AuditPolicy("patient", "pk"),
    "monitoring:time-edit": AuditPolicy("rtm_time_entry", "pk"),
    "monitoring:time-delete": AuditPolicy("rtm_time_entry", "pk"),
    # Pictures and videos made for one patient (exercise_media): their page, changes, and every file fetched.
    "exercise_media:patient-media": AuditPolicy("patient", "pk"),
    "exercise_media:patient-media-delete": AuditPolicy("patient", "pk"),
    "exercise_media:patient-file": AuditPolicy("exercise_media", "pk"),
    # Questionnaires (outcomes/): the clinic's outcomes page and CSV, a plan's questionnaires, the phone's flow.
    "outcomes:clinic": AuditPolicy("outcomes_overview"),
    "outcomes:export": AuditPolicy("outcomes_overview"),
    "outcomes:plan-add": AuditPolicy("patient", "pk"),
    "outcomes:plan-skip": AuditPolicy("patient", "pk"),
    "outcomes:answer": AuditPolicy("questionnaire_response"),
    "outcomes:answer-save": AuditPolicy("questionnaire_response"),
    "outcomes:answered": AuditPolicy("questionnaire_response"),
    # Questionnaire wording the clinic imports (outcomes/): not patient data, but what patients read and what
    # their scores are answered against, so who viewed and who changed it is on record.
    "outcomes:questionnaires": AuditPolicy("questionnaire_import"),
    "outcomes:questionnaire-import": AuditPolicy("questionnaire_import"),
    # The clinic's own change thresholds: they decide which scores open outcome flags, so changes are on record.
    "outcomes:thresholds": AuditPolicy("outcome_threshold"),
    # Reminders (reminders/): a patient's own reminder choices and push subscriptions, and the e-mail
    # unsubscribe link (signed out; the patient is the one the signed token names).
    "reminders:settings": AuditPolicy("reminder_preference"),
    "reminders:push-subscribe": AuditPolicy("push_subscription"),
    "reminders:push-unsubscribe": AuditPolicy("push_subscription"),
    "reminders:unsubscribe": AuditPolicy("reminder_preference"),
    # FHIR Bulk Data export (fhir/): the kick-off (who, which types, how many patients) and each file fetched.
    # Its status URL holds no patient data (a manifest of counts and links), so polls do not flood the trail.
    "fhir:export": AuditPolicy("bulk_export"),
    "fhir:group-export": AuditPolicy("bulk_export"),
    "fhir:export-file": AuditPolicy("bulk_export", "pk"),
    "interop:export-start": AuditPolicy("bulk_export"),
    # The patient's copy of their data, an admin's copy of one patient, and erasure.
    "interop:my-data": AuditPolicy("patient"),
    "interop:my-data-bundle": AuditPolicy("patient"),
    "interop:patient-record": AuditPolicy("patient", "pk"),
    "interop:patient-erase": AuditPolicy("patient", "pk"),
}
# The FHIR read API (fhir/): reading or searching a type that holds patient data, and a patient's $everything.
# (Organization, Practitioner, PlanDefinition and ActivityDefinition hold none.) Each type's routes are named
# "fhir:<Type>-read" (the id in `resource_id`) and "fhir:<Type>-search".
# Questionnaire (an instrument's questions and answer options) holds none either; QuestionnaireResponse does.
FHIR_PATIENT_TYPES = {"Patient": "patient", "CarePlan": "assignment", "Observation": "observation", "Flag": "flag",
                      "QuestionnaireResponse": "questionnaire_response"}
PATIENT_PAGES.update({
    **{f"fhir:{fhir_type}-read": AuditPolicy(object_type, "resource_id")
       for fhir_type, object_type in FHIR_PATIENT_TYPES.items()},
    **{f"fhir:{fhir_type}-search": AuditPolicy(object_type) for fhir_type, object_type in FHIR_PATIENT_TYPES.items()},
    "fhir:Patient-everything": AuditPolicy("patient", "resource_id"),
})
# API viewsets by router basename: "<basename>-list", "<basename>-detail" and extra actions.
PATIENT_API_RESOURCES = {
    "patient": "patient",
    "me": "patient",
    "assignment": "assignment",
    "session": "session",
    "checkin": "checkin",
    "measurement": "measurement",
    "flag": "flag",
    "questionnaireresponse": "questionnaire_response",
}
PATIENT_API_VIEWS = {
    "report-adherence": AuditPolicy("adherence_report"),
    "report-rtm": AuditPolicy("rtm_report"),
}
# Django's own admin, for the models of the patients app.
ADMIN_PATIENT_MODEL_PREFIX = "patients_"


def audit_policy(url_name: str | None, namespace: str, route: str) -> AuditPolicy | None:
    """The policy of a resolved route, or None when the route holds no patient data."""
    if not url_name:
        return None
    full_name = f"{namespace}:{url_name}" if namespace else url_name
    if full_name in PATIENT_PAGES:
        return PATIENT_PAGES[full_name]
    if namespace == "admin" and url_name.startswith(ADMIN_PATIENT_MODEL_PREFIX):
        model = url_name[len(ADMIN_PATIENT_MODEL_PREFIX):].rsplit("_", 1)[0]
        return AuditPolicy(model, "object_id")
    if namespace or not route.startswith("api/v1/"):
        return None
    if url_name in PATIENT_API_VIEWS:
        return PATIENT_API_VIEWS[url_name]
    basename, _, _suffix = url_name.partition("-")
    if basename in PATIENT_API_RESOURCES:
        return AuditPolicy(PATIENT_API_RESOURCES[basename], "pk")
    return None
