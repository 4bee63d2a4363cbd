"""The FHIR search parameters Backstep supports, and the parsing of a search's query string.

Which parameters a type takes follows from the registry (`search_params`):
every type takes `_id` and `_lastUpdated`; a type whose rows are about one
patient takes `patient`; a type whose sources have a place in time (`Period`)
takes `date`; a type whose sources emit known codes takes `code`. The
CapabilityStatement is generated from the same function, so it cannot say
more or less than the parser accepts.

Result parameters: `_count` (page size, default 50, larger values are cut to
200; `_count=0` answers the total only), `_offset` (where the page starts; the
`next` and `previous` links carry it) and `_format` (json only).

An unknown parameter is refused (400) unless the request says `Prefer:
handling=lenient`, in which case it is ignored and left out of the `self`
link, as the FHIR search specification allows.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from django.utils.dateparse import parse_datetime

from fhir.registry import FHIR_TYPES

DEFAULT_COUNT = 50
MAX_COUNT = 200
MAX_OFFSET = 1_000_000
FORMATS = ("json", "application/json", "application/fhir+json")
RESULT_PARAMS = ("_count", "_offset", "_format")
PREFIXES = ("eq", "ge", "gt", "le", "lt")
_DATE = re.compile(r"^(eq|ge|gt|le|lt)?(\d{4}-\d{2}-\d{2})$")
_INSTANT = re.compile(r"^(eq|ge|gt|le|lt)?(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))$")


class SearchError(ValueError):
    """A search the server cannot answer as asked (400): the message names the parameter and what it takes."""


@dataclass(frozen=True)
class SearchParam:
    name: str
    type: str  # FHIR search parameter type: token, date, reference
    documentation: str


ID = SearchParam("_id", "token", "The resource's id; several separated by commas.")
LAST_UPDATED = SearchParam(
    "_lastUpdated", "date",
    "When the resource last changed, with a prefix ge, gt, le, lt or eq, as a date (YYYY-MM-DD, UTC days) or an "
    "instant with its offset; repeat it for a range.")
PATIENT = SearchParam("patient", "reference", "The patient it is about: Patient/<id> or <id>; several by commas.")
DATE = SearchParam("date", "date",
                   "The date it happened (Observation: effective date, a questionnaire score's is when it was "
                   "submitted; QuestionnaireResponse: authored; CarePlan, Flag: the period overlaps), with a prefix "
                   "ge, gt, le, lt or eq, as YYYY-MM-DD; repeat it for a range.")
IDENTIFIER = SearchParam("identifier", "token",
                         "The clinic's own reference, as system|value (the system is the clinic's, see the Patient's "
                         "identifier) or value alone; several separated by commas.")
CODE = SearchParam("code", "token", "Its code, as system|code or code alone; several separated by commas.")


def search_params(fhir_type: str) -> tuple[SearchParam, ...]:
    """The search parameters of one FHIR type, derived from its sources in the registry."""
    sources = FHIR_TYPES[fhir_type]
    params = [ID, LAST_UPDATED]
    if all(source.for_patients is None and source.name != "Patient" for source in sources):
        params.append(PATIENT)
    if all(source.period is not None for source in sources):
        params.append(DATE)
    if all(source.codes for source in sources):
        params.append(CODE)
    if all(source.identifier_field for source in sources):
        params.append(IDENTIFIER)
    return tuple(params)


@dataclass(frozen=True)
class Comparison:
    prefix: str
    value: dt.date | dt.datetime


@dataclass
class SearchQuery:
    """A parsed search: every filter, the page asked for, and the parameters to repeat in paging links."""

    ids: list[str] = field(default_factory=list)
    patients: list[int] | None = None
    dates: list[Comparison] = field(default_factory=list)
    last_updated: list[Comparison] = field(default_factory=list)
    codes: list[tuple[str | None, str]] = field(default_factory=list)
    identifiers: list[tuple[str | None, str]] = field(default_factory=list)
    count: int = DEFAULT_COUNT
    offset: int = 0
    kept: list[tuple[str, str]] = field(default_factory=list)  # (name, value) of the filters, for the links


def _whole_number(name: str, raw: str, *, high: int) -> int:
    if not (raw.isascii() and raw.isdigit()) or int(raw) > high:
        raise SearchError(f"{name} must be a whole number from 0 to {high}, not {raw!r}.")
    return int(raw)


def _date(name: str, raw: str, *, instants: bool) -> Comparison:
    match = _DATE.match(raw)
    if match:
        try:
            return Comparison(match.group(1) or "eq", dt.date.fromisoformat(match.group(2)))
        except ValueError:
            pass
    match = _INSTANT.match(raw) if instants else None
    moment = parse_datetime(match.group(2).replace("Z", "+00:00")) if match else None
    if moment is not None:
        return Comparison(match.group(1) or "eq", moment)
    form = "YYYY-MM-DD or an instant with its offset (2026-03-01T08:00:00Z)" if instants else "YYYY-MM-DD"
    raise SearchError(f"{name} must be a date, optionally after a prefix {', '.join(PREFIXES)}: {form}; "
                      f"not {raw!r}.")


def _patients(raw: str) -> list[int]:
    patients = []
    for part in raw.split(","):
        digits = part.removeprefix("Patient/")
        if not (digits.isascii() and digits.isdigit() and len(digits) <= 18):
            raise SearchError(f"patient must be Patient/<id> or <id> (several by commas), not {part!r}.")
        patients.append(int(digits))
    return patients


def _codes(raw: str, *, name: str = "code") -> list[tuple[str | None, str]]:
    codes = []
    for part in raw.split(","):
        system, bar, code = part.rpartition("|")
        if not code:
            raise SearchError(f"{name} must be system|{name if name == 'code' else 'value'} or "
                              f"{name if name == 'code' else 'value'}, not {part!r}.")
        codes.append((system if bar else None, code))
    return codes


def parse_search(fhir_type: str, params, *, lenient: bool = False) -> SearchQuery:
    """Parse a search's query string (a QueryDict) for `fhir_type`; SearchError for what cannot be answered."""
    allowed = {param.name for param in search_params(fhir_type)}
    query = SearchQuery()
    for name in params:
        values = params.getlist(name)
        if name not in allowed and name not in RESULT_PARAMS:
            if lenient:
                continue
            raise SearchError(f"{fhir_type} has no search parameter {name!r}; it takes "
                              f"{', '.join(sorted(allowed | set(RESULT_PARAMS)))}.")
        for raw in values:
            _apply(query, name, raw.strip())
    return query


def _apply(query: SearchQuery, name: str, raw: str) -> None:
    if name == "_format":
        if raw not in FORMATS:
            raise SearchError(f"_format must be one of {', '.join(FORMATS)}: this server answers in JSON only.")
        return
    if name == "_count":
        query.count = min(_whole_number(name, raw, high=10**6), MAX_COUNT)
        return
    if name == "_offset":
        query.offset = _whole_number(name, raw, high=MAX_OFFSET)
        return
    if not raw:
        raise SearchError(f"{name} needs a value.")
    if name == "_id":
        query.ids += [part for part in raw.split(",") if part]
    elif name == "patient":
        query.patients = sorted(set(query.patients or []) | set(_patients(raw)))
    elif name == "date":
        query.dates.append(_date(name, raw, instants=False))
    elif name == "_lastUpdated":
        query.last_updated.append(_date(name, raw, instants=True))
    elif name == "code":
        query.codes += _codes(raw)
    elif name == "identifier":
        query.identifiers += _codes(raw, name="identifier")
    query.kept.append((name, raw))

