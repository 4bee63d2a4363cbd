"""A clinic's settings: how patients reach it, the engine's thresholds, automatic progression, staff two-factor,
the default language."""

from __future__ import annotations

import logging
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from clinic.models import Clinic, ClinicSettings, User
from protocols.engine import EngineInputError, parse_input

logger = logging.getLogger(__name__)


def _settings_row_for_update(clinic: Clinic) -> ClinicSettings:
    """The clinic's settings row, locked until the transaction ends (a new, unsaved one if it has none yet)."""
    return ClinicSettings.objects.select_for_update().filter(clinic=clinic).first() or ClinicSettings(clinic=clinic)


def _override_value(name: str, value):
    """JSON-friendly numbers: Decimal from forms becomes int when whole (as the engine's defaults are), else float."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float) and value.is_integer() and ClinicSettings.ENGINE_SETTING_NAMES.get(name) is int:
        return int(value)
    return value


def engine_overrides_check(overrides: dict) -> None:
    """Ask the engine itself whether it accepts these overrides; ValidationError keyed by setting name.

    The same rules then hold here and in every progression check (an override
    the engine refused would make every check of the clinic fail).
    """
    minimal_input = {
        "condition": "pfp",
        "today": "2026-01-01",
        "baseline_pain": 0,
        "frequency_per_week": 1,
        "ladder": [{"speed_kmh": 1, "incline_pct": 0, "duration_min": 1}],
        "current_step": 0,
        "settings": overrides,
    }
    try:
        parse_input(minimal_input)
    except EngineInputError as error:
        name = error.field.removeprefix("settings.")
        key = name if name in ClinicSettings.ENGINE_SETTING_NAMES else "engine_overrides"
        raise ValidationError({key: f"{name} {error.message}."}) from None


@transaction.atomic
def clinic_contact_update(*, clinic: Clinic, phone: str, email: str, hours: str,
                          updated_by: User | None) -> ClinicSettings:
    """Set how patients reach the clinic: phone, e-mail and opening hours, each on one line (may be empty)."""
    row = _settings_row_for_update(clinic)
    row.contact_phone, row.contact_email, row.contact_hours = phone.strip(), email.strip(), hours.strip()
    row.updated_by = updated_by
    row.full_clean()
    row.save()
    logger.info("clinic %s contact updated by user %s", clinic.pk, getattr(updated_by, "pk", None))
    return row


@transaction.atomic
def clinic_settings_update(
    *,
    clinic: Clinic,
    engine_overrides: dict,
    auto_apply_progressions: bool,
    updated_by: User | None,
) -> ClinicSettings:
    """Replace the clinic's engine overrides and the automatic-progression switch, recording who did it.

    `engine_overrides` maps setting names to numbers; None means "use the
    engine's default" and is not stored, so a later change of a default
    reaches every clinic that did not override it.
    """
    overrides = {
        name: _override_value(name, value) for name, value in engine_overrides.items() if value is not None
    }
    row = _settings_row_for_update(clinic)
    row.engine_overrides = overrides
    row.auto_apply_progressions = bool(auto_apply_progressions)
    row.updated_by = updated_by
    row.full_clean()
    engine_overrides_check(overrides)
    row.save()
    logger.info("clinic %s settings updated by user %s: overrides %s, automatic progression %s",
                clinic.pk, getattr(updated_by, "pk", None), sorted(overrides), row.auto_apply_progressions)
    return row


@transaction.atomic
def clinic_two_factor_require(*, clinic, required: bool, updated_by) -> None:
    """Switch whether the clinic's staff must use two-factor sign-in, recording who changed it."""
    row = _settings_row_for_update(clinic)
    row.require_two_factor = bool(required)
    row.updated_by = updated_by
    row.full_clean()
    row.save()
    logger.info("clinic %s two-factor requirement set to %s by user %s", clinic.pk, row.require_two_factor,
                getattr(updated_by, "pk", None))


@transaction.atomic
def clinic_language_set(*, clinic: Clinic, language: str, updated_by: User | None) -> ClinicSettings:
    """Set the clinic's default language (for everyone who has not chosen their own); one of settings.LANGUAGES."""
    row = _settings_row_for_update(clinic)
    row.default_language = language
    row.updated_by = updated_by
    row.full_clean()
    row.save()
    logger.info("clinic %s default language set to %s by user %s", clinic.pk, language,
                getattr(updated_by, "pk", None))
    return row


@transaction.atomic
def clinic_settings_change(
    *,
    clinic: Clinic,
    updated_by: User | None,
    contact: dict | None = None,
    engine: dict | None = None,
    require_two_factor: bool | None = None,
    default_language: str | None = None,
) -> None:
    """Apply what one settings form changed, all or nothing: contact, engine settings, the two-factor switch.

    Each part left None is not touched. `contact` holds `clinic_contact_update`'s
    phone, email and hours; `engine` holds `clinic_settings_update`'s
    engine_overrides and auto_apply_progressions. A part refused (ValidationError)
    undoes the parts before it.
    """
    if contact is not None:
        clinic_contact_update(clinic=clinic, **contact, updated_by=updated_by)
    if engine is not None:
        clinic_settings_update(clinic=clinic, **engine, updated_by=updated_by)
    if require_two_factor is not None:
        clinic_two_factor_require(clinic=clinic, required=require_two_factor, updated_by=updated_by)
    if default_language is not None:
        clinic_language_set(clinic=clinic, language=default_language, updated_by=updated_by)
