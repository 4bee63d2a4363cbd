"""Staff pages of the outcomes app: a plan's questionnaires (add, skip) from the patient page, the clinic's
outcomes page (mean change per instrument and protocol over a period) and every response as CSV.
Thin: a form, one service or selector, the answer. Staff of the patient's clinic only."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from clinic.audit import audit_contained, audit_note
from clinic.clock import clinic_today
from clinic.csv_export import csv_text
from clinic.tenancy import get_scoped_or_404
from clinic.web import service_errors_to_form, staff_required
from outcomes import instruments, plan_questionnaires, reports
from outcomes.exports import CSV_FIELDS, csv_rows, responses_for_export
from outcomes.forms import PeriodForm, PlanQuestionnaireForm, ProtocolQuestionnaireRemoveForm, SkipForm
from outcomes.models import AssignmentQuestionnaire, ProtocolQuestionnaire
from patients.models import Assignment, Patient
from protocols.models import Protocol

ROWS_PER_PAGE = 25


def _patient(request, pk: int) -> Patient:
    return get_scoped_or_404(Patient.objects.select_related("clinic"), request.actor, pk=pk)


def _back(patient: Patient):
    return redirect(reverse("patients:detail", args=[patient.pk]) + "#outcomes")


def _running_plan(patient: Patient) -> Assignment:
    return get_object_or_404(Assignment, patient=patient, status=Assignment.Status.ACTIVE)


@staff_required
@require_http_methods(["GET", "HEAD", "POST"])
def plan_questionnaire_add_view(request, pk: int):
    """Add (or change and un-skip) a questionnaire on the patient's running plan: the form, and its post."""
    patient = _patient(request, pk)
    assignment = _running_plan(patient)
    form = PlanQuestionnaireForm(request.POST if request.method == "POST" else None, clinic=request.actor.clinic)
    if request.method == "POST" and form.is_valid():
        try:
            row = plan_questionnaires.plan_questionnaire_add(assignment=assignment, user=request.user,
                                                             **form.cleaned_data)
        except ValidationError as error:
            service_errors_to_form(form, error)
        else:
            audit_note(request, detail={"instrument": row.instrument_id})
            messages.success(request, _("Questionnaire added to the plan."))
            return _back(patient)
    return render(request, "outcomes/plan_add.html", {"patient": patient, "assignment": assignment, "form": form},
                  status=400 if form.errors else 200)


@staff_required
@require_POST
def plan_questionnaire_skip_view(request, pk: int, row: int):
    """Skip a questionnaire on the plan, or ask it again."""
    patient = _patient(request, pk)
    found = get_object_or_404(AssignmentQuestionnaire, pk=row, assignment__patient=patient)
    form = SkipForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose skip or ask again."))
        return _back(patient)
    plan_questionnaires.plan_questionnaire_skip(row=found, user=request.user, skipped=form.cleaned_data["skipped"])
    audit_note(request, detail={"instrument": found.instrument_id, "skipped": form.cleaned_data["skipped"]})
    return _back(patient)


@staff_required
@require_safe
def clinic_outcomes(request):
    """Mean change per instrument and protocol over a period, with how many patients have a baseline and a
    follow-up."""
    clinic = request.actor.clinic
    form = PeriodForm(request.GET or None)
    start, end = form.period(clinic_today(clinic))
    rows = reports.clinic_outcomes(clinic=clinic, start=start, end=end)
    page = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    audit_note(request, detail={"start": start.isoformat(), "end": end.isoformat(), "rows": len(rows)})
    return render(request, "outcomes/clinic.html", {"form": form, "page": page, "start": start, "end": end,
                                                    "rows": page.object_list})


@staff_required
@require_safe
def export(request):
    """Every submitted response of the clinic and every scale's score (or reason), as CSV."""
    responses = responses_for_export(actor=request.actor)
    audit_contained(request, [r.patient_id for r in responses])
    audit_note(request, detail={"format": "csv", "rows": len(responses)})
    body = csv_text(CSV_FIELDS, csv_rows(responses))
    answer = HttpResponse(body, content_type="text/csv; charset=utf-8")
    answer["Content-Disposition"] = 'attachment; filename="questionnaire-responses.csv"'
    return answer


@staff_required
@require_http_methods(["GET", "HEAD", "POST"])
def protocol_questionnaires(request, pk: int):
    """The questionnaires a protocol asks for (copied into each plan assigned from it): the list, add, remove.

    Built-in protocols are read-only here as everywhere: clinics clone them to edit.
    """
    protocol = get_scoped_or_404(Protocol.objects.all(), request.actor, pk=pk)
    rows = list(ProtocolQuestionnaire.objects.filter(protocol=protocol))
    add = PlanQuestionnaireForm(None, clinic=request.actor.clinic)
    remove = ProtocolQuestionnaireRemoveForm(None, rows=rows)
    if request.method == "POST":
        if protocol.is_builtin:
            raise PermissionDenied(_("Built-in rows are read-only: clone one to edit it."))
        action = request.POST.get("action")
        removing = action == "remove"
        form = (ProtocolQuestionnaireRemoveForm(request.POST, rows=rows) if removing
                else PlanQuestionnaireForm(request.POST, clinic=request.actor.clinic))
        if action not in ("add", "remove"):
            form.add_error(None, _("Choose to add or to remove a questionnaire."))
        elif form.is_valid():
            try:
                if removing:
                    plan_questionnaires.protocol_questionnaire_remove(protocol=protocol, **form.cleaned_data)
                else:
                    plan_questionnaires.protocol_questionnaire_set(protocol=protocol, **form.cleaned_data)
            except ValidationError as error:
                service_errors_to_form(form, error)
            else:
                messages.success(request, _("The protocol's questionnaires are saved."))
                return redirect("outcomes:protocol-questionnaires", pk=protocol.pk)
        add, remove = (add, form) if removing else (form, remove)
    titles = {i.id: i.title for i in instruments.all_instruments()}
    return render(request, "outcomes/protocol_questionnaires.html", {
        "protocol": protocol, "rows": [(row, titles.get(row.instrument_id, row.instrument_id)) for row in rows],
        "form": add, "remove_form": remove, "editable": not protocol.is_builtin,
    }, status=400 if add.errors or remove.errors else 200)
