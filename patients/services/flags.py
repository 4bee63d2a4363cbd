"""What a therapist does with a flag: approve or decline a progression suggestion, acknowledge, resolve.

An approval re-runs the check first, under the plan's locks, and changes the
step only if the latest evidence still suggests it (else ApprovalRefused).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from patients.models import NOTE_MAX_LENGTH, ChangeSource, Flag, StepVersion
from patients.reason_messages import note as reason_note
from patients.reason_messages import shown_reason
from patients.services.checks import CheckOutcome, _check_locked, _lock_plans
from patients.services.plans import step_change

logger = logging.getLogger(__name__)


def _locked_unresolved(flag: Flag) -> Flag:
    flag = Flag.objects.select_for_update(of=("self",)).select_related("exercise").get(pk=flag.pk)
    if flag.status == Flag.Status.RESOLVED:
        raise ValidationError({"flag": "This flag is already resolved."})
    return flag


def _check_typed_note(note: str) -> None:
    """A note a therapist typed on a flag: at most NOTE_MAX_LENGTH characters, as the form and the API allow."""
    if len(note) > NOTE_MAX_LENGTH:
        raise ValidationError({"note": f"Keep the note to {NOTE_MAX_LENGTH} characters (it has {len(note)})."})


def _resolve(flag: Flag, *, user, note: str) -> Flag:
    flag.status = Flag.Status.RESOLVED
    flag.resolved_at = timezone.now()
    flag.resolved_by = user
    flag.resolution_note = note
    flag.save(update_fields=["status", "resolved_at", "resolved_by", "resolution_note", "updated_at"])
    return flag


class ApprovalRefused(ValidationError):
    """The latest evidence no longer supports the suggested progression; the message says why."""


def flag_approve(*, flag: Flag, user, today: dt.date) -> StepVersion:
    """Approve a progression suggestion, on the latest evidence: the new step applies from today.

    Under the plan's locks (the order of the checks: assignment, exercises,
    then the flag), the check is first run again with the same code as the
    task. Only if it still suggests this very step is the step changed and the
    flag resolved as approved. Otherwise the check's own work stands (a
    regression applied, the suggestion cleared or updated, a red-pain flag
    raised), and ApprovalRefused says why.
    """
    with transaction.atomic():
        exercise = Flag.objects.select_related("exercise").get(pk=flag.pk).exercise
        exercises = _lock_plans([exercise.assignment_id], today=today)
        flag = _locked_unresolved(flag)
        if flag.kind != Flag.Kind.PROGRESSION or flag.suggested_step is None:
            raise ValidationError({"flag": "Only progression suggestions can be approved."})
        suggested = flag.suggested_step
        outcome = next((o for o in _check_locked(exercises, today=today, notify=True)
                        if o.exercise_id == flag.exercise_id), None)
        if outcome and outcome.applied == "progressed" and outcome.decision["next_step"] == suggested:
            return StepVersion.objects.filter(exercise_id=flag.exercise_id).latest()  # the clinic's auto-apply did it
        refusal = _approval_refusal(outcome, suggested)
        if refusal is None:
            flag.refresh_from_db()
            version = step_change(
                exercise=flag.exercise, step=suggested, effective_date=today, source=ChangeSource.THERAPIST,
                changed_by=user, rules=flag.rules[:1],
                reason="Approved the suggested progression: " + " ".join(flag.reasons),
                reason_message=_approved_message(flag),
            )
            _resolve(flag, user=user, note="Approved.")
            return version
    # Outside the transaction, so the check's work above is kept when the approval is refused.
    logger.info("progression approval refused for flag %s by user %s", flag.pk, getattr(user, "pk", None))
    raise ApprovalRefused({"flag": refusal})


def _approved_message(flag: Flag) -> dict | None:
    """The approval's reason as a message, when every reason of the suggestion has one (else the English text)."""
    messages = list(flag.reason_messages or [])
    if len(messages) != len(flag.reasons) or not all(messages):
        return None
    return reason_note("step.approved", reasons={"sentences": messages})


def _approval_refusal(outcome: CheckOutcome | None, suggested: int) -> str | None:
    """Why a suggestion cannot be approved on the latest evidence (in the therapist's language), or None if it can."""
    if outcome is None or not outcome.in_current_phase:
        return gettext("Not approved: this exercise is no longer in the plan's current phase.")
    decision = outcome.decision
    if decision["decision"] != "progress":
        why = shown_reason(decision["reasons"][0], (decision.get("reason_messages") or [None])[0])
        return gettext("Not approved: the latest check no longer suggests moving up.") + " " + why
    if outcome.applied or decision["next_step"] != suggested:
        return gettext("Not approved: the plan changed since this suggestion; see the latest one.")
    return None


@transaction.atomic
def flag_decline(*, flag: Flag, user, note: str = "") -> Flag:
    """Decline a progression suggestion; it is not suggested again for the same step this week."""
    flag = _locked_unresolved(flag)
    if flag.kind != Flag.Kind.PROGRESSION:
        raise ValidationError({"flag": "Only progression suggestions can be declined."})
    _check_typed_note(note)
    return _resolve(flag, user=user, note=("Declined. " + note).strip())


@transaction.atomic
def flag_acknowledge(*, flag: Flag, user) -> Flag:
    """Mark a flag as seen; it stays unresolved until its condition clears or someone resolves it."""
    flag = _locked_unresolved(flag)
    if flag.status == Flag.Status.OPEN:
        flag.status = Flag.Status.ACKNOWLEDGED
        flag.acknowledged_at = timezone.now()
        flag.acknowledged_by = user
        flag.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "updated_at"])
    return flag


@transaction.atomic
def flag_resolve(*, flag: Flag, user, note: str) -> Flag:
    """Resolve a flag with a note; the checks will not raise it again for the same thing."""
    if not note or not note.strip():
        raise ValidationError({"note": "Say how this was resolved."})
    _check_typed_note(note)
    return _resolve(_locked_unresolved(flag), user=user, note=note.strip())
