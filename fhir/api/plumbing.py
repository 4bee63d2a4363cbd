"""FHIR JSON in and out, and every error as an OperationOutcome with the right status.

The API answers `application/fhir+json` whatever the Accept header asks (JSON
is the only format; `_format=json`, `application/json` and
`application/fhir+json` are accepted, anything else is 406).
"""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.views import exception_handler

from clinic.api.parsers import JSONParser
from fhir.bundles import operation_outcome
from fhir.search import FORMATS

FHIR_JSON = "application/fhir+json"

ISSUE_CODES = {
    400: "invalid", 401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported", 406: "not-supported",
    413: "too-costly", 415: "not-supported", 429: "throttled",
}


class FHIRJSONRenderer(JSONRenderer):
    media_type = FHIR_JSON
    format = "json"


class FHIRJSONParser(JSONParser):
    """The API's size-limited JSON parser, for FHIR's media type (the API is read-only; no view reads a body)."""

    media_type = FHIR_JSON


class FHIRNegotiation(DefaultContentNegotiation):
    """Always FHIR JSON; `_format` may only ask for JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        asked = request.query_params.get("_format")
        if asked is not None and asked not in FORMATS:
            raise exceptions.NotAcceptable(f"_format must be one of {', '.join(FORMATS)}: this server answers in "
                                           "JSON only.")
        return renderers[0], renderers[0].media_type


def _text(detail) -> str:
    if isinstance(detail, dict):
        return " ".join(f"{name}: {_text(value)}" for name, value in detail.items())
    if isinstance(detail, list):
        return " ".join(_text(value) for value in detail)
    return str(detail)


def operation_outcome_handler(exc, context):
    """DRF's handling (status, WWW-Authenticate, Retry-After), with the body an OperationOutcome."""
    response = exception_handler(exc, context)
    if response is None:
        return None
    code = ISSUE_CODES.get(response.status_code, "processing")
    response.data = operation_outcome(code, _text(response.data.get("detail", response.data)
                                                  if isinstance(response.data, dict) else response.data))
    return response

