"""The protocol builder: a clinic's own protocols, their phases and prescribed exercises.

Create, change, archive, restore and delete a protocol; clone one (built-in
or the clinic's) to edit it; add, change, move and remove its phases and
exercises; replace all its phases at once (the API). Built-in protocols are
read-only (PermissionDenied). Running assignments are snapshots, so none of
these edits reach a patient's current plan. Load ladders are in
`protocols.services.ladders`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from clinic.models import Clinic
from protocols.ladder import LadderSpecError, Load, generate_ladder, ladder_spec_for_template
from protocols.models import PHASE_CRITERIA_FIELDS, ExerciseTemplate, Phase, PrescribedExercise, Protocol
from protocols.services.editing import changes_save, copy_name, free_slug, require_own_protocol, touch
from protocols.services.ladders import ladder_replace
from protocols.tree import protocol_tree, tree_create


def _free_protocol_slug(clinic: Clinic, wanted: str) -> str:
    return free_slug(Protocol.objects.filter(clinic=clinic), wanted, "protocol")


PROTOCOL_EDITABLE_FIELDS = ("name", "description", "condition", "sessions_per_week")


@transaction.atomic
def protocol_create(
    *,
    clinic: Clinic,
    name: str,
    condition: str,
    description: str = "",
    sessions_per_week: int = 3,
    created_by=None,
) -> Protocol:
    """Start a clinic's own protocol (no phases yet); its slug comes from the name."""
    protocol = Protocol(
        clinic=clinic,
        slug=_free_protocol_slug(clinic, name),
        name=name,
        condition=condition,
        description=description,
        sessions_per_week=sessions_per_week,
        created_by=created_by,
    )
    protocol.full_clean()
    protocol.save()
    return protocol


@transaction.atomic
def protocol_update(*, protocol: Protocol, **changes) -> Protocol:
    """Change a clinic protocol's name, description, condition or planned days per week.

    Built-in protocols are read-only (PermissionDenied). Running assignments are
    snapshots, so they do not change.
    """
    require_own_protocol(protocol)
    changes_save(protocol, changes, editable=PROTOCOL_EDITABLE_FIELDS, action="protocol_update")
    return protocol


@transaction.atomic
def protocol_archive(*, protocol: Protocol) -> Protocol:
    """Archive a clinic protocol: it can no longer be assigned; running assignments go on."""
    return _archived_set(protocol, True)


@transaction.atomic
def protocol_restore(*, protocol: Protocol) -> Protocol:
    """Take a clinic protocol out of the archive, so it can be assigned again."""
    return _archived_set(protocol, False)


def _archived_set(protocol: Protocol, archived: bool) -> Protocol:
    require_own_protocol(protocol)
    if protocol.is_archived != archived:
        protocol.is_archived = archived
        protocol.save(update_fields=["is_archived", "updated_at"])
    return protocol


@transaction.atomic
def protocol_delete(*, protocol: Protocol) -> None:
    """Delete a clinic protocol that was never assigned; one with assignments is archived instead."""
    require_own_protocol(protocol)
    if protocol.assignments.exists():
        raise ValidationError(
            _("This protocol has been assigned to patients, so it cannot be deleted: archive it instead.")
        )
    protocol.delete()


@dataclass(frozen=True)
class ExerciseInput:
    """One prescribed exercise as a therapist enters it; `ladder` None means "generate it from the template"."""

    template: ExerciseTemplate
    frequency_per_week: int = 3
    sets: int | None = None
    reps: int | None = None
    hold_seconds: int | None = None
    duration_min: int | None = None
    notes: str = ""
    ladder: list[Load] | None = None


@dataclass(frozen=True)
class PhaseInput:
    name: str
    exercises: list[ExerciseInput]
    goals: str = ""
    entry_criteria: str = ""
    expected_weeks: int = 2


@transaction.atomic
def protocol_phases_replace(*, protocol: Protocol, phases: list[PhaseInput]) -> Protocol:
    """Replace a clinic protocol's phases, prescribed exercises and load ladders with `phases`, in order.

    A retro treadmill exercise gets the ladder given, or one generated from its
    template's start values, step sizes and caps; other exercises have none.
    Running assignments are snapshots, so they do not change. Built-ins are
    read-only (PermissionDenied).
    """
    require_own_protocol(protocol)
    if not phases:
        raise ValidationError({"phases": _("A protocol needs at least one phase.")})
    tree = [
        {
            "order": phase_order, "name": wanted.name, "goals": wanted.goals,
            "entry_criteria": wanted.entry_criteria, "expected_weeks": wanted.expected_weeks,
            "exercises": [
                _exercise_values(protocol, f"Phase {phase_order + 1}, exercise {order + 1}", order, item)
                for order, item in enumerate(wanted.exercises)
            ],
        }
        for phase_order, wanted in enumerate(phases)
    ]
    protocol.phases.all().delete()
    tree_create(tree, parent=protocol)
    touch(protocol)
    return protocol


def _exercise_values(protocol: Protocol, where: str, order: int, item: ExerciseInput) -> dict:
    """One exercise of `protocol_phases_replace` as a `protocols.tree` exercise, its ladder generated if need be."""
    template = item.template
    if template.clinic_id not in (None, protocol.clinic_id):
        raise ValidationError({"phases": _("%(where)s: the template belongs to another clinic.") % {"where": where}})
    if item.ladder and not template.has_ladder:
        raise ValidationError({"phases": _("%(where)s: only retro treadmill exercises have a load ladder.")
            % {"where": where}})
    ladder: list[Load] = []
    if template.has_ladder:
        try:
            ladder = item.ladder or generate_ladder(ladder_spec_for_template(template))
        except LadderSpecError as error:
            raise ValidationError({"phases": f"{where}: the template's {error.field} {error.message}."}) from None
    return {
        "order": order, "template": template, "frequency_per_week": item.frequency_per_week, "sets": item.sets,
        "reps": item.reps, "hold_seconds": item.hold_seconds, "duration_min": item.duration_min,
        "notes": item.notes, "ladder": ladder,
    }


@transaction.atomic
def protocol_clone(*, protocol: Protocol, clinic: Clinic, created_by=None, name: str | None = None) -> Protocol:
    """Deep-copy a protocol (phases, exercises, ladders) into `clinic`, recording where it came from.

    Unnamed, the copy is "<name> (copy)", built-in or not, so the list never shows two of the same name.
    """
    clone = Protocol(
        clinic=clinic,
        slug=_free_protocol_slug(clinic, protocol.slug),
        name=name or copy_name(protocol.name, Protocol._meta.get_field("name").max_length),
        condition=protocol.condition,
        description=protocol.description,
        sessions_per_week=protocol.sessions_per_week,
        cloned_from=protocol,
        created_by=created_by,
    )
    clone.full_clean()
    clone.save()
    tree_create(protocol_tree(protocol), parent=clone)
    return clone


# -- ordering --------------------------------------------------------------

MOVE_DIRECTIONS = ("up", "down")


def _move(item: Phase | PrescribedExercise, siblings: models.QuerySet, direction: str) -> bool:
    """Swap `item` with its neighbour above or below; False when it is already first or last."""
    if direction not in MOVE_DIRECTIONS:
        raise ValidationError({"direction": _("Choose up or down.")})
    if direction == "up":
        neighbour = siblings.filter(order__lt=item.order).order_by("-order").first()
    else:
        neighbour = siblings.filter(order__gt=item.order).order_by("order").first()
    if neighbour is None:
        return False
    # (parent, order) is unique, so park the item on a free order during the swap.
    parking = siblings.aggregate(top=models.Max("order"))["top"] + 1
    model = type(item)
    mine, theirs = item.order, neighbour.order
    model.objects.filter(pk=item.pk).update(order=parking)
    model.objects.filter(pk=neighbour.pk).update(order=mine)
    model.objects.filter(pk=item.pk).update(order=theirs)
    item.order = theirs
    return True


def _close_gap(siblings: models.QuerySet, removed_order: int) -> None:
    """Renumber the rows after a removed one, lowest first, so orders stay 0..n-1."""
    for pk, order in siblings.filter(order__gt=removed_order).order_by("order").values_list("pk", "order"):
        siblings.model.objects.filter(pk=pk).update(order=order - 1)


def _next_order(siblings: models.QuerySet) -> int:
    top = siblings.aggregate(top=models.Max("order"))["top"]
    return 0 if top is None else top + 1


# -- phases ----------------------------------------------------------------

PHASE_EDITABLE_FIELDS = ("name", "goals", "entry_criteria", "expected_weeks", *PHASE_CRITERIA_FIELDS)


@transaction.atomic
def phase_add(
    *, protocol: Protocol, name: str, goals: str = "", entry_criteria: str = "", expected_weeks: int = 2,
    **criteria,
) -> Phase:
    """Add a phase at the end of a clinic protocol; `criteria` are its checkable entry criteria.

    Their names are PHASE_CRITERIA_FIELDS (minimum weeks since surgery, LSI and ROM minimums, ...).
    """
    require_own_protocol(protocol)
    unknown = set(criteria) - set(PHASE_CRITERIA_FIELDS)
    if unknown:
        raise TypeError(f"phase_add cannot set {', '.join(sorted(unknown))}")
    phase = Phase(protocol=protocol, order=_next_order(protocol.phases.all()), name=name, goals=goals,
                  entry_criteria=entry_criteria, expected_weeks=expected_weeks, **criteria)
    phase.full_clean()
    phase.save()
    touch(protocol)
    return phase


@transaction.atomic
def phase_update(*, phase: Phase, **changes) -> Phase:
    """Change a phase's name, goals, entry criteria (in words and checkable) or expected weeks."""
    require_own_protocol(phase.protocol)
    changes_save(phase, changes, editable=PHASE_EDITABLE_FIELDS, action="phase_update")
    touch(phase.protocol)
    return phase


@transaction.atomic
def phase_remove(*, phase: Phase) -> None:
    """Remove a phase with its exercises and ladders; the phases after it move up."""
    protocol = phase.protocol
    require_own_protocol(protocol)
    order = phase.order
    phase.delete()
    _close_gap(protocol.phases.all(), order)
    touch(protocol)


@transaction.atomic
def phase_move(*, phase: Phase, direction: str) -> bool:
    """Move a phase one place up or down; False when it is already first or last."""
    require_own_protocol(phase.protocol)
    moved = _move(phase, phase.protocol.phases.all(), direction)
    touch(phase.protocol)
    return moved


# -- prescribed exercises --------------------------------------------------

EXERCISE_EDITABLE_FIELDS = ("frequency_per_week", "sets", "reps", "hold_seconds", "duration_min", "notes")


@transaction.atomic
def exercise_add(
    *,
    phase: Phase,
    template: ExerciseTemplate,
    frequency_per_week: int = 3,
    sets: int | None = None,
    reps: int | None = None,
    hold_seconds: int | None = None,
    duration_min: int | None = None,
    notes: str = "",
) -> PrescribedExercise:
    """Prescribe `template` at the end of `phase`.

    With no dose given, the template's default sets, reps, hold and duration
    are used. A retro treadmill exercise gets the ladder its template's start
    values, step sizes and caps generate, ready to adjust.
    """
    protocol = phase.protocol
    require_own_protocol(protocol)
    if template.clinic_id not in (None, protocol.clinic_id):
        raise ValidationError({"template": _("This exercise template belongs to another clinic.")})
    if sets is None and reps is None and hold_seconds is None and duration_min is None:
        sets, reps, hold_seconds = template.default_sets, template.default_reps, template.default_hold_seconds
        duration_min = None if template.has_ladder else template.default_duration_min
    exercise = PrescribedExercise(
        phase=phase, template=template, order=_next_order(phase.exercises.all()),
        frequency_per_week=frequency_per_week, sets=sets, reps=reps, hold_seconds=hold_seconds,
        duration_min=duration_min, notes=notes,
    )
    exercise.full_clean()
    exercise.save()
    if template.has_ladder:
        try:
            ladder_replace(exercise=exercise, steps=generate_ladder(ladder_spec_for_template(template)))
        except LadderSpecError as error:
            raise ValidationError(
                {"template": f"The template's {error.field} {error.message}: fix the template first."}
            ) from None
    touch(protocol)
    return exercise


@transaction.atomic
def exercise_update(*, exercise: PrescribedExercise, **changes) -> PrescribedExercise:
    """Change how often and how much: frequency per week, sets, reps, hold, duration, notes."""
    require_own_protocol(exercise.phase.protocol)
    changes_save(exercise, changes, editable=EXERCISE_EDITABLE_FIELDS, action="exercise_update")
    touch(exercise.phase.protocol)
    return exercise


@transaction.atomic
def exercise_remove(*, exercise: PrescribedExercise) -> None:
    """Remove a prescribed exercise and its ladder; the exercises after it move up."""
    phase = exercise.phase
    require_own_protocol(phase.protocol)
    order = exercise.order
    exercise.delete()
    _close_gap(phase.exercises.all(), order)
    touch(phase.protocol)


@transaction.atomic
def exercise_move(*, exercise: PrescribedExercise, direction: str) -> bool:
    """Move an exercise one place up or down within its phase."""
    require_own_protocol(exercise.phase.protocol)
    moved = _move(exercise, exercise.phase.exercises.all(), direction)
    touch(exercise.phase.protocol)
    return moved
