"""The therapist's patient pages: the patient list, a patient's details and page, the changes made from it
(level, phase, measurements, assigning and ending a plan), the invitation link and the printed handout."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe

from clinic.audit import audit_narrowed, audit_note, page_of
from clinic.language import patient_language
from clinic.search import page_search
from clinic.web import id_or_none, service_errors_to_form, staff_required
from patients import selectors, services
from patients.forms import (
    AssignForm,
    EndPlanForm,
    MeasurementForm,
    PatientForm,
    PhaseChangeForm,
    StepChangeForm,
)
from patients.models import Patient

PATIENTS_PER_PAGE = 25
SESSIONS_ON_PATIENT_PAGE = 15
NO_RUNNING_PLAN = _("This patient has no running plan to change.")


@staff_required
@require_safe
def patient_list(request):
    """Therapists start here: their patients (or the whole clinic), with what needs attention."""
    actor, query = request.actor, request.GET
    scope = query.get("scope") or ("all" if actor.is_clinic_admin else "mine")
    condition = query.get("condition", "") if query.get("condition") in ("pfp", "acl") else ""
    severity = query.get("severity", "") if query.get("severity") in ("urgent", "warning", "info") else ""
    therapist_id = id_or_none(query.get("therapist", ""))
    sort = query.get("sort", "name") if query.get("sort") in selectors.PATIENT_SORTS else "name"
    search = page_search(query)
    patients = selectors.patient_list(actor=actor, mine_only=scope == "mine" and not therapist_id, search=search.term,
                                      condition=condition, severity=severity, therapist_id=therapist_id, sort=sort)
    page = page_of(request, patients, PATIENTS_PER_PAGE)
    audit_narrowed(request, {"scope": "mine" if scope == "mine" and not therapist_id else "all",
                             "condition": condition, "severity": severity, "therapist": therapist_id},
                   searched={"q": search.term})
    active = selectors.active_assignments(patient_ids=[p.pk for p in page.object_list])
    steps = selectors.current_steps_for_assignments(active)
    # The figure of a low-adherence flag (F1), from the same function on the same training days.
    today = services.clinic_today(actor.clinic)
    by_assignment = selectors.recent_training_by_assignment(assignments=active, today=today) if active else {}
    adherence = {a.patient_id: by_assignment[a.pk] for a in active}
    rows = [(patient, steps.get(patient.pk, []), adherence.get(patient.pk)) for patient in page.object_list]
    return render(request, "patients/patient_list.html", {
        "page": page, "rows": rows, "scope": scope, "search": search.term, "search_error": search.error,
        "condition": condition, "severity": severity, "therapist": therapist_id, "sort": sort,
        "query": search.links_query(query), "therapists": selectors.therapist_choices(actor=actor),
        "filtered": bool(search.term or condition or severity or therapist_id),
    }, status=search.status)


@staff_required
def patient_create(request):
    actor = request.actor
    form = PatientForm(request.POST or None, clinic=actor.clinic, initial={"therapist": request.user})
    if request.method == "POST" and form.is_valid():
        try:
            patient = services.patient_create(clinic=actor.clinic, **form.cleaned_data)
        except ValidationError as error:
            service_errors_to_form(form, error)
        else:
            audit_note(request, object_id=patient.pk)
            messages.success(request, _("Patient added. Next: assign a protocol."))
            return redirect("patients:assign", pk=patient.pk)
    return render(request, "patients/patient_form.html", {"form": form, "patient": None})


@staff_required
def patient_edit(request, pk: int):
    patient = selectors.patient_get(actor=request.actor, pk=pk)
    form = PatientForm(request.POST or None, instance=patient, clinic=request.actor.clinic)
    if request.method == "POST" and form.is_valid():
        try:
            # A fresh copy: validating the form already wrote its values onto `patient`, and the service
            # compares the new values with the saved ones (a changed date is checked, a kept one is not).
            services.patient_update(patient=selectors.patient_get(actor=request.actor, pk=pk), **form.cleaned_data)
        except ValidationError as error:
            service_errors_to_form(form, error)
        else:
            messages.success(request, _("Patient details saved."))
            return redirect("patients:detail", pk=patient.pk)
    return render(request, "patients/patient_form.html", {"form": form, "patient": patient})


# ---------------------------------------------------------------------------
# The patient page
# ---------------------------------------------------------------------------


@staff_required
@require_safe
def patient_detail(request, pk: int):
    """The patient page: plan, charts, sessions, measurements, step history, and the actions on them."""
    return _patient_page(request, selectors.patient_get(actor=request.actor, pk=pk))


def _patient_page(request, patient: Patient, *, status: int = 200, **refused_forms):
    """Render the patient page. A refused form comes back bound: what was typed stays, errors beside the fields.

    Opening the page (GET) records the visit: the sessions logged since the
    previous one are marked new, here and in the inbox (selectors.is_new).
    """
    today = services.clinic_today(request.actor.clinic)
    overview = selectors.patient_overview(patient=patient, today=today)
    if request.method == "GET":
        last_visit = services.patient_page_visit_record(user=request.user, patient=patient)
    else:
        last_visit = selectors.last_page_visits(user=request.user, patient_ids=[patient.pk]).get(patient.pk)
    sessions = Paginator(selectors.patient_sessions(patient=patient), SESSIONS_ON_PATIENT_PAGE) \
        .get_page(request.GET.get("page"))
    selectors.mark_new(sessions.object_list, {patient.pk: last_visit} if last_visit else {})
    forms = {
        "step_form": StepChangeForm(exercises=overview.ladder_exercises, ladders=overview.ladders),
        "phase_form": PhaseChangeForm(phases=overview.phases, current_phase_id=overview.current_phase_id),
        **_phase_readiness(patient, overview.phases, today),
        "measurement_form": MeasurementForm(initial={"date": today}),
        "end_form": EndPlanForm(initial={"end_date": today, "status": "completed"}),
        **refused_forms,
    }
    return render(request, "patients/patient_detail.html", {
        "overview": overview, "patient": patient, "today": today, "sessions": sessions, "last_visit": last_visit,
        "open_invitation": not patient.user_id and selectors.open_invitation_exists(patient=patient),
        "since": _since(patient, overview.assignment, today), **forms,
    }, status=status)


def _since(patient: Patient, assignment, today: dt.date) -> str:
    if patient.condition == "acl" and patient.surgery_date:
        weeks = (today - patient.surgery_date).days // 7
        return _("%(n)s weeks since surgery") % {"n": weeks}
    if assignment:
        weeks = (today - assignment.start_date).days // 7
        return _("week %(n)s of the plan") % {"n": weeks + 1}
    return ""


def _phase_readiness(patient: Patient, phases: list, today: dt.date) -> dict:
    """The phase-change form's context: each phase's entry criteria, met or not by the latest measurements."""
    readings, readiness = selectors.phase_readiness(patient=patient, phases=phases, today=today)
    return {"readings": readings, "readiness": readiness}


# ---------------------------------------------------------------------------
# Changes made from the patient page
# ---------------------------------------------------------------------------


@staff_required
@require_POST
def patient_step_change(request, pk: int):
    """Move a ladder exercise of the current phase to another level.

    Checked against the running plan's ladders only (selectors.plan_controls);
    the whole patient page, with its charts, is built only to show a refusal.
    """
    patient = selectors.patient_get(actor=request.actor, pk=pk)
    plan = selectors.plan_controls(patient=patient)
    if plan.assignment is None:
        messages.error(request, NO_RUNNING_PLAN)
        return redirect(reverse("patients:detail", args=[pk]) + "#plan")
    form = StepChangeForm(request.POST, exercises=plan.ladder_exercises, ladders=plan.ladders)
    if not form.is_valid():
        return _patient_page(request, patient, status=400, step_form=form)
    exercise = next(e for e in plan.ladder_exercises if e.pk == form.cleaned_data["exercise"])
    try:
        services.step_change(exercise=exercise, step=form.cleaned_data["step"], changed_by=request.user,
                             effective_date=services.clinic_today(request.actor.clinic),
                             source="therapist", reason=form.cleaned_data["reason"])
    except ValidationError as error:
        service_errors_to_form(form, error)
        return _patient_page(request, patient, status=400, step_form=form)
    messages.success(request, _("Level changed. The patient sees it on today's plan."))
    return redirect(reverse("patients:detail", args=[pk]) + "#plan")


@staff_required
@require_POST
def patient_phase_change(request, pk: int):
    """Move the plan to another phase. Unmet entry criteria are shown; going ahead needs a tick and a reason.

    A refused change comes back on its own page with the criteria and what was typed.
    """
    patient = selectors.patient_get(actor=request.actor, pk=pk)
    today = services.clinic_today(request.actor.clinic)
    plan = selectors.plan_controls(patient=patient)
    if plan.assignment is None:
        messages.error(request, NO_RUNNING_PLAN)
        return redirect("patients:detail", pk=pk)
    form = PhaseChangeForm(request.POST, phases=plan.phases, current_phase_id=plan.current_phase_id)
    if form.is_valid():
        phase = next(p for p in plan.phases if p.pk == form.cleaned_data["phase"])
        try:
            services.phase_change(assignment=plan.assignment, phase=phase, source="therapist",
                                  effective_date=today, reason=form.cleaned_data["reason"],
                                  go_ahead=form.cleaned_data["go_ahead"], changed_by=request.user)
        except ValidationError as error:
            service_errors_to_form(form, error)
        else:
            messages.success(request, _("Phase changed."))
            return redirect(reverse("patients:detail", args=[pk]) + "#plan")
    return render(request, "patients/phase_change.html", {
        "patient": patient, "phase_form": form, **_phase_readiness(patient, plan.phases, today)})


@staff_required
@require_POST
def patient_measurement(request, pk: int):
    patient = selectors.patient_get(actor=request.actor, pk=pk)
    form = MeasurementForm(request.POST)
    if form.is_valid():
        try:
            services.measurement_record(patient=patient, recorded_by=request.user, **form.cleaned_data)
        except ValidationError as error:
            service_errors_to_form(form, error)
        else:
            messages.success(request, _("Measurements saved; the plan is re-checked with them."))
            return redirect(reverse("patients:detail", args=[pk]) + "#measurements")
    return _patient_page(request, patient, status=400, measurement_form=form)


@staff_required
def patient_assign(request, pk: int):
    """Assign a protocol: the assignment freezes a snapshot of it.

    While a plan is running the page says so and a post is refused (409, as
    the API answers a conflict): the running plan is ended first.
    """
    patient = selectors.patient_get(actor=request.actor, pk=pk)
    active = selectors.active_assignment(patient=patient)
    form = AssignForm(request.POST or None, protocols=selectors.assignable_protocols(actor=request.actor,
                                                                                     patient=patient),
                      patient=patient, initial={"start_date": services.clinic_today(request.actor.clinic)})
    if request.method == "POST" and form.is_valid() and active is None:
        try:
            services.plan_assign(patient=patient, assigned_by=request.user, **form.cleaned_data)
        except ValidationError as error:
            service_errors_to_form(form, error)
        else:
            messages.success(request, _("Protocol assigned."))
            return redirect("patients:detail", pk=patient.pk)
    status = 409 if request.method == "POST" and active is not None else 200
    return render(request, "patients/assign.html", {"form": form, "patient": patient, "active": active},
                  status=status)


@staff_required
@require_POST
def patient_end_plan(request, pk: int):
    patient = selectors.patient_get(actor=request.actor, pk=pk)
    form = EndPlanForm(request.POST)
    active = selectors.active_assignment(patient=patient)
    if active is None:
        messages.error(request, _("This patient has no running plan to end."))
        return redirect("patients:detail", pk=pk)
    if not form.is_valid():
        return _patient_page(request, patient, status=400, end_form=form)
    try:
        services.assignment_end(assignment=active, end_date=form.cleaned_data["end_date"],
                                status=form.cleaned_data["status"], changed_by=request.user)
    except ValidationError as error:
        service_errors_to_form(form, error)
        return _patient_page(request, patient, status=400, end_form=form)
    messages.success(request, _("The plan has ended. You can assign a new one."))
    return redirect("patients:detail", pk=pk)


# ---------------------------------------------------------------------------
# The invitation link and the handout
# ---------------------------------------------------------------------------


@staff_required
@require_POST
def patient_invite(request, pk: int):
    """Staff send a patient a one-time link to set a password (the link is also shown, to copy)."""
    patient = selectors.patient_get(actor=request.actor, pk=pk)
    try:
        _invitation, link = services.invitation_create(patient=patient, created_by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("patients:detail", pk=patient.pk)
    # The link is shown once, on this page, never kept in a message cookie or a cache.
    response = render(request, "patients/invited.html", {"patient": patient, "link": link})
    response["Cache-Control"] = "no-store"
    return response


@staff_required
@require_POST
def patient_invite_revoke(request, pk: int):
    patient = selectors.patient_get(actor=request.actor, pk=pk)
    if services.invitation_revoke(patient=patient):
        messages.success(request, _("The invitation link no longer works."))
    else:
        messages.info(request, _("There was no open invitation to revoke."))
    return redirect("patients:detail", pk=pk)


@staff_required
@require_safe
def patient_handout(request, pk: int):
    """A print-friendly sheet of the current plan with its safety notes, in the patient's language (it is
    printed for them to take home, whatever language the therapist reads)."""
    patient = selectors.patient_get(actor=request.actor, pk=pk)
    today = services.clinic_today(request.actor.clinic)
    overview = selectors.patient_overview(patient=patient, today=today)
    with translation.override(patient_language(patient)):
        return render(request, "patients/handout.html", {"overview": overview, "patient": patient, "today": today})
