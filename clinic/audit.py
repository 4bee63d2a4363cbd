"""The audit trail of patient data: one append-only event per read or write, written in one place.

`AuditMiddleware` wraps every write to a patient-data route (the policy
in clinic.audit_policy, keyed by URL name) in a transaction, and once the view has answered
successfully it writes one `AuditEvent` in that same transaction: if the
event cannot be written, the request's writes are rolled back with it. A
write the app refuses (400, 409, 422: invalid input or a conflict) leaves
none of its writes, and one event saying it was refused. A read (GET/HEAD)
gets its event once the page or response is ready.

Views add what only they know (a created row's id, the patient behind a
flag) with `audit_note(request, ...)`. Lists tell the trail which patients
the response actually contained and which filters narrowed it, in three
shared places: the API's base mixin and filter backend, `page_of` for
pages, and `AuditedModelAdmin` for Django's admin. Views need nothing of
their own.

Requests that are turned away (anonymous, wrong role, other clinic: 401,
403, 404) never reach the data and are not events; sign-in failures are
counted by django-axes.

An event is filed under the clinic whose data it was: for clinic staff,
patients and API keys that is their own clinic (scoping allows nothing
else); a site administrator's read through Django's admin is filed under
each clinic whose patients it showed, one event per clinic, so each clinic's
admin sees it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.apps import apps
from django.contrib import admin
from django.core.paginator import Page, Paginator
from django.db import models, transaction
from django.urls import Resolver404, resolve

from clinic.audit_labels import SAFE_METHODS
from clinic.audit_policy import AuditPolicy, audit_policy
from clinic.audit_write import event_create, one_statement
from clinic.models import ApiKey, AuditEvent
from clinic.request_identity import REQUEST_ID_HEADER, client_ip, request_id_of
from clinic.tenancy import patient_lookup

logger = logging.getLogger(__name__)

# Writes the app refused after reaching the data: the attempt is an event, labelled refused.
# (401, 403, 404 and 405 turn the caller away before that, and are not events.)
REFUSED_WRITE_STATUSES = {400, 409, 422}
# The list filter that names one patient (API filtersets, the adherence report).
PATIENT_FILTER = "patient"
NOT_VISIBLE = {"not_visible": True}
_MAX_QUERY_PARAMETERS = 20
_MAX_QUERY_VALUE = 64


# ---------------------------------------------------------------------------
# What views tell the trail
# ---------------------------------------------------------------------------


def _notes_of(request) -> dict | None:
    """The audit notes of an audited request; None for any other request (or outside a request)."""
    request = getattr(request, "_request", request)  # DRF wraps Django's request
    return getattr(request, "audit_notes", None)


def audit_note(request, **fields) -> None:
    """Tell the audit trail what the middleware cannot see: object_id, patient_id, clinic_id, detail."""
    notes = _notes_of(request)
    if notes is None:
        return
    detail = fields.pop("detail", None)
    notes.update({name: value for name, value in fields.items() if value is not None})
    if detail:
        notes.setdefault("detail", {}).update(detail)


def patient_id_of(obj) -> int | None:
    """The patient a row of patient data belongs to, read from the row itself (None when it does not say)."""
    if obj._meta.label_lower == "patients.patient":
        return obj.pk
    return getattr(obj, "patient_id", None)


def audit_contained(request, patient_ids: Iterable[int | None] | Mapping[int, int | None], *,
                    page: int | None = None) -> None:
    """Tell the trail which patients a list response contained, in order (each once), and which page it was.

    `patient_ids` may map each patient to its clinic when the caller reads
    across clinics (Django's admin); otherwise they are the caller's clinic's.
    """
    notes = _notes_of(request)
    if notes is None:
        return
    contained = notes.setdefault("contained", {})
    pairs = patient_ids.items() if isinstance(patient_ids, Mapping) else ((pid, None) for pid in patient_ids)
    for patient_id, clinic_id in pairs:
        if patient_id is not None:
            contained.setdefault(int(patient_id), clinic_id)
    if page is not None:
        notes.setdefault("query", {})["page"] = page


def audit_narrowed(request, filters: Mapping[str, object], *, searched: Mapping[str, str] | None = None) -> None:
    """Tell the trail which filters narrowed a list: values the view has validated, never a search term.

    A search may hold a patient's name, and the trail keeps no names: only
    that a search was made and how long the term was. A `patient` filter is
    kept as the patient the request asked about; the trail checks, when the
    event is written, that the caller may see that patient (see
    `audit_events_record`).
    """
    notes = _notes_of(request)
    if notes is None:
        return
    query = notes.setdefault("query", {})
    for name, value in filters.items():
        if value is None or value == "" or value == [] or len(query) >= _MAX_QUERY_PARAMETERS:
            continue
        query[name] = _plain(value)
        if name == PATIENT_FILTER and isinstance(query[name], int):
            notes["asked_patient_id"] = query[name]
    for name, term in (searched or {}).items():
        term = (term or "").strip()
        if term and len(query) < _MAX_QUERY_PARAMETERS:
            query[name] = {"length": len(term)}


def audit_filterset(request, filterset) -> None:
    """A django-filter FilterSet's validated values as the list's narrowing; its text filters count as searches."""
    if not filterset.is_valid():
        return  # the request is answered 400 and shows no data
    filters, searched = {}, {}
    for name, value in filterset.form.cleaned_data.items():
        free_text = issubclass(filterset.filters[name].field_class, forms.CharField)
        (searched if free_text else filters)[name] = value
    audit_narrowed(request, filters, searched=searched)


def page_of(request, rows, per_page: int) -> Page:
    """One page (?page=) of a list page's rows of patient data, told to the trail as the patients it shows."""
    page = Paginator(rows, per_page).get_page(request.GET.get("page"))
    audit_contained(request, (patient_id_of(row) for row in page.object_list), page=page.number)
    return page


def _plain(value):
    """A validated filter value as JSON: ids for rows, ISO dates, short strings."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool | int | float) or value is None:
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    if isinstance(value, list | tuple | set):
        return [_plain(item) for item in list(value)[:_MAX_QUERY_PARAMETERS]]
    return str(value)[:_MAX_QUERY_VALUE]


def _rows_patients_and_clinics(model: type[models.Model], pks: list) -> dict:
    """pk -> (patient id, clinic id) of rows of a patient-data model, in one query."""
    path = patient_lookup(model)
    if path is None or not pks:
        return {}
    rows = model._default_manager.filter(pk__in=pks).values_list("pk", path, model.TENANT_CLINIC_LOOKUP)
    return {pk: (patient_id, clinic_id) for pk, patient_id, clinic_id in rows}


class AuditedModelAdmin(admin.ModelAdmin):
    """Django's admin of patient data: every page tells the trail whose data it showed.

    Site administrators read across clinics, so the rows' clinics are noted
    too: the event is filed under each clinic whose patients the page showed.
    """

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        found = _rows_patients_and_clinics(self.model, [row.pk for row in changelist.result_list])
        audit_contained(request, {patient_id: clinic_id for patient_id, clinic_id in found.values()},
                        page=changelist.page_num)
        # The changelist has checked these against list_filter and date_hierarchy (no free text among them).
        audit_narrowed(request, {name: values[0] if len(values) == 1 else values
                                 for name, values in changelist.get_filters_params().items()},
                       searched={"q": changelist.query})
        return changelist

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            patient_id, clinic_id = _rows_patients_and_clinics(self.model, [obj.pk]).get(obj.pk, (None, None))
            audit_note(request, object_id=obj.pk, patient_id=patient_id, clinic_id=clinic_id)
        return obj


# ---------------------------------------------------------------------------
# Writing the events
# ---------------------------------------------------------------------------


def _patient_model():
    # The patients app builds on this one; looked up by name so that clinic does not import it.
    return apps.get_model("patients", "Patient")


def _may_see_patient(patient_id: int, *, clinic_id: int | None, actor, contained) -> bool:
    """Whether the caller may see the patient a filter named: never another clinic's (or patient's) patient."""
    if patient_id in contained:
        return True
    if actor is not None and actor.is_patient:
        return patient_id == actor.patient.pk
    return clinic_id is not None and _patient_model().objects.filter(pk=patient_id, clinic_id=clinic_id).exists()


@dataclass(frozen=True)
class _Requester:
    """Who made a request, as the trail files it: the account or key, its role and the clinic of the data."""

    user: Any
    api_key: ApiKey | None
    actor: Any
    clinic_id: int | None
    role: str


def _requester(request, *, route: str, notes: dict) -> _Requester | None:
    """The requester, or None when nobody identifiable made the request.

    Anonymous requests only count when the view named the clinic (the
    invitation page, reached by its token).
    """
    key = getattr(request, "auth", None)
    user = getattr(request, "user", None)
    actor = getattr(request, "actor", None)
    signed_in = user is not None and user.is_authenticated
    if isinstance(key, ApiKey):
        return _Requester(None, key, None, notes.get("clinic_id", key.clinic_id), "api_key")
    if signed_in:
        clinic_id = actor.clinic.pk if actor is not None and actor.clinic is not None else None
        role = actor.role if actor is not None else "none"
        if user.is_superuser and (role == "none" or route.startswith("admin:")):
            role = "site_admin"
        return _Requester(user, None, actor, notes.get("clinic_id", clinic_id), role)
    if "clinic_id" not in notes:
        return None
    return _Requester(None, None, actor, notes["clinic_id"], "anonymous")


def _object_and_patient(*, policy: AuditPolicy, kwargs: dict, notes: dict, data: dict, actor,
                        method: str) -> tuple[object, int | None]:
    """The id of the object a request touched, and of the patient it belongs to, from the best source known."""
    object_id = notes.get("object_id")
    if object_id is None and policy.id_kwarg:
        object_id = kwargs.get(policy.id_kwarg)
    if object_id is None and method not in SAFE_METHODS:
        object_id = data.get("id")
    patient_id = notes.get("patient_id")
    if patient_id is None and isinstance(data.get("patient"), int):
        patient_id = data["patient"]
    if patient_id is None and actor is not None and actor.is_patient:
        patient_id = actor.patient.pk
    if patient_id is None and policy.object_type == "patient" and object_id is not None:
        patient_id = object_id
    return object_id, _int_or_none(patient_id)


def audit_events_record(*, request, policy: AuditPolicy, route: str, kwargs: dict, status_code: int,
                        response=None) -> list[AuditEvent]:
    """Write the event of one patient-data request (one per clinic whose data it showed); [] when nobody
    identifiable made it (see `_requester`).
    """
    notes = getattr(request, "audit_notes", {})
    who = _requester(request, route=route, notes=notes)
    if who is None:
        return []
    clinic_id, actor = who.clinic_id, who.actor
    method = request.method.upper()
    data = getattr(response, "data", None)  # a DRF response's body, before rendering
    data = data if isinstance(data, dict) and status_code < 400 else {}
    object_id, patient_id = _object_and_patient(policy=policy, kwargs=kwargs, notes=notes, data=data, actor=actor,
                                                method=method)

    contained: dict[int, int | None] | None = notes.get("contained")
    query = dict(notes.get("query", {}))
    asked = notes.get("asked_patient_id")
    if asked is not None:
        if _may_see_patient(asked, clinic_id=clinic_id, actor=actor, contained=contained or {}):
            patient_id = patient_id if patient_id is not None else asked
        else:
            # Recorded that a patient outside the caller's reach was asked for, but never which one.
            query[PATIENT_FILTER] = NOT_VISIBLE

    common = {
        "user": who.user,
        "api_key": who.api_key,
        "actor_role": who.role,
        "action": AuditEvent.Action.READ if method in SAFE_METHODS else AuditEvent.Action.WRITE,
        "method": method,
        "route": route[:120],
        "object_type": policy.object_type,
        "object_id": "" if object_id is None else str(object_id)[:64],
        "query": query,
        "status_code": status_code,
        "ip_address": client_ip(request),
        "user_agent": request.headers.get("User-Agent", "")[:300],
        "request_id": getattr(request, "request_id", "")[:64],
        "detail": notes.get("detail", {}),
    }
    events = _by_clinic(clinic_id=clinic_id, patient_id=patient_id, contained=contained)
    if len(events) == 1 and one_statement(next(iter(events.values()))[1]):
        # One statement (the event, with its patients on PostgreSQL): atomic by itself, no transaction to open.
        ((event_clinic, (event_patient, event_contained)),) = events.items()
        return [event_create(clinic_id=event_clinic, patient_id=event_patient, contained=event_contained, **common)]
    with transaction.atomic(savepoint=False):  # an event and its patients are written together or not at all
        return [
            event_create(clinic_id=event_clinic, patient_id=event_patient, contained=event_contained, **common)
            for event_clinic, (event_patient, event_contained) in events.items()
        ]


def _by_clinic(*, clinic_id: int | None, patient_id: int | None,
               contained: dict[int, int | None] | None) -> dict[int | None, tuple[int | None, list[int] | None]]:
    """clinic -> (the patient named, the patients contained) of each event to write.

    A caller of one clinic sees only that clinic's data: one event. A
    caller without a clinic (a site administrator) is filed under the
    clinic of each patient shown; with no patient shown, under no clinic.
    """
    clinic_of = dict(contained or {})
    if clinic_id is not None:
        clinic_of = {pid: c if c is not None else clinic_id for pid, c in clinic_of.items()}
    else:
        unknown = [pid for pid, c in clinic_of.items() if c is None] + ([patient_id] if patient_id else [])
        if unknown:
            clinic_of.update(_patient_model().objects.filter(pk__in=unknown).values_list("pk", "clinic_id"))
    named_clinic = clinic_of.get(patient_id, clinic_id) if patient_id is not None else None
    clinics = list(dict.fromkeys([*([named_clinic] if patient_id is not None else []), *clinic_of.values()]))
    return {
        clinic: (patient_id if patient_id is not None and named_clinic == clinic else None,
                 None if contained is None else [pid for pid in contained if clinic_of.get(pid) == clinic])
        for clinic in clinics or [clinic_id]
    }


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

        def record(response):
            audit_events_record(request=request, policy=policy, route=route, kwargs=match.kwargs,
                                status_code=response.status_code, response=response)

        if request.method.upper() in SAFE_METHODS:
            # A read writes nothing to pair the event with: no transaction held open while the page renders.
            response = self.get_response(request)
            if response.status_code < 400:
                record(response)
            return response
        with transaction.atomic():
            # Exceptions below were already turned into 4xx/5xx responses by Django.
            response = self.get_response(request)
            if response.status_code >= 400:
                # Nothing half-saved: whatever the failed request wrote goes.
                transaction.set_rollback(True)
            else:
                record(response)
        if response.status_code in REFUSED_WRITE_STATUSES:
            # The attempt itself is kept, after its writes were undone: the trail shows it as refused.
            record(response)
        return response
