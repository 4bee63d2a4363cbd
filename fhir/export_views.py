"""Bulk Data export endpoints (Bulk Data Access IG v2): kick-off, status (poll, cancel) and the NDJSON files.

Authentication and roles as /api/v1/: clinic staff (session) or a clinic API
key; patients 403, nobody 401. A job, its status and its files are the
caller's alone: another caller (even of the same clinic) gets 404. API keys
may DELETE their own export's status URL: cancelling one's own export is no
write to clinic data. Errors are OperationOutcome resources.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.urls import reverse
from rest_framework import status
from rest_framework.response import Response

from clinic.api.permissions import IsAuthenticatedActor, StaffOrApiKey
from clinic.audit import audit_note
from fhir import export_selectors, exports
from fhir.api.plumbing import ISSUE_CODES
from fhir.api.views import FHIRView
from fhir.bundles import operation_outcome
from fhir.groups import group_exists
from fhir.models import ExportJob

NDJSON = "application/fhir+ndjson"
OUTPUT_FORMATS = {NDJSON, "application/ndjson", "ndjson"}


class BulkView(FHIRView):
    """FHIR JSON and OperationOutcome errors as the read API (fhir.api); staff or API keys only."""

    http_method_names = ["get", "head", "delete", "options"]
    permission_classes = [IsAuthenticatedActor, StaffOrApiKey]

    def refuse(self, status_code: int, text: str, **headers) -> Response:
        return Response(operation_outcome(ISSUE_CODES.get(status_code, "processing"), text), status=status_code,
                        headers=headers)


class ExportKickoff(BulkView):
    """`GET [base]/$export` (the whole clinic) and `GET [base]/Group/<id>/$export` (a therapist's caseload)."""

    def get(self, request, group_id: int | None = None):
        actor = self.actor
        if group_id is not None and not group_exists(actor.clinic, group_id):
            return self.refuse(404, "No such Group in this clinic (a Group is a therapist's caseload).")
        if "respond-async" not in request.headers.get("Prefer", ""):
            return self.refuse(400, "Bulk export is asynchronous: send the header 'Prefer: respond-async'.")
        output = request.query_params.get("_outputFormat")
        if output is not None and output not in OUTPUT_FORMATS:
            return self.refuse(400, "Only NDJSON (_outputFormat=application/fhir+ndjson) is supported.")
        try:
            types = exports.export_types(request.query_params.get("_type"))
            since = exports.export_since(request.query_params.get("_since"))
            job = exports.export_start(clinic=actor.clinic, types=types, since=since, group_id=group_id,
                                       user=None if actor.is_api_key else actor.user, api_key=actor.api_key,
                                       request_url=request.build_absolute_uri())
        except ValidationError as error:
            return self.refuse(400, " ".join(error.messages))
        except exports.ExportBusy:
            return self.refuse(429, "This clinic already has an export running; try again when it has finished.",
                               **{"Retry-After": str(exports.RETRY_AFTER_BUSY)})
        audit_note(request, object_id=job.pk, detail={"export": job.pk, "types": types, "kind": job.kind,
                                                      "group": group_id, "patients": job.patient_count})
        location = request.build_absolute_uri(reverse("fhir:export-status", kwargs={"pk": job.pk}))
        return Response(status=status.HTTP_202_ACCEPTED, headers={"Content-Location": location})


class ExportStatus(BulkView):
    """Poll (`GET`: 202 while running, 200 with the manifest, 500 when it failed) or cancel (`DELETE`)."""

    def get(self, request, pk: int):
        job = export_selectors.export_of_caller(self.actor, pk)
        if job is None:
            return self.refuse(404, "No such export (it may have expired or been cancelled).")
        if job.is_active:
            headers = {"X-Progress": job.progress or job.get_status_display(),
                       "Retry-After": str(exports.RETRY_AFTER_RUNNING)}
            return Response(status=status.HTTP_202_ACCEPTED, headers=headers)
        if job.status == ExportJob.Status.FAILED:
            return self.refuse(500, job.error or "The export failed.")

        def file_url(export_file):
            return request.build_absolute_uri(reverse("fhir:export-file", kwargs={"pk": job.pk,
                                                                                 "file_pk": export_file.pk}))

        manifest = export_selectors.export_manifest(job, file_url=file_url)
        return Response(manifest, headers={"Expires": job.expires_at.strftime("%a, %d %b %Y %H:%M:%S GMT")})

    def delete(self, request, pk: int):
        job = export_selectors.export_of_caller(self.actor, pk)
        if job is None:
            return self.refuse(404, "No such export (it may have expired or been cancelled).")
        exports.export_cancel(job=job)
        return Response(status=status.HTTP_202_ACCEPTED)


class ExportFileDownload(BulkView):
    """One NDJSON file of a finished export, streamed from private storage."""

    def get(self, request, pk: int, file_pk: int):
        found = export_selectors.export_file_of_caller(self.actor, pk, file_pk)
        if found is None:
            return self.refuse(404, "No such file (the export may have expired or been cancelled).")
        audit_note(request, object_id=pk, detail={"export": pk, "type": found.resource_type, "count": found.count})
        handle = exports.export_storage().open(found.name, "rb")
        response = FileResponse(handle, content_type=NDJSON)
        response["Content-Length"] = str(found.size)
        response["Cache-Control"] = "private, no-store"
        return response
