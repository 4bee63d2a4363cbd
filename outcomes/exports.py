"""Selectors: the clinic's submitted responses and their scores, for the CSV and the REST API.

One row per response and scale: the score stored at submission, or the
reason it could not be scored, with the instrument and its version.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import QuerySet

from clinic.tenancy import Actor, scope_queryset
from outcomes.models import QuestionnaireResponse

CSV_FIELDS = ["response_id", "patient_id", "external_ref", "instrument", "instrument_version", "due_date",
              "answered_on", "protocol", "scale", "scale_title", "score", "not_scored_reason", "answered",
              "required"]


def submitted_responses(*, actor: Actor) -> QuerySet[QuestionnaireResponse]:
    """The caller's clinic's submitted responses, newest first, with the patient and plan in the same query."""
    return (scope_queryset(QuestionnaireResponse.objects.filter(status=QuestionnaireResponse.Status.SUBMITTED),
                           actor)
            .select_related("patient", "assignment").order_by("-submitted_at", "-id"))


def responses_for_export(*, actor: Actor) -> list[QuestionnaireResponse]:
    return list(submitted_responses(actor=actor))


def csv_rows(responses):
    for r in responses:
        for scale in r.scores.get("scales", []):
            yield [r.pk, r.patient_id, r.patient.external_ref, r.instrument_id, r.instrument_version,
                   r.due_date.isoformat(), r.answered_on.isoformat() if r.answered_on else "",
                   r.assignment.protocol_name if r.assignment else "", scale["scale"], scale["title"],
                   None if scale["value"] is None else Decimal(scale["value"]), scale["reason"] or "",
                   scale["answered"], scale["required"]]
