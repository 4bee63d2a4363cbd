"""Serializers of the clinic's own resources."""

from __future__ import annotations

from rest_framework import serializers

from clinic.api.base import ApiModelSerializer
from clinic.models import AuditEvent


class AuditEventSerializer(ApiModelSerializer):
    user = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    api_key = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = AuditEvent
        fields = ["id", "occurred_at", "clinic", "user", "api_key", "actor_role", "action", "method", "route",
                  "object_type", "object_id", "patient_id", "status_code", "ip_address", "user_agent",
                  "request_id", "detail"]
        read_only_fields = fields
