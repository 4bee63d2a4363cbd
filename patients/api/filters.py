"""Query filters of the patient-data endpoints (django-filter). Invalid values give 400 naming the parameter."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from drf_spectacular.utils import extend_schema_field

from clinic.api.filters import SearchFilter, StrictBooleanFilter
from patients.models import Assignment, Flag, Measurement, MorningCheckIn, Patient, SessionLog
from protocols.models import Condition

# Ids are BigAutoField: a larger number would crash the query (SQLite overflow, PostgreSQL out of range).
MAX_ID = 2**63 - 1


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(django_filters.NumberFilter):
    """A row id: a whole number from 1 that the database can hold. Anything else is a 400 naming the parameter."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class DateRangeFilter(django_filters.FilterSet):
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte", label="On or after this date.")
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte", label="On or before this date.")


class PatientFilter(django_filters.FilterSet):
    therapist = IdFilter(field_name="therapist", label="The therapist's user id.")
    condition = django_filters.ChoiceFilter(choices=Condition.choices)
    search = SearchFilter(method="filter_search", label="Part of the first name, last name or reference.")

    class Meta:
        model = Patient
        fields = ["therapist", "condition", "search"]

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(first_name__icontains=value) | Q(last_name__icontains=value) | Q(external_ref__icontains=value)
        )


class AssignmentFilter(django_filters.FilterSet):
    patient = IdFilter(field_name="patient")
    status = django_filters.ChoiceFilter(choices=Assignment.Status.choices)

    class Meta:
        model = Assignment
        fields = ["patient", "status"]


class SessionLogFilter(DateRangeFilter):
    patient = IdFilter(field_name="patient")
    assignment = IdFilter(field_name="exercise__assignment")
    exercise = IdFilter(field_name="exercise")
    completed = StrictBooleanFilter(field_name="completed")

    class Meta:
        model = SessionLog
        fields = ["patient", "assignment", "exercise", "completed", "date_from", "date_to"]


class CheckInFilter(DateRangeFilter):
    patient = IdFilter(field_name="patient")

    class Meta:
        model = MorningCheckIn
        fields = ["patient", "date_from", "date_to"]


class MeasurementFilter(DateRangeFilter):
    patient = IdFilter(field_name="patient")

    class Meta:
        model = Measurement
        fields = ["patient", "date_from", "date_to"]


class FlagFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Flag.Status.choices)
    unresolved = StrictBooleanFilter(method="filter_unresolved", label="true: open or acknowledged.")
    kind = django_filters.ChoiceFilter(choices=Flag.Kind.choices)
    severity = django_filters.ChoiceFilter(choices=Flag.Severity.choices)
    patient = IdFilter(field_name="patient")

    class Meta:
        model = Flag
        fields = ["status", "unresolved", "kind", "severity", "patient"]

    def filter_unresolved(self, queryset, name, value):
        if value is None:
            return queryset
        unresolved = Q(status__in=[Flag.Status.OPEN, Flag.Status.ACKNOWLEDGED])
        return queryset.filter(unresolved if value else ~unresolved)
