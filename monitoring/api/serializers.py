"""The RTM report's query and rows, as the API documents them (drf-spectacular reads these)."""

from __future__ import annotations

from rest_framework import serializers

from clinic.api.base import UTCDateTimeField
from monitoring import periods
from monitoring.selectors import ReportRow

MAX_ID = 2**63 - 1


class RtmQuery(serializers.Serializer):
    start = serializers.DateField(required=False, help_text="First day (default: 27 days before end); periods that "
                                                            "overlap the window are listed.")
    end = serializers.DateField(required=False, help_text="Last day (default: today); at most 366 days in all.")
    therapist = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID,
                                         help_text="Only this therapist's patients.")
    patient = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)


class CodeSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="CPT code whose threshold is met, e.g. 98977.")
    units = serializers.IntegerField(help_text="How many times: 98981 counts each additional 20 minutes.")


class MonthSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    minutes = serializers.IntegerField(help_text="Management minutes logged for the patient in the month.")
    interactive = serializers.BooleanField(help_text="At least one real-time interactive communication.")
    codes = CodeSerializer(many=True, help_text="The month's management codes whose thresholds are met.")
    listed_here = serializers.BooleanField(help_text="True on the one row that lists the month's codes in `codes`: "
                                                     "the last period touching the month.")


class RtmRowSerializer(serializers.Serializer):
    patient_id = serializers.IntegerField()
    external_ref = serializers.CharField()
    therapist = serializers.CharField(allow_null=True)
    episode_id = serializers.IntegerField(help_text="One episode per enrolment; re-enrolment starts a new one.")
    setup_date = serializers.DateField()
    period = serializers.IntegerField(help_text="1 for the period starting on the set-up date.")
    period_start = serializers.DateField()
    period_end = serializers.DateField(help_text="The last day: 29 days after the start, or earlier when the "
                                                 "episode ended (see period_end_reason).")
    period_days = serializers.IntegerField(help_text="30, or fewer for a truncated period.")
    period_end_reason = serializers.ChoiceField(choices=[periods.PLAN_ENDED, periods.UNENROLLED], allow_null=True,
                                                help_text="Why a truncated period is shorter than 30 days.")
    in_progress = serializers.BooleanField(help_text="The period runs today: its figures are so far.")
    days_with_data = serializers.IntegerField(help_text="Distinct patient-local days with a session or check-in.")
    months = MonthSerializer(many=True)
    codes = CodeSerializer(many=True, help_text="The period's codes and those of the months listed here, mutual "
                                                "exclusions applied.")


class RtmReportSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    generated_at = UTCDateTimeField()
    notice = serializers.CharField()
    rows = RtmRowSerializer(many=True)


def codes(items) -> list[dict]:
    return [{"code": c.code, "units": c.units} for c in items]


def row_dict(row: ReportRow) -> dict:
    """One row exactly as RtmRowSerializer describes it, built directly: a year's report has about twelve rows per
    patient, and DRF's nested serializers would take longer than the report itself (tests/api/test_schema_actors
    checks responses against the schema)."""
    patient, period = row.patient, row.period
    return {
        "patient_id": patient.pk,
        "external_ref": patient.external_ref,
        "therapist": str(patient.therapist) if patient.therapist else None,
        "episode_id": row.episode.pk,
        "setup_date": row.episode.setup_date.isoformat(),
        "period": period.number,
        "period_start": period.start.isoformat(),
        "period_end": period.end.isoformat(),
        "period_days": period.length,
        "period_end_reason": period.end_reason,
        "in_progress": row.in_progress,
        "days_with_data": row.days,
        "months": [{"month": f"{line.month.year:04d}-{line.month.month:02d}", "minutes": line.minutes,
                    "interactive": line.interactive,
                    "codes": codes(line.codes), "listed_here": line.listed_here} for line in row.months],
        "codes": codes(row.codes),
    }
