"""Writes for outcome questionnaires: importing a clinic's licensed wording.

(Schedules and responses have their own services module.)
"""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from outcomes import fhir_questionnaire
from outcomes.fhir_questionnaire import QuestionnaireImportError
from outcomes.models import ImportedQuestionnaire

logger = logging.getLogger(__name__)
TEST_WORDING_TAG = "test-wording"  # Questionnaire.meta.tag code that marks wording written for tests or the demo


def questionnaire_import(clinic, user, raw_bytes: bytes, confirm_instrument_id: str | None = None, *,
                         is_test_wording: bool = False) -> ImportedQuestionnaire:
    """Import a FHIR R4 Questionnaire as this clinic's wording of a licensed instrument.

    The file is read defensively and matched to an instrument (`outcomes.fhir_questionnaire`): by LOINC
    code or linkIds, else `confirm_instrument_id` names it (NeedsConfirmation when neither). Item and
    answer counts and values must match the instrument; otherwise QuestionnaireImportError names the
    item that differs. Re-importing replaces the clinic's active wording of that instrument: the old row
    is kept, marked `replaced_at`, in the same transaction. The wording is marked test wording when
    `is_test_wording` is given or the file carries the meta.tag code "test-wording".
    """
    parsed = fhir_questionnaire.parse(raw_bytes)
    instrument = fhir_questionnaire.match_instrument(parsed, confirm_instrument_id)
    wording = fhir_questionnaire.map_wording(parsed, instrument)
    imported = ImportedQuestionnaire(
        clinic=clinic, instrument_id=instrument.id, instrument_version=instrument.version, title=parsed.title,
        fhir=parsed.resource, wording=wording, uploaded_by=user,
        is_test_wording=is_test_wording or _tagged_as_test(parsed.resource))
    imported.full_clean(exclude=["clinic", "uploaded_by"])
    try:
        with transaction.atomic():
            now = timezone.now()
            (ImportedQuestionnaire.objects.select_for_update()
             .filter(clinic=clinic, instrument_id=instrument.id, replaced_at__isnull=True)
             .update(replaced_at=now))
            imported.save()
    except IntegrityError:
        raise QuestionnaireImportError("Another import of this instrument finished at the same moment; "
                                       "look at the list and import again if needed.") from None
    logger.info("questionnaire imported", extra={"clinic_id": clinic.pk, "instrument": instrument.id,
                                                  "import_id": imported.pk})
    return imported


def _tagged_as_test(resource: dict) -> bool:
    meta = resource.get("meta") if isinstance(resource.get("meta"), dict) else {}
    tags = meta.get("tag") if isinstance(meta.get("tag"), list) else []
    return any(isinstance(tag, dict) and tag.get("code") == TEST_WORDING_TAG for tag in tags)
