"""GET /api/v1/outcomes/responses/: the clinic's submitted questionnaire responses with every scale's score.

Read-only, for staff and API keys of the clinic (scoped in one place by
ScopedAPIMixin); filter by patient, instrument and answered date; paginated
like every list; one query per page whatever its length.
"""

from __future__ import annotations

import django_filters
from rest_framework import serializers, viewsets

from clinic.api.base import ScopedAPIMixin
from clinic.api.permissions import DEFAULT_PERMISSIONS, StaffOrApiKey
from outcomes.models import QuestionnaireResponse
from patients.api.filters import IdFilter


class StoredScaleScoreSerializer(serializers.Serializer):
    scale = serializers.CharField()
    title = serializers.CharField()
    value = serializers.CharField(allow_null=True, help_text="The score as a decimal string; null when not scored.")
    reason = serializers.CharField(allow_null=True, help_text="Why the scale could not be scored.")
    answered = serializers.IntegerField()
    required = serializers.IntegerField()


class QuestionnaireResponseSerializer(serializers.ModelSerializer):
    scales = StoredScaleScoreSerializer(source="scores.scales", many=True, read_only=True)
    protocol_name = serializers.CharField(source="assignment.protocol_name", read_only=True, default=None)

    class Meta:
        model = QuestionnaireResponse
        fields = ["id", "patient", "assignment", "protocol_name", "instrument_id", "instrument_version", "due_date",
                  "answered_on", "submitted_at", "answers", "activities", "primary_score", "scales"]
        read_only_fields = fields


class QuestionnaireResponseFilter(django_filters.FilterSet):
    patient = IdFilter(field_name="patient")
    instrument = django_filters.CharFilter(field_name="instrument_id", max_length=40)
    answered_from = django_filters.DateFilter(field_name="answered_on", lookup_expr="gte")
    answered_to = django_filters.DateFilter(field_name="answered_on", lookup_expr="lte")

    class Meta:
        model = QuestionnaireResponse
        fields = ["patient", "instrument", "answered_from", "answered_to"]


class QuestionnaireResponseViewSet(ScopedAPIMixin, viewsets.ReadOnlyModelViewSet):
    """Submitted questionnaire responses: answers, the instrument version, and every scale's score or reason."""

    queryset = (QuestionnaireResponse.objects.filter(status=QuestionnaireResponse.Status.SUBMITTED)
                .select_related("assignment").order_by("-submitted_at", "-id"))
    serializer_class = QuestionnaireResponseSerializer
    permission_classes = [*DEFAULT_PERMISSIONS, StaffOrApiKey]
    filterset_class = QuestionnaireResponseFilter
