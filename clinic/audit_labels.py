"""What an audit event says it was, in words a clinic admin understands ("viewed a patient page").

Worked out when the trail is shown, from what every event stores (route,
method, status): the wording can improve without rewriting the append-only
trail, and old events read the same way as new ones. Pure: no models.

A write the app refused (a 4xx answer: invalid input, a conflict) reads
"tried to …, refused", never as a change.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Pages, by URL name and method. A page offering GET and POST shows a form (GET) and does the thing (POST).
PAGE_LABELS = {
    ("patients:list", "GET"): gettext_lazy("viewed the patient list"),
    ("patients:create", "GET"): gettext_lazy("opened the new-patient form"),
    ("patients:create", "POST"): gettext_lazy("added a patient"),
    ("patients:detail", "GET"): gettext_lazy("viewed a patient page"),
    ("patients:edit", "GET"): gettext_lazy("opened a patient's details form"),
    ("patients:edit", "POST"): gettext_lazy("changed a patient's details"),
    ("patients:assign", "GET"): gettext_lazy("opened the assign-protocol form"),
    ("patients:assign", "POST"): gettext_lazy("assigned a protocol"),
    ("patients:end-plan", "POST"): gettext_lazy("ended a plan"),
    ("patients:step-change", "POST"): gettext_lazy("changed an exercise level"),
    ("patients:phase-change", "POST"): gettext_lazy("changed the plan's phase"),
    ("patients:measurement", "POST"): gettext_lazy("recorded measurements"),
    ("patients:handout", "GET"): gettext_lazy("opened the printable handout"),
    ("patients:invite", "POST"): gettext_lazy("sent a sign-in invitation"),
    ("patients:invite-revoke", "POST"): gettext_lazy("revoked a sign-in invitation"),
    ("patients:flags", "GET"): gettext_lazy("viewed the flag inbox"),
    ("patients:flag-bulk", "POST"): gettext_lazy("acted on several flags"),
    ("patients:flag-action", "POST"): gettext_lazy("acted on a flag"),
    ("patients:today", "GET"): gettext_lazy("viewed today's plan"),
    ("patients:log-session", "GET"): gettext_lazy("opened the session form"),
    ("patients:log-session", "POST"): gettext_lazy("logged a session"),
    ("patients:session-saved", "GET"): gettext_lazy("viewed a logged session"),
    ("patients:session-edit", "GET"): gettext_lazy("opened a logged session to correct it"),
    ("patients:session-edit", "POST"): gettext_lazy("corrected a logged session"),
    ("patients:session-delete", "GET"): gettext_lazy("opened a logged session to delete it"),
    ("patients:session-delete", "POST"): gettext_lazy("deleted a logged session"),
    ("patients:checkin", "GET"): gettext_lazy("opened the morning check-in"),
    ("patients:checkin", "POST"): gettext_lazy("answered the morning check-in"),
    ("patients:history", "GET"): gettext_lazy("viewed their session history"),
    ("patients:join-code", "POST"): gettext_lazy("showed a join code"),
    ("patients:join-password", "GET"): gettext_lazy("opened the join password form"),
    ("patients:join-password", "POST"): gettext_lazy("joined with a code"),
    ("reminders:settings", "GET"): gettext_lazy("opened their reminder settings"),
    ("reminders:settings", "POST"): gettext_lazy("changed their reminder settings"),
    ("reminders:push-subscribe", "POST"): gettext_lazy("added a phone for notifications"),
    ("reminders:push-unsubscribe", "POST"): gettext_lazy("removed a phone from notifications"),
    ("reminders:unsubscribe", "GET"): gettext_lazy("opened an e-mail reminder unsubscribe link"),
    ("reminders:unsubscribe", "POST"): gettext_lazy("stopped e-mail reminders by the unsubscribe link"),
    ("patients:invitation", "GET"): gettext_lazy("opened a sign-in invitation link"),
    ("patients:invitation", "POST"): gettext_lazy("accepted a sign-in invitation"),
    ("report-adherence", "GET"): gettext_lazy("pulled the adherence report"),
    ("report-rtm", "GET"): gettext_lazy("pulled the remote-monitoring report"),
    ("monitoring:clinic", "GET"): gettext_lazy("viewed the remote-monitoring list"),
    ("monitoring:export", "GET"): gettext_lazy("downloaded the remote-monitoring list (CSV)"),
    ("monitoring:patient", "GET"): gettext_lazy("viewed a patient's remote monitoring"),
    ("monitoring:enrol", "GET"): gettext_lazy("opened the remote-monitoring enrolment form"),
    ("monitoring:enrol", "POST"): gettext_lazy("enrolled a patient in remote monitoring"),
    ("monitoring:unenrol", "GET"): gettext_lazy("opened the form to end remote monitoring"),
    ("monitoring:unenrol", "POST"): gettext_lazy("ended a patient's remote monitoring"),
    ("monitoring:timer-start", "POST"): gettext_lazy("started the management timer"),
    ("monitoring:timer-stop", "POST"): gettext_lazy("stopped the management timer"),
    ("monitoring:time-add", "GET"): gettext_lazy("opened the management-time form"),
    ("monitoring:time-add", "POST"): gettext_lazy("logged management time"),
    ("monitoring:time-edit", "GET"): gettext_lazy("opened a management-time entry to change it"),
    ("monitoring:time-edit", "POST"): gettext_lazy("changed a management-time entry"),
    ("monitoring:time-delete", "GET"): gettext_lazy("opened a management-time entry to delete it"),
    ("monitoring:time-delete", "POST"): gettext_lazy("deleted a management-time entry"),
    ("exercise_media:patient-media", "GET"): gettext_lazy("opened a patient's pictures and videos"),
    ("exercise_media:patient-media", "POST"): gettext_lazy("added a picture or video to a patient's plan"),
    ("exercise_media:patient-media-delete", "POST"): gettext_lazy("removed a picture or video of a patient"),
    ("exercise_media:patient-file", "GET"): gettext_lazy("viewed a patient's exercise picture or video"),
    ("outcomes:clinic", "GET"): gettext_lazy("viewed the clinic's questionnaire outcomes"),
    ("outcomes:export", "GET"): gettext_lazy("downloaded every questionnaire response (CSV)"),
    ("outcomes:plan-add", "GET"): gettext_lazy("opened the form to add a questionnaire to a patient's plan"),
    ("outcomes:plan-add", "POST"): gettext_lazy("added a questionnaire to a patient's plan"),
    ("outcomes:plan-skip", "POST"): gettext_lazy("changed whether a questionnaire is asked on a patient's plan"),
    ("outcomes:answer", "GET"): gettext_lazy("opened a questionnaire"),
    ("outcomes:answer", "POST"): gettext_lazy("submitted a questionnaire"),
    ("outcomes:answer-save", "POST"): gettext_lazy("saved a questionnaire answer"),
    ("outcomes:answered", "GET"): gettext_lazy("viewed their questionnaire scores"),
    ("outcomes:questionnaires", "GET"): gettext_lazy("viewed the clinic's imported questionnaires"),
    ("outcomes:questionnaire-import", "GET"): gettext_lazy("opened the questionnaire import form"),
    ("outcomes:questionnaire-import", "POST"): gettext_lazy("imported a questionnaire's wording"),
    ("outcomes:thresholds", "GET"): gettext_lazy("viewed the clinic's questionnaire change thresholds"),
    ("outcomes:thresholds", "POST"): gettext_lazy("changed a questionnaire change threshold"),
    ("fhir:export", "GET"): gettext_lazy("started a bulk FHIR export of the clinic"),
    ("fhir:group-export", "GET"): gettext_lazy("started a bulk FHIR export of a therapist's caseload"),
    ("fhir:export-file", "GET"): gettext_lazy("downloaded a bulk FHIR export file"),
    ("interop:export-start", "POST"): gettext_lazy("started a bulk FHIR export of the clinic"),
    ("interop:my-data", "GET"): gettext_lazy("viewed the summary of all their data"),
    ("interop:my-data-bundle", "GET"): gettext_lazy("downloaded all their data (FHIR)"),
    ("interop:patient-record", "GET"): gettext_lazy("downloaded all of a patient's data (FHIR)"),
    ("interop:patient-erase", "GET"): gettext_lazy("opened the erase-patient page"),
    ("interop:patient-erase", "POST"): gettext_lazy("erased a patient"),
}

# The FHIR read API (fhir/), by type: (one of them, a search of them).
FHIR_NOUNS = {
    "Patient": (gettext_lazy("viewed a patient (FHIR)"), gettext_lazy("searched patients (FHIR)")),
    "CarePlan": (gettext_lazy("viewed a plan (FHIR)"), gettext_lazy("searched plans (FHIR)")),
    "Observation": (gettext_lazy("viewed a session, check-in, measurement or questionnaire score (FHIR)"),
                    gettext_lazy("searched sessions, check-ins, measurements and questionnaire scores (FHIR)")),
    "Flag": (gettext_lazy("viewed a flag (FHIR)"), gettext_lazy("searched flags (FHIR)")),
    "QuestionnaireResponse": (gettext_lazy("viewed a questionnaire response (FHIR)"),
                              gettext_lazy("searched questionnaire responses (FHIR)")),
}
PAGE_LABELS.update({
    **{(f"fhir:{fhir_type}-read", "GET"): one for fhir_type, (one, _many) in FHIR_NOUNS.items()},
    **{(f"fhir:{fhir_type}-search", "GET"): many for fhir_type, (_one, many) in FHIR_NOUNS.items()},
    ("fhir:Patient-everything", "GET"): gettext_lazy("viewed everything about a patient (FHIR $everything)"),
})

# API resources by router basename: (a list of them, one of them, adding one, changing one).
API_NOUNS = {
    "patient": (gettext_lazy("the patient list"), gettext_lazy("a patient"), gettext_lazy("added a patient"),
                gettext_lazy("changed a patient's details")),
    "me": (gettext_lazy("their own plan"), gettext_lazy("their own plan"), None, None),
    "assignment": (gettext_lazy("plans"), gettext_lazy("a plan"), gettext_lazy("assigned a protocol"), None),
    "session": (gettext_lazy("logged sessions"), gettext_lazy("a logged session"), gettext_lazy("logged a session"),
                None),
    "checkin": (gettext_lazy("morning check-ins"), gettext_lazy("a morning check-in"),
                gettext_lazy("answered the morning check-in"), gettext_lazy("corrected a morning check-in")),
    "measurement": (gettext_lazy("measurements"), gettext_lazy("a measurement"),
                    gettext_lazy("recorded measurements"), None),
    "flag": (gettext_lazy("flags"), gettext_lazy("a flag"), None, None),
    "questionnaireresponse": (gettext_lazy("questionnaire responses"), gettext_lazy("a questionnaire response"),
                              None, None),
}
API_ACTIONS = {
    "flag-acknowledge": gettext_lazy("acknowledged a flag"),
    "flag-approve": gettext_lazy("approved a suggested step"),
    "flag-decline": gettext_lazy("declined a suggested step"),
    "flag-resolve": gettext_lazy("resolved a flag"),
}

# Django's own admin (site administrators), by the view's URL suffix.
ADMIN_VIEWS = {
    "changelist": gettext_lazy("viewed a list of %(things)s in the site admin"),
    "change": gettext_lazy("viewed a %(thing)s in the site admin"),
    "history": gettext_lazy("viewed the history of a %(thing)s in the site admin"),
    "add": gettext_lazy("opened the add-%(thing)s form in the site admin"),
    "delete": gettext_lazy("opened the delete-%(thing)s page in the site admin"),
}
ADMIN_WRITES = {
    "change": gettext_lazy("changed a %(thing)s in the site admin"),
    "changelist": gettext_lazy("changed %(things)s from the list in the site admin"),
    "add": gettext_lazy("added a %(thing)s in the site admin"),
    "delete": gettext_lazy("deleted a %(thing)s in the site admin"),
}
ADMIN_MODEL_WORDS = {
    "patient": ("patient", "patients"),
    "assignment": ("plan", "plans"),
    "assignedexercise": ("plan exercise", "plan exercises"),
    "stepversion": ("level change", "level changes"),
    "phaseversion": ("phase change", "phase changes"),
    "sessionlog": ("logged session", "logged sessions"),
    "morningcheckin": ("morning check-in", "morning check-ins"),
    "measurement": ("measurement", "measurements"),
    "flag": ("flag", "flags"),
}

# The kinds of record an event touched (AuditPolicy.object_type, the trail's "Record" column). Context
# "audit record type": the same English noun means other things elsewhere ("session" a training session here).
OBJECT_TYPE_LABELS = {
    "patient": pgettext_lazy("audit record type", "patient"),
    "session": pgettext_lazy("audit record type", "session"),
    "checkin": pgettext_lazy("audit record type", "morning check-in"),
    "measurement": pgettext_lazy("audit record type", "measurement"),
    "flag": pgettext_lazy("audit record type", "flag"),
    "invitation": pgettext_lazy("audit record type", "invitation"),
    "join_code": pgettext_lazy("audit record type", "join code"),
    "plan": pgettext_lazy("audit record type", "plan"),
    "assignment": pgettext_lazy("audit record type", "assignment"),
    "observation": pgettext_lazy("audit record type", "observation"),
    "adherence_report": pgettext_lazy("audit record type", "adherence report"),
    "rtm_report": pgettext_lazy("audit record type", "remote-monitoring report"),
    "rtm_overview": pgettext_lazy("audit record type", "remote-monitoring list"),
    "rtm_time_entry": pgettext_lazy("audit record type", "management-time entry"),
    "bulk_export": pgettext_lazy("audit record type", "bulk export"),
    "exercise_media": pgettext_lazy("audit record type", "picture or video"),
    "outcome_threshold": pgettext_lazy("audit record type", "questionnaire threshold"),
    "outcomes_overview": pgettext_lazy("audit record type", "questionnaire overview"),
    "push_subscription": pgettext_lazy("audit record type", "phone notifications"),
    "questionnaire_import": pgettext_lazy("audit record type", "questionnaire import"),
    "questionnaire_response": pgettext_lazy("audit record type", "questionnaire response"),
    "reminder_preference": pgettext_lazy("audit record type", "reminder settings"),
}


def object_type_words(object_type: str) -> str:
    """The kind of record, in the reader's language ("session" -> "sesión"); an unknown kind as stored."""
    words = OBJECT_TYPE_LABELS.get(object_type)
    return str(words) if words is not None else object_type.replace("_", " ")


ROLE_LABELS = {
    "admin": gettext_lazy("clinic admin"),
    "therapist": gettext_lazy("therapist"),
    "patient": gettext_lazy("patient"),
    "api_key": gettext_lazy("API key"),
    "site_admin": gettext_lazy("site administrator"),
    "anonymous": gettext_lazy("signed out"),
    "none": gettext_lazy("no clinic role"),
}


def _api_label(url_name: str, method: str) -> str | None:
    if url_name in API_ACTIONS:
        return str(API_ACTIONS[url_name])
    basename, _dash, suffix = url_name.rpartition("-")
    if basename not in API_NOUNS:
        return None
    many, one, added, changed = API_NOUNS[basename]
    if method in SAFE_METHODS:
        return _("viewed %(what)s") % {"what": many if suffix == "list" else one}
    if suffix == "list" and method == "POST" and added:
        return str(added)
    if suffix == "detail" and method in ("PUT", "PATCH") and changed:
        return str(changed)
    return None


def _admin_label(url_name: str, method: str) -> str | None:
    model, _underscore, view = url_name.removeprefix("patients_").rpartition("_")
    thing, things = ADMIN_MODEL_WORDS.get(model, (model, model))
    words = (ADMIN_VIEWS if method in SAFE_METHODS else ADMIN_WRITES).get(view)
    return str(words) % {"thing": thing, "things": things} if words else None


def action_words(route: str, method: str, object_type: str = "") -> str:
    """What the request did, as a clinic admin would say it ("logged a session")."""
    method = method.upper()
    words = PAGE_LABELS.get((route, "GET" if method == "HEAD" else method))
    if words is not None:
        return str(words)
    if route.startswith("admin:"):
        label = _admin_label(route.removeprefix("admin:"), method)
    elif ":" not in route:
        label = _api_label(route, method)
    else:
        label = None
    if label:
        return label
    what = object_type_words(object_type) if object_type else _("patient data")
    return (_("viewed %(what)s") if method in SAFE_METHODS else _("changed %(what)s")) % {"what": what}


def event_label(*, route: str, method: str, status_code: int, object_type: str = "") -> str:
    """The words of one event: a refused write (4xx) says so, and never reads as a change."""
    words = action_words(route, method, object_type)
    if status_code >= 400:
        return _("tried to %(action)s — refused") % {"action": _without_past_tense(words)}
    return words


def _without_past_tense(words: str) -> str:
    """ "logged a session" -> "log a session": the first word of every label is a past-tense verb."""
    verb, space, rest = words.partition(" ")
    return PRESENT.get(verb, verb) + space + rest


# The past-tense verbs the labels above start with, and their plain forms ("tried to log …").
PRESENT = {
    "viewed": "view", "opened": "open", "added": "add", "changed": "change", "assigned": "assign",
    "ended": "end", "recorded": "record", "sent": "send", "revoked": "revoke", "acted": "act",
    "logged": "log", "answered": "answer", "accepted": "accept", "pulled": "pull", "corrected": "correct",
    "acknowledged": "acknowledge", "approved": "approve", "declined": "decline", "resolved": "resolve",
    "deleted": "delete", "downloaded": "download", "enrolled": "enrol", "started": "start", "stopped": "stop",
    "removed": "remove", "imported": "import", "searched": "search", "showed": "show", "joined": "join",
    "submitted": "submit", "saved": "save", "erased": "erase",
}


def role_words(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))


def query_words(query: dict) -> list[str]:
    """A list read's narrowing, as short phrases: "patient 12", "searched (5 characters)", "page 2"."""
    phrases = []
    for name, value in (query or {}).items():
        label = name.replace("_", " ")
        if name == "page" and value == 1:
            continue  # the first page is what a list shows unless asked otherwise
        if isinstance(value, dict) and "length" in value:
            phrases.append(_("searched (%(n)s characters)") % {"n": value["length"]})
        elif isinstance(value, dict) and value.get("not_visible"):
            phrases.append(_("%(name)s: one they may not see") % {"name": label})
        elif isinstance(value, list):
            phrases.append(f"{label} {', '.join(map(str, value))}")
        else:
            phrases.append(f"{label} {value}")
    return phrases
