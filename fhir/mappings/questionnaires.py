"""Outcome questionnaires as FHIR: the instruments a clinic has (Questionnaire), the answers patients submitted
(QuestionnaireResponse) and every stored scale score (Observation, category `survey`).

- A Questionnaire is one instrument version, id `<instrument-id>-<version>` (`koos-1`). A built-in carries
  Backstep's wording and the canonical URL `{SITE_URL}/fhir/Questionnaire/<instrument-id>`. A licensed
  instrument exists only for a clinic that imported its wording; that text is the clinic's, so its URL is
  under the clinic (`.../fhir/clinic/<slug>/Questionnaire/<instrument-id>`) and no other clinic ever reads it.
  Choice items list `answerOption.valueCoding` (code = the value scored, in `CodeSystem/answer-value`,
  with the `ordinalValue` extension); numeric items are `integer` with `minValue`/`maxValue`.
- A QuestionnaireResponse refers to its Questionnaire as `url|version`, is `completed`, `authored` when
  submitted; its items carry the answers (PSFS: the activity the patient named is the item's text). A
  licensed instrument's question text is left to its Questionnaire.
- A score Observation per stored scale: code LOINC where outcomes.md gives one (KOOS symptoms 72101-9,
  pain 0-10 72514-3) and always Backstep's `<instrument-id>-<scale-id>` in `CodeSystem/backstep`;
  `valueQuantity` in UCUM `{score}`, or, when the scale was not scorable, `dataAbsentReason` with the
  reason as a note; `derivedFrom` the QuestionnaireResponse. Ids: `score-<response pk>-<instrument>-<scale>`.
"""

from __future__ import annotations

from decimal import Decimal

from fhir.mappings.common import (
    BACKSTEP_CODES,
    LOINC,
    OBSERVATION_CATEGORY,
    UCUM,
    canonical,
    coding,
    instant,
    number,
    reference,
)
from outcomes.instruments import Instrument, Item, Scale
from outcomes.selectors import Wording

ANSWER_VALUES = "CodeSystem/answer-value"  # an answer's code is the value the instrument scores (as text)
ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
DATA_ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
SCORE_UNIT = "{score}"


def questionnaire_id(instrument_id: str, version: str) -> str:
    return f"{instrument_id}-{version}"


def questionnaire_url(instrument: Instrument, clinic_slug: str) -> str:
    """The canonical URL: Backstep's for a built-in, the clinic's for a licensed instrument (its own wording)."""
    path = f"Questionnaire/{instrument.id}"
    return canonical(f"clinic/{clinic_slug}/{path}" if instrument.licensed else path)


def _option(item: Item, value: int, wording: Wording) -> dict:
    label = wording.label(item.id, value) if item.id in wording.items else None
    return {"valueCoding": {**coding(canonical(ANSWER_VALUES), str(value), label or ""),
                            "extension": [{"url": ORDINAL_VALUE, "valueDecimal": value}]}}


def _question(item: Item, wording: Wording) -> dict:
    question = {"linkId": item.id, "text": wording.text(item.id) if item.id in wording.items else item.id}
    if item.code:
        question["code"] = [coding(LOINC, item.code)]
    if item.is_numeric:
        question["type"] = "integer"
        question["extension"] = [{"url": MIN_VALUE, "valueInteger": item.minimum},
                                 {"url": MAX_VALUE, "valueInteger": item.maximum}]
    else:
        question["type"] = "choice"
        question["answerOption"] = [_option(item, value, wording) for value in item.values]
    return question


def questionnaire_resource(instrument: Instrument, wording: Wording, *, clinic_slug: str,
                           codes: list[dict] = ()) -> dict:
    """One instrument as the clinic has it; `codes` adds the panel codes an imported Questionnaire carried."""
    resource = {
        "resourceType": "Questionnaire", "id": questionnaire_id(instrument.id, instrument.version),
        "url": questionnaire_url(instrument, clinic_slug), "version": instrument.version,
        "name": "".join(part.capitalize() for part in instrument.id.split("-")),
        "title": wording.title or instrument.title, "status": "active", "subjectType": ["Patient"],
        "item": [_question(item, wording) for item in instrument.items],
    }
    panel = [coding(LOINC, instrument.loinc)] if instrument.loinc else []
    panel += [code for code in codes if code not in panel]
    if panel:
        resource["code"] = panel
    return resource


def _answer(item: Item, value: int, wording: Wording | None) -> dict:
    if item.is_numeric:
        return {"valueInteger": value}
    label = wording.label(item.id, value) if wording and item.id in wording.items else None
    return {"valueCoding": coding(canonical(ANSWER_VALUES), str(value), label or "")}


def _answered_item(item: Item, value: int, wording: Wording | None, activity: str | None) -> dict:
    answered = {"linkId": item.id}
    text = activity or (wording.text(item.id) if wording and item.id in wording.items else "")
    if text:
        answered["text"] = text
    answered["answer"] = [_answer(item, value, wording)]
    return answered


def questionnaire_response_resource(response, instrument: Instrument, wording: Wording | None) -> dict:
    """A submitted response; `wording` is Backstep's for a built-in, None for a licensed instrument."""
    activities = dict(zip(instrument.item_ids, response.activities or [], strict=False))
    items = [_answered_item(item, response.answers[item.id], wording, activities.get(item.id))
             for item in instrument.items if isinstance(response.answers.get(item.id), int)]
    resource = {
        "resourceType": "QuestionnaireResponse", "id": str(response.pk),
        "questionnaire": f"{questionnaire_url(instrument, response.patient.clinic.slug)}"
                         f"|{response.instrument_version}",
        "status": "completed", "subject": reference("Patient", response.patient_id),
        "authored": instant(response.submitted_at),
    }
    if response.assignment_id:
        resource["basedOn"] = [reference("CarePlan", response.assignment_id)]
    if items:
        resource["item"] = items
    return resource


def score_codes(instrument: Instrument, scale: Scale) -> tuple[tuple[str, str], ...]:
    """(system, code) of a scale's score: its LOINC code when verified, and always Backstep's own."""
    own = (BACKSTEP_CODES, f"{instrument.id}-{scale.id}")
    return ((LOINC, scale.code), own) if scale.code else (own,)


def _stored(response, scale_id: str) -> dict:
    for stored in (response.scores or {}).get("scales", []):
        if stored.get("scale") == scale_id:
            return stored
    return {"value": None, "reason": "No score was stored for this scale."}


def score_observation(response, instrument: Instrument, scale: Scale) -> dict:
    """One stored scale score of a submitted response, as it was computed at submission."""
    title = f"{instrument.title}: {scale.title}"
    codings = [coding(system if "://" in system else canonical(system), code, title)
               for system, code in score_codes(instrument, scale)]
    resource = {
        "resourceType": "Observation", "id": f"score-{response.pk}-{instrument.id}-{scale.id}", "status": "final",
        "category": [{"coding": [coding(OBSERVATION_CATEGORY, "survey", "Survey")]}],
        "code": {"coding": codings, "text": title},
        "subject": reference("Patient", response.patient_id),
        "effectiveDateTime": instant(response.submitted_at),
        "derivedFrom": [reference("QuestionnaireResponse", response.pk)],
    }
    stored = _stored(response, scale.id)
    if stored.get("value") is None:
        resource["dataAbsentReason"] = {"coding": [coding(DATA_ABSENT, "unknown", "Unknown")],
                                        "text": "Not scorable"}
        resource["note"] = [{"text": stored.get("reason") or "Not scorable."}]
    else:
        resource["valueQuantity"] = {"value": number(Decimal(stored["value"])), "unit": "score",
                                     "system": UCUM, "code": SCORE_UNIT}
    return resource
