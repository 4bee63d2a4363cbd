"""Filters of the audit trail, shared by the clinic admin page and GET /api/v1/audit-events/."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clinic.audit_labels import OBJECT_TYPE_LABELS
from clinic.models import ApiKey, AuditEvent, AuditEventPatient, User
from clinic.tenancy import ANONYMOUS, scope_queryset

OBJECT_TYPES = ("patient", "plan", "assignment", "session", "checkin", "measurement", "flag", "invitation",
                "adherence_report")


def _members(request):
    actor = getattr(request, "actor", ANONYMOUS) if request is not None else ANONYMOUS
    clinic_id = actor.clinic.pk if actor.clinic is not None else None
    return User.objects.filter(memberships__clinic_id=clinic_id).order_by("email")


def _keys(request):
    actor = getattr(request, "actor", ANONYMOUS) if request is not None else ANONYMOUS
    return scope_queryset(ApiKey.objects.order_by("name"), actor)


class AuditEventFilter(django_filters.FilterSet):
    """Who (a staff member, a key), what (read/write, object type, one patient) and when (local dates)."""

    user = django_filters.ModelChoiceFilter(label=_("Staff member"), queryset=_members,
                                            empty_label=_("Anyone"))
    api_key = django_filters.ModelChoiceFilter(label=_("API key"), queryset=_keys, empty_label=_("Any key"))
    action = django_filters.ChoiceFilter(label=_("Action"), choices=AuditEvent.Action.choices,
                                         empty_label=_("Reads and writes"))
    # The value stays the stored English type (the API's ?object_type=session); the label is the reader's language.
    object_type = django_filters.ChoiceFilter(label=_("Data"),
                                              choices=[(t, OBJECT_TYPE_LABELS[t]) for t in OBJECT_TYPES],
                                              empty_label=_("All data"))
    patient = django_filters.NumberFilter(label=_("Patient id"), method="filter_patient", min_value=1,
                                          max_value=2**63 - 1)
    since = django_filters.DateFilter(label=_("From"), field_name="occurred_at", lookup_expr="date__gte",
                                      widget=forms.DateInput(attrs={"type": "date"}))
    until = django_filters.DateFilter(label=_("To"), field_name="occurred_at", lookup_expr="date__lte",
                                      widget=forms.DateInput(attrs={"type": "date"}))

    class Meta:
        model = AuditEvent
        fields = ["user", "api_key", "action", "object_type", "patient", "since", "until"]

    def filter_patient(self, queryset, name, value):
        """Events about this patient, and list reads whose response contained them (an indexed lookup)."""
        if value is None:
            return queryset
        patient_id = int(value)
        shown = AuditEventPatient.objects.filter(patient_id=patient_id).values("event_id")
        return queryset.filter(Q(patient_id=patient_id) | Q(pk__in=shown))
