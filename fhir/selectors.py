"""Reads of the FHIR API: one resource, a page of a search, the patient a $everything is about.

Who may see what is decided once, in `visible_patients`: staff and API keys
see the whole clinic (None), a signed-in patient only themselves. Every read
goes through the registry's clinic-scoped `rows()`, narrowed to those
patients, so another clinic's or another patient's row is simply not found.

A search page costs a fixed number of queries whatever its size: one count
per source of the type, then at most one fetch (and its prefetches) per
source that the page reaches.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import F, Func, IntegerField, Q, QuerySet, Subquery

from clinic.models import Clinic
from clinic.tenancy import Actor
from fhir.mappings.common import canonical, patient_identifier_system
from fhir.registry import FHIR_TYPES, RESOURCE_TYPES, Period, ResourceType
from fhir.search import Comparison, SearchQuery
from patients.models import Patient

_LOOKUPS = {"eq": "exact", "ge": "gte", "gt": "gt", "le": "lte", "lt": "lt"}


def visible_patients(actor: Actor) -> list[int] | None:
    """The patients whose data the actor may read: None for the whole clinic (staff, API keys)."""
    return [actor.patient.pk] if actor.is_patient else None


def _narrowed(visible: list[int] | None, asked: list[int] | None) -> list[int] | None:
    if asked is None:
        return visible
    return asked if visible is None else [pk for pk in asked if pk in visible]


def read(clinic: Clinic, fhir_type: str, fhir_id: str, *, patients: list[int] | None):
    """(source, row) of the resource `fhir_type`/`fhir_id` the caller may see, or None."""
    for source in FHIR_TYPES.get(fhir_type, ()):
        condition = source.where_id([fhir_id])
        if condition is not None:
            row = source.rows(clinic, patient_ids=patients).filter(condition).first()
            if row is not None:
                return source, row
    return None


def everything_patient(clinic: Clinic, pk: int, *, patients: list[int] | None) -> Patient | None:
    """The patient a $everything asks for, when the caller may see them."""
    source = RESOURCE_TYPES["Patient"]
    return source.rows(clinic, patient_ids=patients).filter(pk=pk).first()


def _point(field: str, comparison: Comparison, *, on_date: bool) -> Q:
    lookup = f"{field}__date" if on_date else field
    return Q(**{f"{lookup}__{_LOOKUPS[comparison.prefix]}": comparison.value})


def _date_condition(period: Period, comparison: Comparison) -> Q:
    """Rows whose date (or period) meets `comparison`; an open period (no end) goes on."""
    if period.end is None:
        return _point(period.start, comparison, on_date=period.datetime)
    prefix, value = comparison.prefix, comparison.value
    still_going = Q(**{f"{period.end}__isnull": True})
    ends_after = still_going | _point(period.end, Comparison("ge" if prefix in ("eq", "ge") else "gt", value),
                                      on_date=period.datetime)
    starts_before = _point(period.start, Comparison("le" if prefix in ("eq", "le") else "lt", value),
                           on_date=period.datetime)
    if prefix in ("ge", "gt"):
        return ends_after
    if prefix in ("le", "lt"):
        return starts_before
    return ends_after & starts_before


def _updated_condition(comparison: Comparison) -> Q:
    """`_lastUpdated`: an instant compares as it is; a date is the UTC day."""
    value = comparison.value
    if isinstance(value, dt.datetime):
        return Q(**{f"fhir_last_updated__{_LOOKUPS[comparison.prefix]}": value})
    day = dt.datetime.combine(value, dt.time(), tzinfo=dt.UTC)
    after = day + dt.timedelta(days=1)
    return {
        "eq": Q(fhir_last_updated__gte=day, fhir_last_updated__lt=after),
        "ge": Q(fhir_last_updated__gte=day),
        "gt": Q(fhir_last_updated__gte=after),
        "le": Q(fhir_last_updated__lt=after),
        "lt": Q(fhir_last_updated__lt=day),
    }[comparison.prefix]


def _emits(source: ResourceType, codes: list[tuple[str | None, str]]) -> bool:
    for system, code in source.codes:
        system = system if "://" in system else canonical(system)
        if any(code == wanted and asked in (None, "", system) for asked, wanted in codes):
            return True
    return False


def _filtered(source: ResourceType, clinic: Clinic, query: SearchQuery, patients: list[int] | None) -> QuerySet | None:
    """The source's rows matching the search; None when the source cannot match (no query needed)."""
    if query.codes and not _emits(source, query.codes):
        return None
    rows = source.rows(clinic, patient_ids=patients)
    if query.ids:
        condition = source.where_id(query.ids)
        if condition is None:
            return None
        rows = rows.filter(condition)
    if query.identifiers:
        system = patient_identifier_system(clinic.slug)
        values = [value for asked, value in query.identifiers if asked in (None, "", system)]
        rows = rows.filter(**{f"{source.identifier_field}__in": values})
    for comparison in query.dates:
        rows = rows.filter(_date_condition(source.period, comparison))
    for comparison in query.last_updated:
        rows = rows.filter(_updated_condition(comparison))
    return rows


def _counts(clinic: Clinic, querysets: list[QuerySet]) -> list[int]:
    """How many rows each queryset has, in one query whatever the number of sources (a subquery each)."""
    if len(querysets) <= 1:
        return [rows.count() for rows in querysets]
    counted = {f"n{index}": Subquery(rows.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n"),
                                     output_field=IntegerField())
               for index, rows in enumerate(querysets)}
    row = Clinic.objects.filter(pk=clinic.pk).annotate(**counted).values(*counted).get()
    return [row[f"n{index}"] or 0 for index in range(len(querysets))]


@dataclass(frozen=True)
class SearchPage:
    total: int
    rows: list[tuple[ResourceType, object]]


def search(clinic: Clinic, fhir_type: str, query: SearchQuery, *, patients: list[int] | None) -> SearchPage:
    """One page of a search: the sources of the type one after another, each by pk."""
    patients = _narrowed(patients, query.patients)
    matching = [(source, rows) for source in FHIR_TYPES[fhir_type]
                if (rows := _filtered(source, clinic, query, patients)) is not None]
    counts = _counts(clinic, [rows for _source, rows in matching])
    page: list[tuple[ResourceType, object]] = []
    skip, room = query.offset, query.count
    for (source, rows), count in zip(matching, counts, strict=True):
        if room <= 0:
            break
        if skip >= count:
            skip -= count
            continue
        found = list(rows[skip:skip + room])
        page += [(source, row) for row in found]
        room -= len(found)
        skip = 0
    return SearchPage(total=sum(counts), rows=page)
