"""Writes for outcome questionnaires: importing a clinic's licensed wording, and the clinic's own thresholds.

(Schedules and responses have their own services module.)
"""

from __future__ import annotations

import logging
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from outcomes import fhir_questionnaire, instruments
from outcomes.fhir_questionnaire import QuestionnaireImportError
from outcomes.instruments.base import NO_THRESHOLD, Scale, threshold_limit
from outcomes.models import ClinicThreshold, ImportedQuestionnaire

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
        raise QuestionnaireImportError(gettext("Another import of this instrument finished at the same moment; "
                                       "look at the list and import again if needed.")) from None
    logger.info("questionnaire imported", extra={"clinic_id": clinic.pk, "instrument": instrument.id,
                                                  "import_id": imported.pk})
    return imported


def _tagged_as_test(resource: dict) -> bool:
    meta = resource.get("meta") if isinstance(resource.get("meta"), dict) else {}
    tags = meta.get("tag") if isinstance(meta.get("tag"), list) else []
    return any(isinstance(tag, dict) and tag.get("code") == TEST_WORDING_TAG for tag in tags)


def _editable_scale(instrument_id: str, scale_id: str) -> Scale:
    """The scale whose threshold a clinic may set; ValidationError saying why not."""
    try:
        instrument = instruments.get(instrument_id)
        scale = instrument.scale(scale_id)
    except (instruments.UnknownInstrument, KeyError):
        raise ValidationError({"scale": gettext("There is no scale “%(scale)s” of a questionnaire “%(instrument)s”.")
                                         % {"scale": scale_id, "instrument": instrument_id}}) \
            from None
    if scale.change_kind == NO_THRESHOLD:
        raise ValidationError({"scale": gettext("%(instrument)s – %(scale)s shows the change without judging "
                                                "it: there is no "
                                                "threshold to set.")
                                                    % {"instrument": instrument.title, "scale": scale.title}})
    if scale.threshold_verified:
        raise ValidationError({"scale": gettext("%(instrument)s – %(scale)s uses its published threshold "
                                                "(%(source)s); it "
                                                "cannot be changed.")
                                                    % {"instrument": instrument.title, "scale": scale.title,
                                                                         "source": instrument.source}})
    return scale


def threshold_set(clinic, user, instrument_id: str, scale_id: str, value) -> ClinicThreshold:
    """Set the clinic's important change for one scale whose default is unverified (outcomes.md).

    Refused (ValidationError) for an unknown instrument or scale, a scale with a verified published threshold
    or none at all, and a value outside 0 < value <= the scale's range (a rating scale's top for GROC) or
    with more than one decimal place. Setting it again changes the clinic's one row.
    """
    scale = _editable_scale(instrument_id, scale_id)
    try:
        value = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({"value": gettext("Give the threshold as a number, for example 10 or 11.5.")}) from None
    limit = threshold_limit(scale)
    if not value.is_finite() or value <= 0 or value > limit:
        raise ValidationError({"value": f"The threshold must be more than 0 and at most {limit} points."})
    if value != value.quantize(Decimal("0.1")):
        raise ValidationError({"value": gettext("Use at most one decimal place.")})
    row, _created = ClinicThreshold.objects.update_or_create(
        clinic=clinic, instrument_id=instrument_id, scale_id=scale_id,
        defaults={"important_change": value.quantize(Decimal("0.1")), "changed_by": user})
    logger.info("clinic threshold set", extra={"clinic_id": clinic.pk, "instrument": instrument_id,
                                                "scale": scale_id})
    return row


def threshold_reset(clinic, user, instrument_id: str, scale_id: str) -> bool:
    """Go back to the default threshold of one scale (delete the clinic's row); False when it had none."""
    _editable_scale(instrument_id, scale_id)
    deleted, _ = ClinicThreshold.objects.filter(clinic=clinic, instrument_id=instrument_id, scale_id=scale_id).delete()
    logger.info("clinic threshold reset", extra={"clinic_id": clinic.pk, "instrument": instrument_id,
                                                  "scale": scale_id, "user_id": getattr(user, "pk", None)})
    return bool(deleted)
