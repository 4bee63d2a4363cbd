"""DRF permission classes, used by every API view; tenancy itself is in clinic.tenancy."""

from rest_framework.permissions import BasePermission


class IsClinicStaff(BasePermission):
    """Therapists and clinic admins of an active clinic."""

    message = "Only clinic staff can do this."

    def has_permission(self, request, view) -> bool:
        actor = getattr(request._request, "actor", None)
        return bool(actor and actor.is_staff_member)


class IsPatient(BasePermission):
    message = "Only patients can do this."

    def has_permission(self, request, view) -> bool:
        actor = getattr(request._request, "actor", None)
        return bool(actor and actor.is_patient)
