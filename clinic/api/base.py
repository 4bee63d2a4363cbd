"""Base classes of API views and serializers: the one tenancy filter, UTC times."""

from __future__ import annotations

import datetime as dt

from django.db import models
from rest_framework import serializers

from clinic.api.permissions import actor_of
from clinic.audit import audit_note
from clinic.tenancy import Actor, scope_queryset


class ScopedAPIMixin:
    """Scopes `queryset` to the actor in one place; objects outside the scope are simply not found (404)."""

    queryset: models.QuerySet

    @property
    def actor(self) -> Actor:
        return actor_of(self.request)

    def get_queryset(self):
        return scope_queryset(super().get_queryset(), self.actor)

    def get_object(self):
        obj = super().get_object()
        # The audit trail records whose data this was, without another query.
        patient_id = obj.pk if obj._meta.model_name == "patient" else getattr(obj, "patient_id", None)
        audit_note(self.request, object_id=obj.pk, patient_id=patient_id)
        return obj


class UTCDateTimeField(serializers.DateTimeField):
    """Times in UTC with an explicit offset, whatever the clinic's zone."""

    def to_representation(self, value):
        if value is None:
            return None
        return value.astimezone(dt.UTC).isoformat()


class ApiModelSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: UTCDateTimeField,
    }


