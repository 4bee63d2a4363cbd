"""The outcomes API: scoring answers without storing anything."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from clinic.api.permissions import IsAuthenticatedActor, StaffOrApiKey
from outcomes.api.serializers import ScoreRequestSerializer, ScoreSetSerializer


class ScoreView(APIView):
    """Score a questionnaire: every scale's score, or the reason it cannot be scored. Writes nothing.

    Clinic staff and API keys (a POST that stores nothing, so a read-only key may use it). Rules:
    outcomes.md via `outcomes.scoring`; an unknown instrument, item or value is a 400 naming it.
    """

    # Not ApiKeysReadOnly: this POST reads no data and writes none, like a calculator.
    permission_classes = [IsAuthenticatedActor, StaffOrApiKey]

    @extend_schema(
        request=ScoreRequestSerializer, responses={200: ScoreSetSerializer},
        examples=[OpenApiExample("SANE", request_only=True, value={"instrument": "sane", "answers": {"SANE": 70}}),
                  OpenApiExample("KOOS-12, two scales", request_only=True, value={
                      "instrument": "koos-12", "answers": {"P1": 1, "P2": 1, "P3": 2, "P4": 2, "F1": 0, "F2": 0}})],
    )
    def post(self, request):
        serializer = ScoreRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(serializer.validated_data["score_set"].as_dict())
