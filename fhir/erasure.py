"""Erasing a patient (right to erasure): clinical rows, pictures and videos, and the login go; the trail stays.

Here rather than in `patients`: erasure reaches every app that holds data
about a patient (exercise media's files, remote monitoring's time, the
patients app's rows), and `patients` importing those apps would make them
import each other. Audit events are kept: they name the patient by id only
and have no database link to the patient (clinic.models.AuditEvent), and the
erasure is itself an event (the page's POST, written by the audit middleware).
"""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from clinic.models import Notification
from exercise_media.models import ExerciseMedia
from exercise_media.storage import delete_quietly
from patients.models import Patient

logger = logging.getLogger(__name__)


def erasure_word(patient: Patient) -> str:
    """What the admin types to confirm: the external reference, or the full name for a patient without one."""
    return patient.external_ref or patient.full_name


def patient_erase(*, patient: Patient, confirmation: str) -> dict:
    """Remove `patient` and everything about them; returns how many rows of each kind went (no names).

    `confirmation` must repeat `erasure_word(patient)` exactly (spaces around it
    aside): ValidationError({"confirmation": ...}) otherwise. Cannot be undone.
    """
    if confirmation.strip() != erasure_word(patient):
        message = (_("Type the patient's external reference exactly as shown to erase them.") if patient.external_ref
                   else _("Type the patient's full name exactly as shown to erase them."))
        raise ValidationError({"confirmation": message})
    patient_id, clinic_id = patient.pk, patient.clinic_id
    with transaction.atomic():
        media = ExerciseMedia.objects.filter(patient_id=patient_id)
        files = [name for row in media.values_list("file", "thumbnail", "original") for name in row if name]
        login = patient.user
        # E-mails about the patient's flags quote their clinic reference: the log of them goes too.
        notifications, _kinds = Notification.objects.filter(flag__patient_id=patient_id).delete()
        _total, removed = patient.delete()
        removed["notification"] = notifications
        # The login goes too, unless it is also a staff account somewhere (then only its patient link went).
        if login is not None and not login.memberships.exists():
            login.delete()
            removed["login"] = 1
        transaction.on_commit(lambda: delete_quietly(*files))
    logger.info("patient %s erased (clinic %s)", patient_id, clinic_id)
    return {label.rsplit(".", 1)[-1].lower(): count for label, count in removed.items() if count}
