"""Query filter pieces shared by the API's filtersets."""

from __future__ import annotations

import django_filters
from django import forms
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema_field

from clinic.audit import audit_filterset
from clinic.search import SEARCH_TERM_MAX_LENGTH, SearchTermField


class StrictBooleanField(forms.Field):
    """`true` or `false`, as the schema documents; empty means "no filter". Anything else is an error.

    django-filter's own boolean field reads unknown words ("null", "maybe") as
    "no filter", so a typo silently returned everything.
    """

    default_error_messages = {"invalid": 'Must be "true" or "false".'}

    def to_python(self, value):
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            return value
        if value in ("true", "false"):
            return value == "true"
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")

    def validate(self, value):
        """None (absent) is allowed: the filter is optional."""


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, telling the audit trail which filters narrowed a list (the API's only backend)."""

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            audit_filterset(request, filterset)
        return filterset


# Unicode category Cc is exactly U+0000-U+001F and U+007F-U+009F: the schema states what the field refuses.
@extend_schema_field({"type": "string", "maxLength": SEARCH_TERM_MAX_LENGTH, "pattern": "^[^\\x00-\\x1f\\x7f-\\x9f]*$"})
class SearchFilter(django_filters.CharFilter):
    """A search term checked as on the list pages (clinic.search): control characters are a 400 naming it."""

    field_class = SearchTermField
