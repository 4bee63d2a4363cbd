"""Serializers of the clinic's own resources."""

from __future__ import annotations

from rest_framework import serializers

from clinic.api.base import ApiModelSerializer
from clinic.models import AuditEvent


class AuditEventSerializer(ApiModelSerializer):
    user = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    api_key = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    label = serializers.CharField(read_only=True, help_text=(
        'What happened, in words: "viewed a patient page", "logged a session"; a refused write (status 4xx) '
        'reads "tried to …, refused".'))
    patient_ids = serializers.SerializerMethodField(help_text=(
        f"Lists: the patients the response contained, the first {AuditEvent.PATIENTS_KEPT} of them."))
    patient_count = serializers.IntegerField(read_only=True, allow_null=True, help_text=(
        "Lists: how many patients the response contained (null for anything but a list)."))
    query = serializers.DictField(read_only=True, help_text=(
        "Lists: the filters that narrowed it. A search term is kept as its length only "
        '({"length": n}); a patient filter naming a patient the caller may not see as {"not_visible": true}.'))

    class Meta:
        model = AuditEvent
        fields = ["id", "occurred_at", "clinic", "user", "api_key", "actor_role", "action", "label", "method",
                  "route", "object_type", "object_id", "patient_id", "patient_ids", "patient_count", "query",
                  "status_code", "ip_address", "user_agent", "request_id", "detail"]
        read_only_fields = fields

    def get_patient_ids(self, event: AuditEvent) -> list[int]:
        return [row.patient_id for row in event.patients.all()]  # prefetched by the view
