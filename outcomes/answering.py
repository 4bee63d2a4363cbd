"""Services for a patient answering a questionnaire: one answer saved at a time, then submitted once and scored.

The phone saves each answer as it is given (`response_answer_save`) into the
occasion's draft; the submit (`response_submit`) scores the answers with
`outcomes.scoring.score` and freezes them with the instrument's version. A
second submit of the same occasion (a double tap, a replay after a lost
connection) returns the submitted response unchanged. A change beyond the
instrument's threshold opens an outcome flag (`outcomes.outcome_flags`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from outcomes import instruments, scoring, selectors
from outcomes.due import current_occasion
from outcomes.models import QuestionnaireResponse
from outcomes.outcome_flags import outcome_flag_sync
from outcomes.psfs import check_activities, check_item_named, first_activities
from patients.models import Patient

logger = logging.getLogger(__name__)

NOT_DUE = gettext_lazy("This questionnaire is not due today.")


def _occasion(patient: Patient, instrument_id: str, today: dt.date):
    try:
        instrument = instruments.get(instrument_id)
    except instruments.UnknownInstrument as error:
        raise ValidationError({"instrument_id": _("There is no questionnaire “%(id)s”.")
            % {"id": instrument_id}}) from error
    occasion = current_occasion(patient=patient, instrument_id=instrument_id, today=today)
    if occasion is None:
        raise ValidationError({"instrument_id": NOT_DUE})
    return instrument, occasion


def _locked_response(patient: Patient, instrument, occasion) -> QuestionnaireResponse:
    """The occasion's response row, created as a draft the first time, locked for this transaction."""
    found = QuestionnaireResponse.objects.select_for_update().filter(
        patient=patient, instrument_id=instrument.id, due_date=occasion.due_date).first()
    if found:
        return found
    try:
        with transaction.atomic():
            QuestionnaireResponse.objects.create(
                patient=patient, assignment_id=occasion.assignment_id, instrument_id=instrument.id,
                instrument_version=instrument.version, due_date=occasion.due_date,
                activities=first_activities(patient=patient, instrument=instrument))
    except IntegrityError:
        pass  # another request created it first; lock that one
    return QuestionnaireResponse.objects.select_for_update().get(
        patient=patient, instrument_id=instrument.id, due_date=occasion.due_date)


def _checked_value(instrument, item_id: str, value, activities: list[str]) -> int | None:
    if not instrument.has_item(item_id):
        raise ValidationError({"item": f"“{instrument.title}” has no question “{item_id}”."})
    check_item_named(instrument, activities, item_id)
    if value is None:
        return None
    item = instrument.item(item_id)
    if not item.allows(value):
        raise ValidationError({"value": f"{value!r} is not an answer to question “{item_id}”."})
    return value


@transaction.atomic
def response_answer_save(*, patient: Patient, instrument_id: str, item_id: str, value: int | None,
                         today: dt.date, activities: list[str] | None = None) -> QuestionnaireResponse:
    """Save one answer (None clears it) into the draft of the occasion due today; a submitted one is left alone."""
    instrument, occasion = _occasion(patient, instrument_id, today)
    response = _locked_response(patient, instrument, occasion)
    if response.status == QuestionnaireResponse.Status.SUBMITTED:
        return response
    if activities is not None and not response.activities:
        response.activities = check_activities(instrument, activities)
    if not item_id and activities is not None:  # PSFS: the activities named, before any rating
        response.save(update_fields=["activities", "updated_at"])
        return response
    value = _checked_value(instrument, item_id, value, response.activities)
    answers = dict(response.answers)
    if value is None:
        answers.pop(item_id, None)
    else:
        answers[item_id] = value
    response.answers = answers
    response.save(update_fields=["answers", "activities", "updated_at"])
    return response


@transaction.atomic
def response_submit(*, patient: Patient, instrument_id: str, today: dt.date,
                    answers: Mapping[str, int | None] | None = None,
                    activities: list[str] | None = None) -> tuple[QuestionnaireResponse, bool]:
    """Submit the occasion's answers (the draft's, with `answers` laid over them) and score them.

    Returns (response, submitted_now): a response already submitted is
    returned as it is, with False, and nothing is scored again.
    """
    instrument, occasion = _occasion(patient, instrument_id, today)
    response = _locked_response(patient, instrument, occasion)
    if response.status == QuestionnaireResponse.Status.SUBMITTED:
        return response, False
    if activities is not None and not response.activities:
        response.activities = check_activities(instrument, activities)
    merged = dict(response.answers)
    for item_id, value in (answers or {}).items():
        value = _checked_value(instrument, item_id, value, response.activities)
        if value is None:
            merged.pop(item_id, None)
        else:
            merged[item_id] = value
    if not merged:
        raise ValidationError({"answers": _("Answer at least one question before sending.")})
    try:
        result = scoring.score(instrument, merged)
    except scoring.InvalidAnswers as error:
        raise ValidationError({"answers": str(error)}) from error
    now = timezone.now()
    response.answers, response.scores = merged, result.as_dict()
    response.primary_score = result.primary.value
    response.instrument_version = instrument.version
    response.status, response.submitted_at, response.answered_on = QuestionnaireResponse.Status.SUBMITTED, now, today
    response.save()
    outcome_flag_sync(response=response, instrument=selectors.clinic_instrument(patient.clinic_id, instrument.id))
    logger.info("questionnaire response %s submitted", response.pk)
    return response, True
