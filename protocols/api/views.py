from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from clinic.api.base import ScopedAPIMixin
from clinic.api.permissions import DEFAULT_PERMISSIONS, StaffOnly, StaffOrApiKey
from protocols import services
from protocols.api.filters import ExerciseTemplateFilter, ProtocolFilter
from protocols.api.serializers import (
    ExerciseTemplateSerializer,
    ProtocolCloneSerializer,
    ProtocolPhasesSerializer,
    ProtocolSerializer,
)
from protocols.models import ExerciseTemplate, LadderStep, Phase, PrescribedExercise, Protocol
from protocols.simulator import simulate


class ProgressionSimulateView(APIView):
    """Run the progression engine on JSON input (rules v1.1), without touching any patient data.

    The optional `training_days` (every date with a completed session of the
    plan) is what F1 counts when given, as in the checks.

    An object gives one decision (400 with the offending field when invalid);
    an array gives an array where each invalid item is replaced by
    {"error": {"field": ..., "message": ...}}.

    Ladder indexes in and out (`current_step`, `next_step`, each session's `step`) are counted from 0
    (0 = the easiest step), as in progression-rules.md; the `reasons` and flag `reason` texts are for people
    and count levels from 1 ("level 1 of 9" is index 0).
    """

    permission_classes = [*DEFAULT_PERMISSIONS, StaffOnly]

    @extend_schema(
        # One input object, or an array of them (each item any JSON value: invalid items become errors).
        request={"application/json": {"oneOf": [{"type": "object"}, {"type": "array", "items": {}}]}},
        responses={200: {"oneOf": [{"type": "object"}, {"type": "array", "items": {"type": "object"}}]},
                   400: {"type": "object"}},
        examples=[OpenApiExample("Two green sessions", request_only=True, value={
            "condition": "pfp", "today": "2026-09-10", "baseline_pain": 1, "frequency_per_week": 3,
            "ladder": [{"speed_kmh": 2.5, "incline_pct": 0, "duration_min": 10},
                       {"speed_kmh": 2.5, "incline_pct": 2.5, "duration_min": 10}],
            "current_step": 0,
            "sessions": [{"date": "2026-09-08", "step": 0, "pain_during": 2, "pain_after": 1},
                         {"date": "2026-09-09", "step": 0, "pain_during": 1, "pain_after": 1}],
            "training_days": ["2026-09-05", "2026-09-08", "2026-09-09"],
        })],
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


# ---------------------------------------------------------------------------
# Exercise library and protocols
# ---------------------------------------------------------------------------


class BuiltinsReadOnly(permissions.BasePermission):
    """Built-in rows are Backstep's library: every clinic reads them, none edits them (clone instead)."""

    message = "Built-in protocols are read-only: clone one to edit it."

    def has_object_permission(self, request, view, obj) -> bool:
        return request.method in permissions.SAFE_METHODS or view.action == "clone" or not obj.is_builtin


class ExerciseTemplateViewSet(ScopedAPIMixin, viewsets.ReadOnlyModelViewSet):
    """Exercise templates: Backstep's built-in library and the clinic's own. Staff and API keys."""

    queryset = ExerciseTemplate.objects.all()
    serializer_class = ExerciseTemplateSerializer
    permission_classes = [*DEFAULT_PERMISSIONS, StaffOrApiKey]
    filterset_class = ExerciseTemplateFilter


@extend_schema_view(
    create=extend_schema(description="Start a protocol of your clinic (the clinic comes from your account)."),
    update=extend_schema(description="Change the details of your clinic's protocol. Built-ins are read-only (403)."),
    partial_update=extend_schema(description="Change some details of your clinic's protocol. Built-ins: 403."),
)
class ProtocolViewSet(ScopedAPIMixin, viewsets.ModelViewSet):
    """Protocols with phases, exercises and load ladders: built-in templates and the clinic's own.

    Staff create, edit (details, and phases with PUT .../phases/), archive
    and clone; API keys read. Built-in protocols are read-only: clone one to
    edit it.
    """

    queryset = Protocol.objects.prefetch_related(
        Prefetch("phases", queryset=Phase.objects.order_by("order").prefetch_related(
            Prefetch("exercises", queryset=PrescribedExercise.objects.select_related("template").order_by("order")
                     .prefetch_related(Prefetch("ladder_steps", queryset=LadderStep.objects.order_by("order")))),
        )),
    )
    serializer_class = ProtocolSerializer
    permission_classes = [*DEFAULT_PERMISSIONS, StaffOrApiKey, BuiltinsReadOnly]
    filterset_class = ProtocolFilter
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def perform_create(self, serializer):
        serializer.instance = self._fresh(services.protocol_create(
            clinic=self.actor.clinic, created_by=self.request.user, **serializer.validated_data
        ))

    def perform_update(self, serializer):
        services.protocol_update(protocol=serializer.instance, **serializer.validated_data)
        serializer.instance = self._fresh(serializer.instance)

    def _fresh(self, protocol: Protocol) -> Protocol:
        return self.get_queryset().get(pk=protocol.pk)

    @extend_schema(request=None, responses=ProtocolSerializer,
                   description="Archive your clinic's protocol: it can no longer be assigned. Built-ins: 403.")
    @action(detail=True, methods=["post"])
    def archive(self, request, pk=None):
        protocol = services.protocol_archive(protocol=self.get_object())
        return Response(self.get_serializer(self._fresh(protocol)).data)

    @extend_schema(request=ProtocolPhasesSerializer, responses=ProtocolSerializer,
                   description="Replace the phases, prescribed exercises and load ladders of your clinic's protocol. "
                               "Running assignments keep their snapshot. Built-ins: 403.")
    @action(detail=True, methods=["put"])
    def phases(self, request, pk=None):
        protocol = self.get_object()
        body = ProtocolPhasesSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        services.protocol_phases_replace(protocol=protocol, phases=body.to_inputs())
        return Response(self.get_serializer(self._fresh(protocol)).data)

    @extend_schema(request=ProtocolCloneSerializer, responses={201: ProtocolSerializer},
                   description="Copy a protocol (built-in or your clinic's) into your clinic, to edit it.")
    @action(detail=True, methods=["post"])
    def clone(self, request, pk=None):
        source = self.get_object()
        body = ProtocolCloneSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        clone = services.protocol_clone(protocol=source, clinic=self.actor.clinic, created_by=request.user,
                                        name=body.validated_data.get("name"))
        return Response(self.get_serializer(self._fresh(clone)).data, status=status.HTTP_201_CREATED)
