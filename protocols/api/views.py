from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from clinic.api.permissions import DEFAULT_PERMISSIONS, StaffOnly
from protocols.simulator import simulate


class ProgressionSimulateView(APIView):
    """Run the progression engine on JSON input, without touching any patient data.

    An object gives one decision (400 with the offending field when invalid);
    an array gives an array where each invalid item is replaced by
    {"error": {"field": ..., "message": ...}}.
    """

    permission_classes = [*DEFAULT_PERMISSIONS, StaffOnly]

    @extend_schema(
        request={"application/json": {"type": "object"}},
        responses={200: {"type": "object"}, 400: {"type": "object"}},
        examples=[OpenApiExample("Two green sessions", value={"condition": "pfp", "today": "2026-09-10"})],
    )
    def post(self, request):
        data = request.data
        if isinstance(data, list):
            return Response(simulate(data))
        result = simulate(data)
        if "error" in result:
            error = result["error"]
            return Response({**result, error["field"]: [error["message"]]}, status=status.HTTP_400_BAD_REQUEST)
        return Response(result)
