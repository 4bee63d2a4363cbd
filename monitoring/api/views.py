"""GET /api/v1/reports/rtm/: JSON or CSV, one row per patient and 30-day period, for billing systems."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from clinic.api.permissions import DEFAULT_PERMISSIONS, StaffOrApiKey
from clinic.audit import audit_contained, audit_narrowed, audit_note
from clinic.csv_export import csv_text
from monitoring.api.serializers import RtmQuery, RtmReportSerializer, row_dict
from monitoring.selectors import rtm_report
from patients.api.reports import error_lines, report_request

NOTICE = "Backstep reports which thresholds are met; it never submits claims. The clinic decides what to bill."
MONTH_COLUMNS = 3  # a 30-day period touches at most three calendar months (31 Jan to 1 Mar)
ROW_FIELDS = ["patient_id", "external_ref", "therapist", "episode_id", "setup_date", "period", "period_start",
              "period_end", "period_days", "period_end_reason", "in_progress", "days_with_data"]
CSV_FIELDS = ROW_FIELDS + [f"{name}_{n}" for n in range(1, MONTH_COLUMNS + 1)
                           for name in ("month", "minutes", "interactive")] + ["months_listed_here", "codes"]


def csv_line(row: dict) -> list:
    line = [row[name] for name in ROW_FIELDS]
    for n in range(MONTH_COLUMNS):
        month = row["months"][n] if n < len(row["months"]) else None
        line += [month["month"], month["minutes"], "yes" if month["interactive"] else "no"] if month else [None] * 3
    line.append(" ".join(m["month"] for m in row["months"] if m["listed_here"]))
    line.append(" ".join(c["code"] if c["units"] == 1 else f"{c['code']} x{c['units']}" for c in row["codes"]))
    return line


class RtmCSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, dict) and "rows" in data:
            rows = [{**row, "in_progress": "yes" if row["in_progress"] else "no"} for row in data["rows"]]
            text = csv_text(CSV_FIELDS, (csv_line(row) for row in rows))
        else:  # an error body, one line per parameter and problem
            text = csv_text(["field", "error"], error_lines(data))
        return text.encode(self.charset)


class RtmReportView(APIView):
    """Remote therapeutic monitoring per patient and 30-day period: days with data, the minutes of each calendar
    month the period touches, and the codes whose thresholds are met (never a claim). JSON, or CSV with
    ?format=csv."""

    permission_classes = [*DEFAULT_PERMISSIONS, StaffOrApiKey]
    renderer_classes = [JSONRenderer, RtmCSVRenderer]

    @extend_schema(
        parameters=[RtmQuery, OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "csv"])],
        responses={200: RtmReportSerializer},
    )
    def get(self, request, *args, **kwargs):
        params, actor, today, (start, end) = report_request(request, RtmQuery)
        rows = rtm_report(actor=actor, start=start, end=end, today=today, therapist_id=params.get("therapist"),
                          patient_id=params.get("patient"))
        # The shape of RtmReportSerializer (the schema), built directly: see row_dict.
        response = Response({"start": start.isoformat(), "end": end.isoformat(),
                             "generated_at": timezone.now().astimezone(dt.UTC).isoformat(), "notice": NOTICE,
                             "rows": [row_dict(row) for row in rows]})
        renderer = request.accepted_renderer.format
        audit_contained(request, (row.patient.pk for row in rows))
        audit_narrowed(request, {**params, "start": start, "end": end, "format": renderer})
        audit_note(request, detail={"format": renderer, "start": str(start), "end": str(end), "rows": len(rows)})
        if renderer == "csv":
            response["Content-Disposition"] = f'attachment; filename="rtm-{start}-{end}.csv"'
        return response
