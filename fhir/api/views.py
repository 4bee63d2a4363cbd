"""The FHIR R4 read API: metadata, read, search and Patient/$everything, on DRF with FHIR JSON.

Authentication, permissions and throttling are the API's (`clinic.api`): a
clinic's API key, or a signed-in staff member or patient. Staff and keys read
the whole clinic; a patient reads what is about them (their Patient, plans,
observations and flags, and the clinic, therapist and definitions those refer
to). Anything else is not found (404), never forbidden, so an id never tells
whether it exists elsewhere. Reads of patient data tell the audit trail which
patients they contained.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from clinic.api.permissions import IsAuthenticatedActor, actor_of
from clinic.audit import audit_contained, audit_narrowed, audit_note, patient_id_of
from fhir import selectors
from fhir.api.plumbing import FHIRJSONParser, FHIRJSONRenderer, FHIRNegotiation, operation_outcome_handler
from fhir.bundles import everything, searchset
from fhir.capability import capability_statement
from fhir.registry import patient_compartment
from fhir.search import SearchError, parse_search


def base_url(request) -> str:
    """The server's base URL as the client reached it, ending in "/" (…/fhir/R4/)."""
    return request.build_absolute_uri(reverse("fhir:metadata")).removesuffix("metadata")


class FHIRView(APIView):
    renderer_classes = [FHIRJSONRenderer]
    parser_classes = [FHIRJSONParser]
    content_negotiation_class = FHIRNegotiation
    # Read-only; OPTIONS too answers 405 (DRF's own OPTIONS description is not a FHIR resource).
    http_method_names = ["get", "head"]
    # Every view only reads (other methods get 405), so API keys need no read-only check of their own here.
    permission_classes = [IsAuthenticatedActor]
    # Not in the OpenAPI schema of /api/v1/: FHIR clients learn this API from its CapabilityStatement (metadata).
    schema = None

    def get_exception_handler(self):
        return operation_outcome_handler

    @property
    def actor(self):
        return actor_of(self.request)


class MetadataView(FHIRView):
    """The CapabilityStatement: open to anyone, as FHIR clients read it before they authenticate."""

    permission_classes = [AllowAny]

    def get(self, request):
        return Response(capability_statement(base_url(request), today=timezone.now().date()))


class SearchView(FHIRView):
    fhir_type = ""

    def get(self, request):
        lenient = "handling=lenient" in request.headers.get("Prefer", "").replace(" ", "")
        try:
            query = parse_search(self.fhir_type, request.query_params, lenient=lenient)
        except SearchError as error:
            raise exceptions.ValidationError(str(error)) from error
        patients = selectors.visible_patients(self.actor)
        if query.patients:
            audit_narrowed(request, {"patient": query.patients[0]})
        page = selectors.search(self.actor.clinic, self.fhir_type, query, patients=patients)
        audit_contained(request, (patient_id_of(row) for _source, row in page.rows))
        resources = [source.to_fhir(row) for source, row in page.rows]
        return Response(searchset(base_url(request), self.fhir_type, query, page.total, resources))


class ReadView(FHIRView):
    fhir_type = ""

    def get(self, request, resource_id: str):
        found = selectors.read(self.actor.clinic, self.fhir_type, resource_id,
                               patients=selectors.visible_patients(self.actor))
        if found is None:
            raise exceptions.NotFound(f"{self.fhir_type}/{resource_id} is not known.")
        source, row = found
        audit_note(request, object_id=resource_id, patient_id=patient_id_of(row))
        return Response(source.to_fhir(row))


class EverythingView(FHIRView):
    """Patient/<id>/$everything: one Bundle of everything about the patient."""

    def get(self, request, resource_id: str):
        clinic = self.actor.clinic
        patient = None
        if resource_id.isascii() and resource_id.isdigit() and len(resource_id) <= 18:
            patient = selectors.everything_patient(clinic, int(resource_id),
                                                   patients=selectors.visible_patients(self.actor))
        if patient is None:
            raise exceptions.NotFound(f"Patient/{resource_id} is not known.")
        audit_note(request, object_id=patient.pk, patient_id=patient.pk)
        audit_contained(request, [patient.pk])
        return Response(everything(base_url(request), patient.pk, patient_compartment(clinic, patient)))


class UnknownView(FHIRView):
    """Any other address under /fhir/R4/: an OperationOutcome 404 naming what is served."""

    permission_classes = [AllowAny]

    def get(self, request, rest: str = ""):
        raise exceptions.NotFound(f"There is no FHIR endpoint at /fhir/R4/{rest}: see /fhir/R4/metadata for the "
                                  "resource types and operations this server supports.")
