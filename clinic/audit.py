"""The audit trail of patient data: one append-only event per read or write, written in one place.

`AuditMiddleware` wraps every write to a patient-data route (the policy
below, keyed by URL name) in a transaction, and once the view has answered
successfully it writes one `AuditEvent` in that same transaction: if the
event cannot be written, the request's writes are rolled back with it, and a
request that fails (4xx/5xx) leaves neither its writes nor an event. A read
(GET/HEAD) gets its event once the page or response is ready.

Views add what only they know (a created row's id, the patient behind a
flag) with `audit_note(request, ...)`; the API's base mixin does this for
every object it fetches or creates, so API views need nothing of their own.
Requests that are turned away (anonymous, wrong role, other clinic) never
reach the data and are not events; sign-in failures are counted by django-axes.
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.urls import Resolver404, resolve

from clinic.models import ApiKey, AuditEvent

logger = logging.getLogger(__name__)

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


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
}
# API viewsets by router basename: "<basename>-list", "<basename>-detail" and extra actions.
PATIENT_API_RESOURCES = {
    "patient": "patient",
    "me": "patient",
    "assignment": "assignment",
    "session": "session",
    "checkin": "checkin",
    "measurement": "measurement",
    "flag": "flag",
}
PATIENT_API_VIEWS = {
    "report-adherence": AuditPolicy("adherence_report"),
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


def audit_note(request, **fields) -> None:
    """Tell the audit trail what the middleware cannot see: object_id, patient_id, clinic_id, detail."""
    request = getattr(request, "_request", request)  # DRF wraps Django's request
    notes = getattr(request, "audit_notes", None)
    if notes is None:
        return  # not an audited request (or called outside a request)
    detail = fields.pop("detail", None)
    notes.update({name: value for name, value in fields.items() if value is not None})
    if detail:
        notes.setdefault("detail", {}).update(detail)


def request_id_of(request) -> str:
    """The caller's X-Request-ID when it is a sane token (proxies set one), else a new one."""
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    return incoming if _REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or the address our own proxy appended to X-Forwarded-For.

    Only the last hop is trusted (AUDIT_TRUST_X_FORWARDED_FOR=true behind one
    reverse proxy): earlier entries are whatever the client chose to send.
    """
    if getattr(settings, "AUDIT_TRUST_X_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return _valid_ip(hops[-1])
    return _valid_ip(request.META.get("REMOTE_ADDR", ""))


def _valid_ip(value: str) -> str | None:
    import ipaddress

    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def audit_event_record(*, request, policy: AuditPolicy, route: str, kwargs: dict, status_code: int,
                       response=None) -> AuditEvent | None:
    """Write the event of one successful patient-data request; None when nobody identifiable made it.

    Anonymous requests only count when the view named the clinic (the
    invitation page, reached by its token).
    """
    notes = getattr(request, "audit_notes", {})
    key = getattr(request, "auth", None)
    user = getattr(request, "user", None)
    actor = getattr(request, "actor", None)
    api_key = key if isinstance(key, ApiKey) else None
    signed_in = user is not None and user.is_authenticated
    if api_key is None and not signed_in and "clinic_id" not in notes:
        return None

    if api_key is not None:
        clinic_id, role, user = api_key.clinic_id, "api_key", None
    elif signed_in:
        clinic_id = actor.clinic.pk if actor is not None and actor.clinic is not None else None
        role = actor.role if actor is not None else "none"
        if role == "none" and user.is_superuser:
            role = "site_admin"
    else:
        clinic_id, role, user = None, "anonymous", None
    clinic_id = notes.get("clinic_id", clinic_id)

    object_id = notes.get("object_id")
    if object_id is None and policy.id_kwarg:
        object_id = kwargs.get(policy.id_kwarg)
    method = request.method.upper()
    data = getattr(response, "data", None)  # a DRF response's body, before rendering
    data = data if isinstance(data, dict) else {}
    if object_id is None and method not in SAFE_METHODS:
        object_id = data.get("id")
    patient_id = notes.get("patient_id")
    if patient_id is None and isinstance(data.get("patient"), int):
        patient_id = data["patient"]
    if patient_id is None and actor is not None and actor.is_patient and api_key is None:
        patient_id = actor.patient.pk
    if patient_id is None and policy.object_type == "patient" and object_id is not None:
        patient_id = object_id

    return AuditEvent.objects.create(
        clinic_id=clinic_id,
        user=user if signed_in and api_key is None else None,
        api_key=api_key,
        actor_role=role,
        action=AuditEvent.Action.READ if method in SAFE_METHODS else AuditEvent.Action.WRITE,
        method=method,
        route=route[:120],
        object_type=policy.object_type,
        object_id="" if object_id is None else str(object_id)[:64],
        patient_id=_int_or_none(patient_id),
        status_code=status_code,
        ip_address=client_ip(request),
        user_agent=request.headers.get("User-Agent", "")[:300],
        request_id=getattr(request, "request_id", "")[:64],
        detail=notes.get("detail", {}),
    )


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class AuditMiddleware:
    """Give every request an id, and run patient-data requests in one transaction with their audit event.

    Sits last in MIDDLEWARE, so requests that sign-in checks turn away never
    get here and are not recorded as reads.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = request_id_of(request)
        try:
            match = resolve(request.path_info)
        except Resolver404:
            match = None
        policy = audit_policy(match.url_name, match.namespace, match.route) if match else None
        if policy is None:
            response = self.get_response(request)
        else:
            response = self._audited(request, policy, match)
        response.headers.setdefault(REQUEST_ID_HEADER, request.request_id)
        return response

    def _audited(self, request, policy: AuditPolicy, match):
        request.audit_notes = {}
        route = f"{match.namespace}:{match.url_name}" if match.namespace else match.url_name
        if request.method.upper() in SAFE_METHODS:
            # A read writes nothing to pair the event with: no transaction held open while the page renders.
            response = self.get_response(request)
            if response.status_code < 400:
                audit_event_record(request=request, policy=policy, route=route, kwargs=match.kwargs,
                                   status_code=response.status_code, response=response)
            return response
        with transaction.atomic():
            # Exceptions below were already turned into 4xx/5xx responses by Django.
            response = self.get_response(request)
            if response.status_code >= 400:
                # Nothing half-saved: whatever the failed request wrote goes.
                transaction.set_rollback(True)
            else:
                audit_event_record(request=request, policy=policy, route=route, kwargs=match.kwargs,
                                   status_code=response.status_code, response=response)
        return response
