"""GET /api/v1/reports/adherence/: JSON or CSV, one row per assignment (or per assignment and week)."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from clinic.api.base import ZERO_BASED, LevelField, UTCDateTimeField
from clinic.api.permissions import DEFAULT_PERMISSIONS, StaffOrApiKey, actor_of
from clinic.audit import audit_contained, audit_narrowed, audit_note
from clinic.csv_export import csv_text
from patients.adherence import adherence_pct, prescribed_days
from patients.adherence_report import ReportWindowError, adherence_report, adherence_totals_report, report_window
from patients.services import clinic_today
from protocols.wording import level_number

ROW_FIELDS = [
    "assignment_id", "patient_id", "external_ref", "therapist", "protocol", "condition", "window_start",
    "window_end", "prescribed", "completed_days", "adherence_pct", "mean_pain_during", "last_session_date",
    "current_step", "current_level", "current_step_load", "open_flags",
]
WEEK_FIELDS = ["week_start", "active_days"]


class AdherenceQuery(serializers.Serializer):
    start = serializers.DateField(required=False, help_text="First day (default: 27 days before end); from 20 years "
                                                            "back to 2 years ahead.")
    end = serializers.DateField(required=False, help_text="Last day (default: today); at most 366 days in all, "
                                                          "from 20 years back to 2 years ahead.")
    therapist = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1,
                                         help_text="Only this therapist's patients.")
    patient = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    condition = serializers.ChoiceField(choices=["pfp", "acl"], required=False)
    group_by = serializers.ChoiceField(choices=["week"], required=False,
                                       help_text="week: one row per assignment and ISO week.")


class AdherenceRowSerializer(serializers.Serializer):
    assignment_id = serializers.IntegerField()
    patient_id = serializers.IntegerField()
    external_ref = serializers.CharField()
    therapist = serializers.CharField(allow_null=True)
    protocol = serializers.CharField()
    condition = serializers.CharField()
    window_start = serializers.DateField()
    window_end = serializers.DateField()
    week_start = serializers.DateField(required=False, help_text="Only with group_by=week.")
    active_days = serializers.IntegerField(required=False, help_text="Only with group_by=week.")
    prescribed = serializers.DecimalField(max_digits=8, decimal_places=2, coerce_to_string=False)
    completed_days = serializers.IntegerField()
    adherence_pct = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True, coerce_to_string=False)
    mean_pain_during = serializers.DecimalField(max_digits=3, decimal_places=1, allow_null=True,
                                                coerce_to_string=False)
    last_session_date = serializers.DateField(allow_null=True)
    current_step = serializers.IntegerField(allow_null=True, help_text=f"Current ladder step, {ZERO_BASED}; null "
                                                                       "without a ladder. People read `current_level`.")
    current_level = LevelField(source="current_step")
    current_step_load = serializers.CharField(help_text='e.g. "2.5 km/h · 5 % · 20 min"')
    open_flags = serializers.IntegerField()


class AdherenceReportSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    group_by = serializers.CharField(allow_null=True)
    generated_at = UTCDateTimeField()
    rows = AdherenceRowSerializer(many=True)


class AdherenceCSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, dict) and "rows" in data:
            fields = ROW_FIELDS[:8] + WEEK_FIELDS + ROW_FIELDS[8:] if data.get("group_by") else ROW_FIELDS
            text = csv_text(fields, ([row.get(name) for name in fields] for row in data["rows"]))
        else:  # an error body: one line per parameter and problem, as the JSON names them
            text = csv_text(["field", "error"], error_lines(data))
        return text.encode(self.charset)


def error_lines(errors) -> list[tuple[str, str]]:
    """(field, message) pairs of an API error body ({"detail": ...} or field errors keyed by field)."""
    if not isinstance(errors, dict):
        return [("detail", str(errors))]
    return [(str(field), str(message)) for field, messages in errors.items()
            for message in (messages if isinstance(messages, list) else [messages])]


def totals_representation(row, window_start: str, window_end: str) -> dict:
    """A row of the report without weeks (`adherence_totals_report`) as AdherenceRowSerializer writes it.

    Written out, not run through the serializer: DRF's per-field machinery was a third of what the API added
    to the report's one statement (issue 21). The figures are already rounded (`patients.adherence`); a test
    holds this equal to the serializer's output.
    """
    last = row.last_session_date
    return {
        "assignment_id": row.assignment_id, "patient_id": row.patient_id, "external_ref": row.external_ref,
        "therapist": row.therapist, "protocol": row.protocol, "condition": row.condition,
        "window_start": window_start, "window_end": window_end, "prescribed": row.prescribed,
        "completed_days": row.completed_days, "adherence_pct": row.adherence_pct,
        "mean_pain_during": row.mean_pain_during, "last_session_date": None if last is None else last.isoformat(),
        "current_step": row.current_step,
        "current_level": None if row.current_step is None else level_number(row.current_step),
        "current_step_load": row.current_step_words, "open_flags": row.open_flags,
    }


def row_dicts(row, by_week: bool) -> list[dict]:
    a = row.assignment
    base = {
        "assignment_id": a.pk,
        "patient_id": a.patient_id,
        "external_ref": a.patient.external_ref,
        "therapist": str(a.patient.therapist) if a.patient.therapist else None,
        "protocol": a.protocol_name,
        "condition": a.condition,
        "window_start": row.window_start,
        "window_end": row.window_end,
        "mean_pain_during": row.mean_pain_during,
        "last_session_date": row.last_session_date,
        "current_step": row.current_step,
        "current_step_load": row.current_step_words,
        "open_flags": row.open_flags,
    }
    if not by_week:
        return [{**base, "prescribed": row.prescribed, "completed_days": row.completed_days,
                 "adherence_pct": row.adherence_pct}]
    return [
        {**base, "week_start": week.week_start, "active_days": week.active_days,
         "prescribed": prescribed_days(week.prescribed_sevenths), "completed_days": week.done,
         "adherence_pct": adherence_pct([week])}
        for week in row.weeks
    ]


def report_request(request, query_class):
    """What every report endpoint reads first: its validated query, the caller, the clinic's today and the
    window (`start`/`end`, defaulted and bounded by `report_window`); a bad value is a 400 naming its field."""
    query = query_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    params = query.validated_data
    actor = actor_of(request)
    today = clinic_today(actor.clinic)
    try:
        window = report_window(start=params.get("start"), end=params.get("end"), today=today)
    except ReportWindowError as error:
        raise serializers.ValidationError({error.field: [error.message]}) from None
    return params, actor, today, window


class AdherenceReportView(APIView):
    """Adherence per assignment over a window, as defined in product.md. JSON, or CSV with ?format=csv."""

    permission_classes = [*DEFAULT_PERMISSIONS, StaffOrApiKey]
    renderer_classes = [JSONRenderer, AdherenceCSVRenderer]

    @extend_schema(
        parameters=[AdherenceQuery, OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "csv"])],
        responses={200: AdherenceReportSerializer},
    )
    def get(self, request, *args, **kwargs):
        params, actor, today, (start, end) = report_request(request, AdherenceQuery)
        filters = {"actor": actor, "start": start, "end": end, "today": today,
                   "therapist_id": params.get("therapist"), "patient_id": params.get("patient"),
                   "condition": params.get("condition")}
        by_week = params.get("group_by") == "week"
        if by_week:
            rows = adherence_report(**filters)
            patient_ids = [row.assignment.patient_id for row in rows]
        else:  # the totals: one statement (patients.adherence_sql), issue 21
            rows = adherence_totals_report(**filters)
            patient_ids = [row.patient_id for row in rows]
        body = AdherenceReportSerializer({
            "start": start, "end": end, "group_by": params.get("group_by"), "generated_at": timezone.now(),
            "rows": [d for row in rows for d in row_dicts(row, by_week)] if by_week else [],
        }).data
        if not by_week:
            body["rows"] = [totals_representation(row, body["start"], body["end"]) for row in rows]
        response = Response(body)
        # The trail tells a report pulled into a spreadsheet from one read by a screen, and whose rows it held.
        audit_contained(request, patient_ids)
        audit_narrowed(request, {**params, "start": start, "end": end, "format": request.accepted_renderer.format})
        audit_note(request, detail={
            "format": request.accepted_renderer.format, "start": str(start), "end": str(end), "rows": len(rows)})
        if request.accepted_renderer.format == "csv":
            response["Content-Disposition"] = f'attachment; filename="adherence-{start}-{end}.csv"'
        return response
