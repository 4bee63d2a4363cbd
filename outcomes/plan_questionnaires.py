"""Services for the questionnaires on a plan: copied from the protocol when it is assigned, added or skipped by
the therapist on the patient's page.

Patients must not import outcomes (the domain apps import one way), so the copy
runs from Django's post_save of a new Assignment (registered in
`outcomes.apps`), inside the transaction that writes the assignment: a refused
assignment leaves no schedule behind.
"""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from outcomes import instruments
from outcomes.models import AssignmentQuestionnaire, ProtocolQuestionnaire
from patients.models import Assignment
from protocols.models import Protocol

logger = logging.getLogger(__name__)

RULE_FIELDS = ("at_start", "every_weeks", "at_phase_change", "at_end")


def _check_instrument(instrument_id: str) -> None:
    try:
        instruments.get(instrument_id)
    except instruments.UnknownInstrument as error:
        raise ValidationError({"instrument_id": _("There is no questionnaire “%(id)s”.")
            % {"id": instrument_id}}) from error


def _check_rule(rule) -> None:
    if not (rule.at_start or rule.every_weeks or rule.at_phase_change or rule.at_end):
        raise ValidationError({"at_start": _("Choose when the questionnaire is due: at the start, every N weeks, "
                                           "at each phase change or at the end.")})


@transaction.atomic
def protocol_questionnaire_set(*, protocol: Protocol, instrument_id: str, at_start: bool = True,
                               every_weeks: int | None = None, at_phase_change: bool = False,
                               at_end: bool = False) -> ProtocolQuestionnaire:
    """Say that `protocol` asks for `instrument_id` on these occasions (replacing what it said before)."""
    _check_instrument(instrument_id)
    row = ProtocolQuestionnaire.objects.filter(protocol=protocol, instrument_id=instrument_id).first()
    row = row or ProtocolQuestionnaire(protocol=protocol, instrument_id=instrument_id)
    row.at_start, row.every_weeks, row.at_phase_change, row.at_end = at_start, every_weeks, at_phase_change, at_end
    _check_rule(row)
    row.full_clean(validate_constraints=False)
    row.save()
    return row


@transaction.atomic
def protocol_questionnaire_remove(*, protocol: Protocol, instrument_id: str) -> None:
    """The protocol no longer asks for `instrument_id` (plans already assigned keep their copy)."""
    deleted, _rows = ProtocolQuestionnaire.objects.filter(protocol=protocol, instrument_id=instrument_id).delete()
    if not deleted:
        raise ValidationError({"instrument_id": _("This protocol does not ask for that questionnaire.")})


def plan_questionnaires_copy(*, assignment: Assignment) -> list[AssignmentQuestionnaire]:
    """Copy the protocol's questionnaires into a new assignment (nothing when the protocol names none)."""
    if assignment.protocol_id is None:
        return []
    rows = [
        AssignmentQuestionnaire(assignment=assignment, instrument_id=rule.instrument_id,
                                source=AssignmentQuestionnaire.Source.PROTOCOL,
                                **{name: getattr(rule, name) for name in RULE_FIELDS})
        for rule in ProtocolQuestionnaire.objects.filter(protocol_id=assignment.protocol_id)
    ]
    return AssignmentQuestionnaire.objects.bulk_create(rows)


def copy_on_clone(sender, instance: Protocol, created: bool, raw: bool = False, **kwargs) -> None:
    """post_save receiver: a protocol cloned from another asks the same questionnaires (protocols never imports
    outcomes, so the clone service cannot copy them itself)."""
    if created and not raw and instance.cloned_from_id:
        ProtocolQuestionnaire.objects.bulk_create([
            ProtocolQuestionnaire(protocol=instance, instrument_id=rule.instrument_id,
                                  **{name: getattr(rule, name) for name in RULE_FIELDS})
            for rule in ProtocolQuestionnaire.objects.filter(protocol_id=instance.cloned_from_id)
        ])


def copy_on_assignment(sender, instance: Assignment, created: bool, raw: bool = False, **kwargs) -> None:
    """post_save receiver: a new assignment gets its protocol's questionnaires (fixtures loaded raw do not)."""
    if created and not raw:
        plan_questionnaires_copy(assignment=instance)


@transaction.atomic
def plan_questionnaire_add(*, assignment: Assignment, instrument_id: str, user, at_start: bool = True,
                           every_weeks: int | None = None, at_phase_change: bool = False,
                           at_end: bool = False) -> AssignmentQuestionnaire:
    """Add a questionnaire to a running plan, or change (and un-skip) one it already has."""
    _check_instrument(instrument_id)
    if assignment.status != Assignment.Status.ACTIVE:
        raise ValidationError({"instrument_id": _("This plan has ended; questionnaires are added to a running plan.")})
    row = AssignmentQuestionnaire.objects.select_for_update().filter(
        assignment=assignment, instrument_id=instrument_id).first()
    row = row or AssignmentQuestionnaire(assignment=assignment, instrument_id=instrument_id,
                                         source=AssignmentQuestionnaire.Source.THERAPIST)
    row.at_start, row.every_weeks, row.at_phase_change, row.at_end = at_start, every_weeks, at_phase_change, at_end
    row.skipped, row.changed_by = False, user
    _check_rule(row)
    row.full_clean(validate_constraints=False)
    row.save()
    logger.info("plan %s questionnaire %s set by user %s", assignment.pk, instrument_id, getattr(user, "pk", None))
    return row


@transaction.atomic
def plan_questionnaire_skip(*, row: AssignmentQuestionnaire, user, skipped: bool = True) -> AssignmentQuestionnaire:
    """Skip a questionnaire on this plan (it is no longer asked), or ask it again."""
    row = AssignmentQuestionnaire.objects.select_for_update().get(pk=row.pk)
    row.skipped, row.changed_by = skipped, user
    row.save(update_fields=["skipped", "changed_by"])
    return row
