"""API views of the clinic's own resources: the audit trail."""

from __future__ import annotations

from rest_framework import viewsets

from clinic.api.base import ScopedAPIMixin
from clinic.api.permissions import DEFAULT_PERMISSIONS, ClinicAdminOnly
from clinic.api.serializers import AuditEventSerializer
from clinic.filters import AuditEventFilter
from clinic.models import AuditEvent


class AuditEventViewSet(ScopedAPIMixin, viewsets.ReadOnlyModelViewSet):
    """The clinic's audit trail, newest first: clinic admins only, read-only (events are append-only).

    Filters: user, api_key, action (read/write), object_type, patient (id: events about that patient and
    list reads whose response contained them), since and until (dates in the clinic's time zone).
    """

    queryset = AuditEvent.objects.prefetch_related("patients").order_by("-occurred_at", "-id")
    serializer_class = AuditEventSerializer
    permission_classes = [*DEFAULT_PERMISSIONS, ClinicAdminOnly]
    filterset_class = AuditEventFilter
