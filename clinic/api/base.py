"""Base classes of API views and serializers: the one tenancy filter, UTC times."""

from __future__ import annotations

import datetime as dt

from django.db import models
from rest_framework import serializers

from clinic.api.permissions import actor_of
from clinic.audit import audit_contained, audit_note, patient_id_of
from clinic.tenancy import Actor, scope_queryset
from protocols.wording import level_number


class ScopedAPIMixin:
    """Scopes `queryset` to the actor in one place; objects outside the scope are simply not found (404).

    Also tells the audit trail whose data a response held: the patient of
    each object fetched, and the patients on each page of a list.
    """

    queryset: models.QuerySet

    @property
    def actor(self) -> Actor:
        return actor_of(self.request)

    def get_queryset(self):
        return scope_queryset(super().get_queryset(), self.actor)

    def get_object(self):
        obj = super().get_object()
        # The audit trail records whose data this was, without another query.
        audit_note(self.request, object_id=obj.pk, patient_id=patient_id_of(obj))
        return obj

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if page is not None:
            number = getattr(getattr(self.paginator, "page", None), "number", None)
            audit_contained(self.request, (patient_id_of(row) for row in page), page=number)
        return page


class UTCDateTimeField(serializers.DateTimeField):
    """Times in UTC with an explicit offset, whatever the clinic's zone."""

    def to_representation(self, value):
        if value is None:
            return None
        return value.astimezone(dt.UTC).isoformat()


class LevelField(serializers.IntegerField):
    """A 0-based ladder index given as the level people read, counted from 1 (index 0 is level 1). Read-only."""

    def __init__(self, *, source: str, help_text: str = "", **kwargs):
        help_text = help_text or f"The level people read, counted from 1 (= `{source}` + 1); null without a ladder."
        super().__init__(source=source, read_only=True, allow_null=True, min_value=1, help_text=help_text, **kwargs)

    def to_representation(self, value):
        return level_number(value)


# The base of every 0-based ladder index in the API, said the same way in the schema.
ZERO_BASED = "counted from 0 (0 = the easiest step)"


def _json_type(value) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object" if isinstance(value, dict) else "something else"


def _expected_json_type(field) -> tuple[str, object] | None:
    """What a JSON value for `field` must be, as (words, test); None when the field checks it well itself."""
    if isinstance(field, serializers.ListSerializer | serializers.ListField | serializers.ManyRelatedField):
        return "a list", lambda v: isinstance(v, list)
    if isinstance(field, serializers.BaseSerializer | serializers.DictField):
        return "an object", lambda v: isinstance(v, dict)
    if isinstance(field, serializers.BooleanField):
        return "true or false", lambda v: isinstance(v, bool)
    if isinstance(field, serializers.IntegerField | serializers.PrimaryKeyRelatedField):
        # 3.0 is a whole number in JSON too.
        return "a whole number", lambda v: not isinstance(v, bool) and (
            isinstance(v, int) or (isinstance(v, float) and v.is_integer()))
    if isinstance(field, serializers.DecimalField) and field.coerce_to_string:
        return None  # documented as a string; DRF takes a number as well
    if isinstance(field, serializers.FloatField | serializers.DecimalField):
        return "a number", lambda v: not isinstance(v, bool) and isinstance(v, int | float)
    if isinstance(field, serializers.MultipleChoiceField):
        return "a list", lambda v: isinstance(v, list)
    if isinstance(field, serializers.ChoiceField):
        kinds = {type(choice) for choice in field.choices}
        if kinds == {str}:
            return "a string", lambda v: isinstance(v, str)
        return None
    if isinstance(field, serializers.CharField | serializers.UUIDField | serializers.DateField
                  | serializers.DateTimeField | serializers.TimeField | serializers.DurationField):
        return "a string", lambda v: isinstance(v, str)
    return None


class StrictJSONTypesMixin:
    """JSON values must have the type the schema documents: "5" is not a number, 5 is not a string.

    DRF converts between them quietly; refusing them, with the field named,
    keeps what is stored what the client meant, and the API true to its schema.
    null is left to each field (allow_null).
    """

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            return super().to_internal_value(data)
        errors = {}
        for field in self._writable_fields:
            value = data.get(field.field_name)
            expected = _expected_json_type(field) if value is not None else None
            if expected is not None and not expected[1](value):
                errors[field.field_name] = [f"Expected {expected[0]}, not {_json_type(value)}."]
        if not errors:
            return super().to_internal_value(data)
        # Report the other fields' problems too, in one answer.
        try:
            super().to_internal_value({name: value for name, value in data.items() if name not in errors})
        except serializers.ValidationError as other:
            if isinstance(other.detail, dict):
                errors = {**other.detail, **errors}
        raise serializers.ValidationError(errors)


class ApiSerializer(StrictJSONTypesMixin, serializers.Serializer):
    """A plain serializer of a JSON request body."""


class ApiModelSerializer(StrictJSONTypesMixin, serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: UTCDateTimeField,
    }


