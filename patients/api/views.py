"""Patient-data endpoints of /api/v1/. Each validates input, calls one service or selector and shapes the output.

Every queryset goes through ScopedAPIMixin (scope_queryset): rows of another
clinic, or of another patient, are simply not found (404). Who may do what:
DEFAULT_PERMISSIONS (a clinic role or an API key; API keys never write) plus
one role class per endpoint, or per method where reading and writing differ.
"""

from __future__ import annotations

import uuid

from django.db.models import Prefetch
from django.utils import timezone
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from clinic.api.base import ScopedAPIMixin
from clinic.api.permissions import DEFAULT_PERMISSIONS, PatientOnly, StaffOnly, StaffOrApiKey
from patients import selectors, services
from patients.api.filters import (
    AssignmentFilter,
    CheckInFilter,
    FlagFilter,
    MeasurementFilter,
    PatientFilter,
    SessionLogFilter,
)
from patients.api.serializers import (
    AssignmentCreateSerializer,
    AssignmentSerializer,
    CheckInSerializer,
    ErrorSerializer,
    FlagDeclineSerializer,
    FlagResolveSerializer,
    FlagSerializer,
    MeasurementSerializer,
    MeSerializer,
    PatientSerializer,
    SessionLogSerializer,
)
from patients.models import (
    AssignedExercise,
    AssignedLadderStep,
    AssignedPhase,
    Assignment,
    Flag,
    Measurement,
    MorningCheckIn,
    Patient,
    SessionLog,
)


class RolesByMethod:
    """Reading is for `read_role` (None: any clinic role, rows limited by scope); writing is for `write_role`."""

    read_role: type[permissions.BasePermission] | None = None
    write_role: type[permissions.BasePermission] = StaffOnly

    def get_permissions(self):
        role = self.read_role if self.request.method in permissions.SAFE_METHODS else self.write_role
        return [permission() for permission in [*DEFAULT_PERMISSIONS, *([role] if role else [])]]


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This request conflicts with an earlier one."
    default_code = "conflict"


# ---------------------------------------------------------------------------
# Patients and the patient's own view
# ---------------------------------------------------------------------------


class PatientViewSet(ScopedAPIMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """The clinic's patients. Staff list, create and edit them; API keys read. The clinic is the caller's."""

    queryset = Patient.objects.select_related("therapist")
    serializer_class = PatientSerializer
    permission_classes = [*DEFAULT_PERMISSIONS, StaffOrApiKey]
    filterset_class = PatientFilter

    def get_queryset(self):
        return selectors.with_patient_summary(super().get_queryset())

    def perform_create(self, serializer):
        patient = services.patient_create(clinic=self.actor.clinic, **serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=patient.pk)

    def perform_update(self, serializer):
        services.patient_update(patient=serializer.instance, **serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)


class OneObjectSchema(AutoSchema):
    """`list` of a singleton resource returns one object, not a page."""

    def _is_list_view(self, serializer=None) -> bool:
        return False


class MeViewSet(ScopedAPIMixin, viewsets.GenericViewSet):
    """The signed-in patient: own profile and today's plan (current phase, exercises, ladder step)."""

    queryset = Patient.objects.select_related("therapist", "clinic")
    serializer_class = MeSerializer
    permission_classes = [*DEFAULT_PERMISSIONS, PatientOnly]
    pagination_class = None
    filter_backends: list = []
    schema = OneObjectSchema()

    def list(self, request, *args, **kwargs):
        patient = self.get_queryset().get()  # scope_queryset: exactly the caller's own row
        today = services.clinic_today(patient.clinic)
        plan = selectors.today_plan(patient=patient, today=today)
        body = {
            "patient": patient,
            "therapist_name": str(patient.therapist) if patient.therapist_id else "",
            "today": today,
            "plan": plan if plan.assignment is not None else None,
            "generated_at": timezone.now(),
        }
        return Response(self.get_serializer(body, context={**self.get_serializer_context(),
                                                            "logged_today": plan.logged_today}).data)


# ---------------------------------------------------------------------------
# Assignments
# ---------------------------------------------------------------------------


@extend_schema_view(create=extend_schema(request=AssignmentCreateSerializer, responses={201: AssignmentSerializer}))
class AssignmentViewSet(ScopedAPIMixin, RolesByMethod, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Protocols assigned to patients, as frozen snapshots. Staff assign; patients read their own; API keys read."""

    queryset = Assignment.objects.prefetch_related(
        Prefetch("phases", queryset=AssignedPhase.objects.order_by("order").prefetch_related(
            Prefetch("exercises", queryset=AssignedExercise.objects.order_by("order").prefetch_related(
                Prefetch("ladder_steps", queryset=AssignedLadderStep.objects.order_by("order")))),
        )),
    )
    serializer_class = AssignmentSerializer
    write_role = StaffOnly
    filterset_class = AssignmentFilter

    def get_queryset(self):
        return selectors.with_current_phase(super().get_queryset())

    def create(self, request, *args, **kwargs):
        body = AssignmentCreateSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = body.validated_data
        assignment = services.assignment_create(
            patient=data["patient"], protocol=data["protocol"],
            start_date=data.get("start_date") or services.clinic_today(self.actor.clinic),
            baseline_pain=data["baseline_pain"], sessions_per_week=data.get("sessions_per_week"),
            assigned_by=request.user,
        )
        fresh = self.get_queryset().get(pk=assignment.pk)
        return Response(self.get_serializer(fresh).data, status=status.HTTP_201_CREATED)


# ---------------------------------------------------------------------------
# Session logs: idempotent creation
# ---------------------------------------------------------------------------

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"


def idempotency_key(request, client_uuid: uuid.UUID | None) -> uuid.UUID | None:
    """The request's key: the Idempotency-Key header or the client_uuid field (the same value if both)."""
    raw = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
    if not raw:
        return client_uuid
    try:
        key = uuid.UUID(raw)
    except ValueError:
        raise exceptions.ValidationError({"detail": f"The {IDEMPOTENCY_HEADER} header must be a UUID."}) from None
    if client_uuid is not None and client_uuid != key:
        raise exceptions.ValidationError({"client_uuid": [f"Does not match the {IDEMPOTENCY_HEADER} header."]})
    return key


@extend_schema_view(
    create=extend_schema(
        description=(
            "Log a session of your own plan (patients only). Send an `Idempotency-Key` header or a `client_uuid` "
            "field (a UUID the app makes once per session) so that a retry never logs twice: a replay with the "
            "same key and the same body returns the original response, again with 201 and with the header "
            "`Idempotent-Replayed: true`; the same key with a different body gets 409."
        ),
        parameters=[OpenApiParameter(IDEMPOTENCY_HEADER, OpenApiTypes.UUID, OpenApiParameter.HEADER,
                                     description="A UUID per session; same as the client_uuid field.")],
        responses={
            201: SessionLogSerializer,
            409: OpenApiResponse(ErrorSerializer, description="The key was already used for a different session."),
        },
    ),
)
class SessionLogViewSet(ScopedAPIMixin, RolesByMethod, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Logged sessions. Patients log and read their own; staff and API keys read the clinic's."""

    queryset = SessionLog.objects.select_related("exercise")
    serializer_class = SessionLogSerializer
    write_role = PatientOnly
    filterset_class = SessionLogFilter

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        key = idempotency_key(request, data.pop("client_uuid", None))
        try:
            saved = services.session_log_create(
                patient=self.actor.patient, today=services.clinic_today(self.actor.clinic), client_uuid=key,
                date=data.pop("date", None), **data,
            )
        except services.IdempotencyConflict:
            raise Conflict("This key was already used for a different session: send a new Idempotency-Key "
                           "(or client_uuid) for a new session.") from None
        body = self.get_serializer(self.get_queryset().get(pk=saved.session.pk)).data
        headers = {} if saved.created else {REPLAY_HEADER: "true"}
        return Response(body, status=status.HTTP_201_CREATED, headers=headers)


# ---------------------------------------------------------------------------
# Morning check-ins and clinic measurements
# ---------------------------------------------------------------------------


@extend_schema_view(
    create=extend_schema(
        description="Record your morning knee pain for a day (patients only). One per day: a second answer for "
                    "the same day replaces the first and returns 200.",
        responses={201: CheckInSerializer, 200: CheckInSerializer},
    ),
)
class CheckInViewSet(ScopedAPIMixin, RolesByMethod, mixins.CreateModelMixin, mixins.UpdateModelMixin,
                     viewsets.ReadOnlyModelViewSet):
    """Next-morning pain. Patients record and correct their own; staff and API keys read."""

    queryset = MorningCheckIn.objects.all()
    serializer_class = CheckInSerializer
    write_role = PatientOnly
    filterset_class = CheckInFilter

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        today = services.clinic_today(self.actor.clinic)
        checkin, created = services.checkin_record(
            patient=self.actor.patient, date=serializer.validated_data.get("date") or today, today=today,
            pain=serializer.validated_data["pain"],
        )
        return Response(self.get_serializer(checkin).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    def perform_update(self, serializer):
        checkin = serializer.instance
        pain = serializer.validated_data.get("pain", checkin.pain)
        serializer.instance, _created = services.checkin_record(
            patient=self.actor.patient, date=checkin.date, today=services.clinic_today(self.actor.clinic), pain=pain,
        )


class MeasurementViewSet(ScopedAPIMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Clinic measurements (effusion, limb symmetry, range of motion, running sign-off). Staff record; keys read."""

    queryset = Measurement.objects.all()
    serializer_class = MeasurementSerializer
    permission_classes = [*DEFAULT_PERMISSIONS, StaffOrApiKey]
    filterset_class = MeasurementFilter

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        date = data.pop("date", None) or services.clinic_today(self.actor.clinic)
        serializer.instance = services.measurement_record(date=date, recorded_by=self.request.user, **data)


# ---------------------------------------------------------------------------
# Flags
# ---------------------------------------------------------------------------


class FlagViewSet(ScopedAPIMixin, viewsets.ReadOnlyModelViewSet):
    """Flags raised by the progression checks. Staff and API keys read; staff act on them."""

    queryset = Flag.objects.select_related("exercise")
    serializer_class = FlagSerializer
    permission_classes = [*DEFAULT_PERMISSIONS, StaffOrApiKey]
    filterset_class = FlagFilter

    def _done(self, flag: Flag) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=flag.pk)).data)

    @extend_schema(request=None, responses=FlagSerializer, description="Mark the flag as seen (staff only).")
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        return self._done(services.flag_acknowledge(flag=self.get_object(), user=request.user))

    @extend_schema(request=None, responses=FlagSerializer,
                   description="Approve a progression suggestion: the suggested step applies from today.")
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        flag = self.get_object()
        services.flag_approve(flag=flag, user=request.user, today=services.clinic_today(self.actor.clinic))
        return self._done(flag)

    @extend_schema(request=FlagDeclineSerializer, responses=FlagSerializer,
                   description="Decline a progression suggestion, with an optional note.")
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        flag = self.get_object()
        body = FlagDeclineSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._done(services.flag_decline(flag=flag, user=request.user, note=body.validated_data.get("note", "")))

    @extend_schema(request=FlagResolveSerializer, responses=FlagSerializer,
                   description="Resolve the flag with a note saying how.")
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        flag = self.get_object()
        body = FlagResolveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._done(services.flag_resolve(flag=flag, user=request.user, note=body.validated_data["note"]))
