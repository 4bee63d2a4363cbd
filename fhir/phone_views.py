"""The patient's own copy of their data, from the phone: a readable summary and the FHIR Bundle. Audited."""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from clinic.audit import audit_note
from clinic.web import no_store, patient_required
from fhir import patient_copy
from fhir.api.views import base_url


@patient_required
@require_safe
def my_data(request):
    """Everything Backstep holds about the signed-in patient, to read or print."""
    patient = request.actor.patient
    record = patient_copy.patient_record(patient)
    return no_store(render(request, "fhir/my_data.html", {"record": record, "patient": patient}))


@patient_required
@require_safe
def my_data_bundle(request):
    """The same data as a FHIR Bundle (JSON), downloaded as a file."""
    patient = request.actor.patient
    bundle = patient_copy.patient_bundle(patient, base_url=base_url(request))
    audit_note(request, detail={"resources": len(bundle["entry"])})
    response = JsonResponse(bundle, content_type="application/fhir+json", json_dumps_params={"indent": 1})
    response["Content-Disposition"] = 'attachment; filename="my-backstep-data.json"'
    return no_store(response)
