"""Clinic-admin pages of interoperability: bulk FHIR exports, one patient's full record, erasure.

Thin views: check the role, call one selector or service, shape the page.
Export files are downloaded through the Bulk Data file URL
(fhir.export_views), which lets only the caller who started the export in.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from clinic.audit import audit_note
from clinic.tenancy import get_scoped_or_404
from clinic.web import clinic_admin_required, no_store, service_errors_to_form
from fhir import erasure, export_selectors, exports, patient_copy
from fhir.api.views import base_url
from fhir.forms import ErasureForm, ExportStartForm
from patients.models import Patient

EXPORTS_PER_PAGE = 20


@clinic_admin_required
@require_safe
def export_list(request):
    """The clinic's bulk exports with their progress; the admin's own finished ones have download links."""
    clinic = request.actor.clinic
    page = Paginator(export_selectors.clinic_exports(clinic), EXPORTS_PER_PAGE).get_page(request.GET.get("page"))
    running = any(job.is_active for job in page.object_list)
    return render(request, "fhir/export_list.html", {
        "page": page, "form": ExportStartForm(clinic=clinic), "section": "exports", "running": running,
        "retention": settings.FHIR_EXPORT_RETENTION_HOURS})


@clinic_admin_required
@require_POST
def export_start(request):
    """Start an export of every supported type, for the clinic or one therapist's caseload."""
    clinic = request.actor.clinic
    form = ExportStartForm(request.POST, clinic=clinic)
    if not form.is_valid():
        messages.error(request, _("Choose whose data to export from the list."))
        return redirect("interop:exports")
    group_id = form.cleaned_data["group"]
    try:
        job = exports.export_start(clinic=clinic, types=exports.export_types(None), group_id=group_id,
                                   user=request.user, request_url=request.build_absolute_uri(
                                       reverse("fhir:group-export", kwargs={"group_id": group_id})
                                       if group_id else reverse("fhir:export")))
    except exports.ExportBusy:
        messages.error(request, _("An export is already running for this clinic. Wait for it to finish."))
        return redirect("interop:exports")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("interop:exports")
    audit_note(request, object_id=job.pk, detail={"export": job.pk, "types": job.types, "kind": job.kind,
                                                  "group": group_id, "patients": job.patient_count})
    messages.success(request, _("Export started. This page shows its progress."))
    return redirect("interop:exports")


@clinic_admin_required
@require_safe
def patient_record(request, pk: int):
    """Everything about one patient as a FHIR Bundle (JSON), e.g. before erasing them."""
    patient = get_scoped_or_404(Patient.objects.select_related("clinic"), request.actor, pk=pk)
    bundle = patient_copy.patient_bundle(patient, base_url=base_url(request))
    audit_note(request, detail={"resources": len(bundle["entry"])})
    response = JsonResponse(bundle, content_type="application/fhir+json", json_dumps_params={"indent": 1})
    response["Content-Disposition"] = f'attachment; filename="patient-{patient.pk}.json"'
    return no_store(response)


@clinic_admin_required
@require_http_methods(["GET", "POST"])
def patient_erase(request, pk: int):
    """Erase a patient after the admin types the patient's reference again; cannot be undone."""
    patient = get_scoped_or_404(Patient.objects.select_related("clinic"), request.actor, pk=pk)
    form = ErasureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            removed = erasure.patient_erase(patient=patient, confirmation=form.cleaned_data["confirmation"])
        except ValidationError as error:
            service_errors_to_form(form, error)
        else:
            audit_note(request, detail={"erased": removed})
            messages.success(request, _("The patient was erased. The audit trail keeps their id only."))
            return redirect("patients:list")
    return render(request, "fhir/patient_erase.html", {
        "patient": patient, "form": form, "word": erasure.erasure_word(patient),
        "has_reference": bool(patient.external_ref)}, status=400 if form.errors else 200)
