"""The OpenAPI schema says which errors each operation can answer, and in what shape.

drf-spectacular documents the success responses it sees in the views; the
errors come from code every view shares (authentication, permissions,
throttling, parsing, pagination), so they are added here, once, by a
postprocessing hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]). Clients can
then rely on the documented status codes, and schema tests hold the API to them.
"""

from __future__ import annotations

ERROR = {
    "type": "object",
    "description": "What went wrong, in words a person can act on.",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
VALIDATION_ERROR = {
    "type": "object",
    "description": (
        'The request was refused: a list of messages for each field that was wrong, keyed by the field\'s name '
        '(nested for nested objects), or {"detail": ...} when the body as a whole could not be read.'
    ),
    "additionalProperties": {},
}
WRITE_METHODS = {"post", "put", "patch", "delete"}


def _header(description: str) -> dict:
    return {"schema": {"type": "string"}, "description": description, "required": True}


def _content(media_types: list[str], schema_name: str) -> dict:
    content = {}
    for media_type in media_types:
        if media_type == "application/json":
            content[media_type] = {"schema": {"$ref": f"#/components/schemas/{schema_name}"}}
        else:  # e.g. the adherence report's CSV: the error is rendered in that format
            content[media_type] = {"schema": {"type": "string"}}
    return content


def _error_responses(method: str, operation: dict) -> dict[str, dict]:
    """The errors shared code can answer for this operation, by status code."""
    media_types = sorted({
        media_type
        for status, response in operation.get("responses", {}).items() if status.startswith("2")
        for media_type in response.get("content", {})
    } | {"application/json"})
    has_body = "requestBody" in operation
    has_query = any(p.get("in") == "query" for p in operation.get("parameters", []))
    errors = {
        "401": {
            "description": "No credentials, or a bad, expired or revoked API key.",
            "headers": {"WWW-Authenticate": _header('How to authenticate: "Api-Key".')},
            "content": _content(media_types, "Error"),
        },
        "403": {
            "description": "Signed in, but this role may not do this (or the CSRF token is missing).",
            "content": _content(media_types, "Error"),
        },
        "404": {
            "description": "No such object for you (other clinics' and patients' objects are never found), "
                           "or no such page.",
            "content": _content(media_types, "Error"),
        },
        "429": {
            "description": "Too many requests with this API key: wait as long as Retry-After says.",
            "headers": {"Retry-After": _header("Seconds to wait before trying again.")},
            "content": _content(media_types, "Error"),
        },
    }
    if has_body or has_query or method in WRITE_METHODS:
        errors["400"] = {
            "description": "Invalid input: the problems, by field.",
            "content": _content(media_types, "ValidationError"),
        }
    if has_body or method in WRITE_METHODS:
        errors["413"] = {
            "description": "The request body is larger than the API accepts.",
            "content": _content(media_types, "Error"),
        }
        errors["415"] = {
            "description": "The body is not JSON: send Content-Type: application/json.",
            "content": _content(media_types, "Error"),
        }
    return errors


def document_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: add the shared error responses to every operation.

    Optional query parameters are marked allowEmptyValue: every filter reads an
    empty value as "not set".

    A response a view documents itself (e.g. 400 of the progression simulator,
    409 of sessions) is kept as it is.
    """
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Error", ERROR)
    schemas.setdefault("ValidationError", VALIDATION_ERROR)
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query" and not parameter.get("required"):
                    # As in an HTML form, "?date_from=" means the filter is not set, not an invalid date.
                    parameter["allowEmptyValue"] = True
            for status, response in _error_responses(method, operation).items():
                operation["responses"].setdefault(status, response)
    return result
