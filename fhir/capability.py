"""The CapabilityStatement of `GET /fhir/R4/metadata`, generated from the registry and the search parameters.

What it lists is what the routes serve (one read and one search route per
type in `fhir.registry.FHIR_TYPES`) and what the parser accepts
(`fhir.search.search_params`): the two cannot drift apart
(fhir/tests/api/test_metadata.py checks both ways).
"""

from __future__ import annotations

import datetime as dt

from fhir.registry import FHIR_TYPES
from fhir.search import DEFAULT_COUNT, MAX_COUNT, search_params

EVERYTHING = "http://hl7.org/fhir/OperationDefinition/Patient-everything"
# Operations per type (besides read and search-type). Bulk Data's $export adds its own at system level.
TYPE_OPERATIONS = {"Patient": [{"name": "everything", "definition": EVERYTHING}]}
# Bulk Data Access IG v2 (fhir/export_views.py). Group/<id>/$export (a therapist's caseload) is served too; Group
# has no read or search route, so it is not listed as a resource.
SYSTEM_OPERATIONS: list[dict] = [
    {"name": "export", "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export"},
]


def capability_statement(base: str, *, today: dt.date) -> dict:
    """`base` is the server's base URL ending in "/"."""
    resources = []
    for fhir_type in FHIR_TYPES:
        resource = {
            "type": fhir_type,
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "searchParam": [{"name": p.name, "type": p.type, "documentation": p.documentation}
                            for p in search_params(fhir_type)],
        }
        if fhir_type in TYPE_OPERATIONS:
            resource["operation"] = TYPE_OPERATIONS[fhir_type]
        resources.append(resource)
    rest = {
        "mode": "server",
        "documentation": (f"Read-only. Paging with _count (default {DEFAULT_COUNT}, at most {MAX_COUNT}; 0 gives "
                          "the total only) and _offset; the Bundle's next and previous links carry both. Unknown "
                          "search parameters are refused (400) unless the request says Prefer: handling=lenient."),
        "security": {"description": "Send 'Authorization: Api-Key <key>' (a clinic's read-only key) or use a "
                                    "signed-in Backstep session. Every read of patient data is audited."},
        "resource": resources,
    }
    if SYSTEM_OPERATIONS:
        rest["operation"] = SYSTEM_OPERATIONS
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": today.isoformat(),
        "publisher": "Backstep",
        "kind": "instance",
        "software": {"name": "Backstep"},
        "implementation": {"description": "Backstep FHIR R4 read API", "url": base.rstrip("/")},
        "fhirVersion": "4.0.1",
        "format": ["json", "application/fhir+json"],
        "rest": [rest],
    }
