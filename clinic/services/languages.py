"""A person's own language: a patient's (Patient.language) or a staff member's (User.language).

Blank follows the clinic's default (clinic/language.py). Only the signed-in person's own row is written: the
actor names it, so no one can set another person's language here (a therapist sets a patient's on the patient
form).
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from clinic.language import LANGUAGE_CODES

logger = logging.getLogger(__name__)


def language_check(language: str) -> str:
    """`language` when it is blank or one of settings.LANGUAGES; ValidationError keyed "language" otherwise."""
    if language and language not in LANGUAGE_CODES:
        raise ValidationError({"language": _("%(value)s is not a language Backstep speaks. Choose one from the "
                                             "list.") % {"value": language}}, code="invalid_choice")
    return language


def language_choose(*, actor, language: str) -> None:
    """The signed-in patient or staff member chooses their own language ("" for the clinic's default)."""
    language_check(language)
    if actor.patient is not None:
        patient = actor.patient
        patient.language = language
        patient.save(update_fields=["language", "updated_at"])
        logger.info("patient %s chose language %s", patient.pk, language or "(clinic default)")
    elif actor.membership is not None:
        user = actor.user
        user.language = language
        user.save(update_fields=["language"])
        logger.info("user %s chose language %s", user.pk, language or "(clinic default)")
    else:
        raise PermissionDenied("Patients and clinic staff only")
