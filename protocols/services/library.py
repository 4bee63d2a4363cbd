"""Installing Backstep's built-in library: the exercise templates and protocols defined in `protocols.library`."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models, transaction
from django.utils.translation import gettext as _

from protocols.ladder import Load, generate_ladder, ladder_spec_for_template
from protocols.library import PROTOCOLS, TEMPLATES, ExerciseDef, LadderPart, ProtocolDef, TemplateDef
from protocols.models import PHASE_CRITERIA_FIELDS, ExerciseTemplate, Protocol
from protocols.tree import protocol_tree, tree_create

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"


class LibraryError(ValueError):
    """The library definitions in protocols/library.py are inconsistent."""


@dataclass
class LibraryReport:
    """What `library_install` did, per slug: created, updated or unchanged."""

    templates: dict[str, str] = field(default_factory=dict)
    protocols: dict[str, str] = field(default_factory=dict)

    def count(self, kind: str, status: str) -> int:
        return sum(1 for value in getattr(self, kind).values() if value == status)


@transaction.atomic
def library_install(
    *, templates: tuple[TemplateDef, ...] = TEMPLATES, protocols: tuple[ProtocolDef, ...] = PROTOCOLS
) -> LibraryReport:
    """Install or update Backstep's built-in exercise templates and protocols (rows with no clinic).

    Idempotent: rows are matched by slug and only written when they differ
    from the definitions. Templates are updated in place, never deleted (clinic
    protocols may prescribe them). A built-in protocol whose phases, exercises
    or ladders differ is rebuilt; that is safe because assignments are
    snapshots and clinics edit clones, which have their own phases. Rows that
    belong to a clinic are never read or written here.
    """
    report = LibraryReport()
    rows: dict[str, ExerciseTemplate] = {}
    for definition in templates:
        rows[definition.slug], report.templates[definition.slug] = _template_upsert(definition)
    for definition in protocols:
        report.protocols[definition.slug] = _protocol_install(definition, rows)
    return report


def _upsert(model: type[models.Model], lookup: dict, values: dict) -> tuple[models.Model, str]:
    """Create the row matching `lookup`, or update only the fields that differ from `values`."""
    row = model.objects.filter(**lookup).first()
    if row is None:
        row = model(**lookup, **values)
        row.full_clean()
        row.save()
        return row, CREATED
    changed = [name for name, value in values.items() if getattr(row, name) != value]
    if not changed:
        return row, UNCHANGED
    for name in changed:
        setattr(row, name, values[name])
    row.full_clean()
    row.save()
    return row, UPDATED


def _template_upsert(definition: TemplateDef) -> tuple[ExerciseTemplate, str]:
    values = {name: getattr(definition, name) for name in definition.__dataclass_fields__ if name != "slug"}
    return _upsert(ExerciseTemplate, {"clinic": None, "slug": definition.slug}, values)


def _protocol_install(definition: ProtocolDef, templates: dict[str, ExerciseTemplate]) -> str:
    values = {
        "name": definition.name,
        "condition": definition.condition,
        "description": definition.description,
        "sessions_per_week": definition.sessions_per_week,
    }
    protocol, status = _upsert(Protocol, {"clinic": None, "slug": definition.slug}, values)
    wanted = _tree_from_definition(definition, templates)
    if protocol_tree(protocol) == wanted:
        return status
    _protocol_rebuild(protocol, wanted)
    return CREATED if status == CREATED else UPDATED


def library_ladder(part: LadderPart, template: ExerciseTemplate) -> list[Load]:
    """The stretch `part` of the ladder that `template`'s defaults generate, both ends included."""
    full = generate_ladder(ladder_spec_for_template(template))

    def index_of(load: Load | None, default: int) -> int:
        if load is None:
            return default
        try:
            return full.index(load)
        except ValueError:
            raise LibraryError(f"{template.slug}: {load} is not a step of its generated ladder") from None

    first, last = index_of(part.first, 0), index_of(part.last, len(full) - 1)
    if last < first:
        raise LibraryError(f"{template.slug}: ladder part ends before it starts")
    return full[first : last + 1]


def _tree_from_definition(definition: ProtocolDef, templates: dict[str, ExerciseTemplate]) -> list[dict]:
    """The definition as a `protocols.tree` tree, to compare with the installed one and to write."""
    return [
        {
            "order": order,
            "name": phase.name,
            "goals": phase.goals,
            "entry_criteria": phase.entry_criteria,
            "expected_weeks": phase.expected_weeks,
            **{name: getattr(phase, name) for name in PHASE_CRITERIA_FIELDS},
            "exercises": [
                _exercise_values(position, exercise, templates) for position, exercise in enumerate(phase.exercises)
            ],
        }
        for order, phase in enumerate(definition.phases)
    ]


def _exercise_values(order: int, exercise: ExerciseDef, templates: dict[str, ExerciseTemplate]) -> dict:
    template = templates.get(exercise.template)
    if template is None:
        raise LibraryError(f"Unknown template {exercise.template!r} in the protocol library")
    if (exercise.ladder is not None) != template.has_ladder:
        raise LibraryError(f"{exercise.template}: a ladder goes with treadmill templates, and only with them")
    return {
        "order": order,
        "template": template,
        "frequency_per_week": exercise.frequency_per_week,
        "sets": exercise.sets,
        "reps": exercise.reps,
        "hold_seconds": exercise.hold_seconds,
        "duration_min": exercise.duration_min,
        "notes": exercise.notes,
        "ladder": library_ladder(exercise.ladder, template) if exercise.ladder is not None else [],
    }


def _protocol_rebuild(protocol: Protocol, tree: list[dict]) -> None:
    """Replace a built-in protocol's phases with `tree`; clinic rows are never passed here."""
    if protocol.clinic_id is not None:
        raise LibraryError(_("Only built-in protocols are rebuilt from the library."))
    protocol.phases.all().delete()
    tree_create(tree, parent=protocol)
