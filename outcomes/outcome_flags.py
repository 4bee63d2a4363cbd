"""Outcome flags: a questionnaire score that changed beyond the instrument's threshold tells the therapist.

`outcome_improved` (info) or `outcome_worse` (warning), judged on the primary
scale by `outcomes.scoring.important_change` against the patient's first
score. The inbox's Flag row is tied to an exercise (patients.Flag), so an
outcome flag is raised on the plan's first exercise; its evidence names the
questionnaire. At most one unresolved flag per kind: a newer response updates
it; a flag the therapist resolved for one response is never raised again for it.
"""

from __future__ import annotations

from outcomes import scoring
from outcomes.models import QuestionnaireResponse
from patients.models import AssignedExercise, Flag
from patients.reason_messages import note

KIND_FOR = {"improved": (Flag.Kind.OUTCOME_IMPROVED, Flag.Severity.INFO),
            "worse": (Flag.Kind.OUTCOME_WORSE, Flag.Severity.WARNING)}


def first_submitted(response: QuestionnaireResponse) -> QuestionnaireResponse:
    return (QuestionnaireResponse.objects.filter(patient_id=response.patient_id, instrument_id=response.instrument_id,
                                                 status=QuestionnaireResponse.Status.SUBMITTED)
            .order_by("due_date", "id").first()) or response


def outcome_flag_sync(*, response: QuestionnaireResponse, instrument) -> Flag | None:
    """Open (or bring up to date) the outcome flag this submitted response calls for; None when none is called for."""
    first = first_submitted(response)
    scale_id = instrument.primary_scale_id
    direction = scoring.important_change(instrument, scale_id, first.primary_score, response.primary_score)
    if direction not in KIND_FOR or response.assignment_id is None:
        return None
    exercise = AssignedExercise.objects.filter(assignment_id=response.assignment_id).order_by(
        "phase__order", "order").first()
    if exercise is None:
        return None
    kind, severity = KIND_FOR[direction]
    basis = f"outcome:{response.pk}"
    if Flag.objects.filter(exercise=exercise, kind=kind, basis=basis, status=Flag.Status.RESOLVED).exists():
        return None
    change = response.primary_score - first.primary_score if first.pk != response.pk else None
    reason = _reason(instrument, first, response, change, direction)
    message = _message(instrument, first, response, change, direction)
    evidence = {"instrument_id": instrument.id, "instrument_version": response.instrument_version,
                "response_id": response.pk, "first_response_id": first.pk, "scale_id": scale_id,
                "first": str(first.primary_score), "latest": str(response.primary_score),
                "change": None if change is None else str(change)}
    flag = Flag.objects.filter(exercise=exercise, kind=kind,
                               status__in=[Flag.Status.OPEN, Flag.Status.ACKNOWLEDGED]).first()
    if flag is None:
        return Flag.objects.create(patient_id=response.patient_id, exercise=exercise, kind=kind, severity=severity,
                                   reasons=[reason], reason_messages=[message], evidence=evidence, basis=basis)
    flag.reasons, flag.reason_messages = [reason], [message]
    flag.evidence, flag.basis, flag.status = evidence, basis, Flag.Status.OPEN
    flag.save(update_fields=["reasons", "reason_messages", "evidence", "basis", "status", "updated_at"])
    return flag


def _reason(instrument, first, latest, change, direction: str) -> str:
    word = "improved" if direction == "improved" else "worsened"
    if change is None:
        return f"{instrument.title}: the patient rated {latest.primary_score} ({word} beyond the threshold)."
    return (f"{instrument.title} {word} from {first.primary_score} to {latest.primary_score} "
            f"({change:+}), beyond the important change.")


def _message(instrument, first, latest, change, direction: str) -> dict:
    """The reason's message, worded in the therapist's language where shown (`_reason` is its English text)."""
    word = "improved" if direction == "improved" else "worse"
    if change is None:
        return note(f"outcome.{word}_first", instrument=instrument.title, latest=float(latest.primary_score))
    return note(f"outcome.{word}", instrument=instrument.title, first=float(first.primary_score),
                latest=float(latest.primary_score), change={"signed": float(change)})
