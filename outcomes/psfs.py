"""PSFS's own part: the patient names 1-5 activities the first time and is asked about the same ones later.

The activities are not answers (outcomes.instruments.builtin): the response
carries them, and the items A1..A5 are the activities in the order named.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from outcomes.instruments import PSFS_ACTIVITY_IDS
from outcomes.models import QuestionnaireResponse

PSFS_ID = "psfs"
ACTIVITY_MAX_LENGTH = 80


def is_psfs(instrument) -> bool:
    return instrument.id == PSFS_ID


def first_activities(*, patient, instrument) -> list[str]:
    """The activities the patient named on their first PSFS (asked again, same order); [] for others."""
    if not is_psfs(instrument):
        return []
    named = (QuestionnaireResponse.objects.filter(patient=patient, instrument_id=PSFS_ID)
             .exclude(activities=[]).order_by("due_date", "id").values_list("activities", flat=True).first())
    return list(named or [])


def check_activities(instrument, activities) -> list[str]:
    """The patient's 1-5 activities, trimmed; refused when empty, too many or too long. [] for other instruments."""
    if not is_psfs(instrument):
        return []
    if any(ord(ch) < 32 or ch == "\x7f" for a in activities or [] for ch in str(a)):
        raise ValidationError({"activities": _("An activity cannot hold control characters.")})
    names = [" ".join(str(a).split()) for a in activities or [] if str(a).strip()]
    if not names:
        raise ValidationError({"activities": _("Name at least one activity you find hard because of your knee.")})
    if len(names) > len(PSFS_ACTIVITY_IDS):
        raise ValidationError({"activities": _("Name at most %(count)d activities.")
            % {"count": len(PSFS_ACTIVITY_IDS)}})
    if any(len(name) > ACTIVITY_MAX_LENGTH for name in names):
        raise ValidationError({"activities": _("Keep each activity under %(count)d characters.")
            % {"count": ACTIVITY_MAX_LENGTH}})
    return names


def check_item_named(instrument, activities: list[str], item_id: str) -> None:
    """A PSFS answer must be about an activity the patient named (A1 is the first, and so on)."""
    if is_psfs(instrument) and item_id in PSFS_ACTIVITY_IDS:
        if PSFS_ACTIVITY_IDS.index(item_id) >= len(activities):
            raise ValidationError({"item": _("Name your activities before rating them.")})


def asked_items(instrument, activities: list[str]):
    """The items to put to the patient: all of them, or for PSFS one per named activity, with its name."""
    if not is_psfs(instrument):
        return [(item, None) for item in instrument.items]
    return [(item, name) for item, name in zip(instrument.items, activities, strict=False)]
