"""Bundles and OperationOutcomes: the envelopes of the FHIR API's answers (pure; no models, no requests)."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlencode

from fhir.search import SearchQuery


def operation_outcome(code: str, text: str, *, severity: str = "error") -> dict:
    """One issue: `code` from FHIR's issue-type codes (invalid, not-found, forbidden, login, ...)."""
    return {"resourceType": "OperationOutcome",
            "issue": [{"severity": severity, "code": code, "diagnostics": text, "details": {"text": text}}]}


def _entry(base: str, resource: dict) -> dict:
    return {"fullUrl": f"{base}{resource['resourceType']}/{resource['id']}", "resource": resource,
            "search": {"mode": "match"}}


def _page_link(base: str, fhir_type: str, query: SearchQuery, offset: int) -> str:
    params = [*query.kept, ("_count", str(query.count)), ("_offset", str(offset))]
    return f"{base}{fhir_type}?{urlencode(params)}"


def searchset(base: str, fhir_type: str, query: SearchQuery, total: int, resources: Iterable[dict]) -> dict:
    """A searchset Bundle of one page, with `self`, `first` and, where there are, `previous` and `next` links.

    `base` is the server's base URL ending in "/" (…/fhir/R4/).
    """
    links = [{"relation": "self", "url": _page_link(base, fhir_type, query, query.offset)},
             {"relation": "first", "url": _page_link(base, fhir_type, query, 0)}]
    if query.offset > 0 and query.count > 0:
        links.append({"relation": "previous",
                      "url": _page_link(base, fhir_type, query, max(0, query.offset - query.count))})
    if query.count > 0 and query.offset + query.count < total:
        links.append({"relation": "next", "url": _page_link(base, fhir_type, query, query.offset + query.count)})
    return {"resourceType": "Bundle", "type": "searchset", "total": total, "link": links,
            "entry": [_entry(base, resource) for resource in resources]}


def everything(base: str, patient_id: int, resources: Iterable[dict]) -> dict:
    """The one Bundle of Patient/<id>/$everything: every resource about the patient (searchset, all matches)."""
    entries = [_entry(base, resource) for resource in resources]
    return {"resourceType": "Bundle", "type": "searchset", "total": len(entries),
            "link": [{"relation": "self", "url": f"{base}Patient/{patient_id}/$everything"}], "entry": entries}
