"""Query filters of the library and protocol endpoints."""

from __future__ import annotations

import django_filters

from clinic.api.filters import StrictBooleanFilter
from protocols.models import Condition, ExerciseKind, ExerciseTemplate, Protocol


class BuiltinFilterMixin(django_filters.FilterSet):
    builtin = StrictBooleanFilter(
        field_name="clinic", lookup_expr="isnull", label="true: Backstep's built-ins only; false: your clinic's own."
    )


class ExerciseTemplateFilter(BuiltinFilterMixin):
    kind = django_filters.ChoiceFilter(choices=ExerciseKind.choices)

    class Meta:
        model = ExerciseTemplate
        fields = ["kind", "builtin"]


class ProtocolFilter(BuiltinFilterMixin):
    condition = django_filters.ChoiceFilter(choices=Condition.choices)
    archived = StrictBooleanFilter(field_name="is_archived")

    class Meta:
        model = Protocol
        fields = ["condition", "archived", "builtin"]
