"""Writes for the exercise library and protocols."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import models, transaction

from clinic.models import Clinic
from protocols.ladder import LadderSpec, Load, generate_ladder
from protocols.library import PROTOCOLS, TEMPLATES, ExerciseDef, LadderPart, ProtocolDef, TemplateDef
from protocols.models import ExerciseTemplate, LadderStep, Phase, PrescribedExercise, Protocol


def ladder_spec_for_template(template: ExerciseTemplate, **overrides) -> LadderSpec:
    """The ladder spec a template implies; missing template values fall back to the rule defaults."""
    defaults = LadderSpec()
    values = {
        "start_speed_kmh": template.default_speed_kmh,
        "start_incline_pct": template.default_incline_pct,
        "start_duration_min": template.default_duration_min,
        "speed_step_kmh": template.speed_step_kmh,
        "incline_step_pct": template.incline_step_pct,
        "duration_step_min": template.duration_step_min,
        "max_speed_kmh": template.max_speed_kmh,
        "max_incline_pct": template.max_incline_pct,
        "max_duration_min": template.max_duration_min,
    }
    spec = {k: (getattr(defaults, k) if v is None else v) for k, v in values.items()}
    spec.update(overrides)
    return LadderSpec(**spec)


@transaction.atomic
def ladder_replace(*, exercise: PrescribedExercise, steps: list[Load]) -> list[LadderStep]:
    """Replace an exercise's ladder with `steps` (easiest first)."""
    exercise.ladder_steps.all().delete()
    rows = []
    for order, load in enumerate(steps):
        row = LadderStep(
            exercise=exercise,
            order=order,
            speed_kmh=Decimal(load.speed_kmh),
            incline_pct=Decimal(load.incline_pct),
            duration_min=load.duration_min,
        )
        row.full_clean(exclude=["exercise"])
        rows.append(row)
    return LadderStep.objects.bulk_create(rows)


@transaction.atomic
def prescribed_exercise_generate_ladder(*, exercise: PrescribedExercise, spec: LadderSpec | None = None) -> list[LadderStep]:
    """(Re)generate an exercise's ladder from its template's defaults or an explicit spec."""
    spec = spec or ladder_spec_for_template(exercise.template)
    return ladder_replace(exercise=exercise, steps=generate_ladder(spec))


@transaction.atomic
def protocol_clone(*, protocol: Protocol, clinic: Clinic, created_by=None, name: str | None = None) -> Protocol:
    """Deep-copy a protocol (phases, exercises, ladders) into `clinic`, recording where it came from."""
    base_slug = protocol.slug[:70]
    slug, n = base_slug, 1
    while Protocol.objects.filter(clinic=clinic, slug=slug).exists():
        n += 1
        slug = f"{base_slug}-{n}"
    clone = Protocol(
        clinic=clinic,
        slug=slug,
        name=name or protocol.name,
        condition=protocol.condition,
        description=protocol.description,
        sessions_per_week=protocol.sessions_per_week,
        cloned_from=protocol,
        created_by=created_by,
    )
    clone.full_clean()
    clone.save()
    phases = list(protocol.phases.prefetch_related("exercises__ladder_steps").order_by("order"))
    for phase in phases:
        new_phase = Phase(
            protocol=clone,
            order=phase.order,
            name=phase.name,
            goals=phase.goals,
            entry_criteria=phase.entry_criteria,
            expected_weeks=phase.expected_weeks,
        )
        new_phase.full_clean()
        new_phase.save()
        for exercise in phase.exercises.all():
            new_exercise = PrescribedExercise.objects.create(
                phase=new_phase,
                template=exercise.template,
                order=exercise.order,
                frequency_per_week=exercise.frequency_per_week,
                sets=exercise.sets,
                reps=exercise.reps,
                hold_seconds=exercise.hold_seconds,
                duration_min=exercise.duration_min,
                notes=exercise.notes,
            )
            LadderStep.objects.bulk_create(
                LadderStep(
                    exercise=new_exercise,
                    order=step.order,
                    speed_kmh=step.speed_kmh,
                    incline_pct=step.incline_pct,
                    duration_min=step.duration_min,
                )
                for step in exercise.ladder_steps.all()
            )
    return clone


# ---------------------------------------------------------------------------
# Built-in library
# ---------------------------------------------------------------------------

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
    wanted = _blueprint_from_definition(definition, templates)
    if _blueprint_from_database(protocol) == wanted:
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


# A protocol's content as comparable plain values: phases, their exercises and ladders.
_PHASE_FIELDS = ("order", "name", "goals", "entry_criteria", "expected_weeks")
_EXERCISE_FIELDS = ("order", "template_id", "frequency_per_week", "sets", "reps", "hold_seconds", "duration_min", "notes")


def _blueprint_from_definition(definition: ProtocolDef, templates: dict[str, ExerciseTemplate]) -> list[dict]:
    phases = []
    for order, phase in enumerate(definition.phases):
        exercises = [
            _exercise_blueprint(position, exercise, templates) for position, exercise in enumerate(phase.exercises)
        ]
        phases.append({
            "order": order,
            "name": phase.name,
            "goals": phase.goals,
            "entry_criteria": phase.entry_criteria,
            "expected_weeks": phase.expected_weeks,
            "exercises": exercises,
        })
    return phases


def _exercise_blueprint(order: int, exercise: ExerciseDef, templates: dict[str, ExerciseTemplate]) -> dict:
    template = templates.get(exercise.template)
    if template is None:
        raise LibraryError(f"Unknown template {exercise.template!r} in the protocol library")
    if (exercise.ladder is not None) != template.has_ladder:
        raise LibraryError(f"{exercise.template}: a ladder goes with treadmill templates, and only with them")
    ladder = library_ladder(exercise.ladder, template) if exercise.ladder is not None else []
    return {
        "order": order,
        "template_id": template.pk,
        "frequency_per_week": exercise.frequency_per_week,
        "sets": exercise.sets,
        "reps": exercise.reps,
        "hold_seconds": exercise.hold_seconds,
        "duration_min": exercise.duration_min,
        "notes": exercise.notes,
        "ladder": [(load.speed_kmh, load.incline_pct, load.duration_min) for load in ladder],
    }


def _blueprint_from_database(protocol: Protocol) -> list[dict]:
    phases = protocol.phases.prefetch_related("exercises__ladder_steps").order_by("order")
    return [
        {
            **{name: getattr(phase, name) for name in _PHASE_FIELDS},
            "exercises": [
                {
                    **{name: getattr(exercise, name) for name in _EXERCISE_FIELDS},
                    "ladder": [(s.speed_kmh, s.incline_pct, s.duration_min) for s in exercise.ladder_steps.all()],
                }
                for exercise in phase.exercises.all()
            ],
        }
        for phase in phases
    ]


def _protocol_rebuild(protocol: Protocol, blueprint: list[dict]) -> None:
    """Replace a built-in protocol's phases with `blueprint`; clinic rows are never passed here."""
    if protocol.clinic_id is not None:
        raise LibraryError("Only built-in protocols are rebuilt from the library.")
    protocol.phases.all().delete()
    for phase_values in blueprint:
        phase = Phase(protocol=protocol, **{name: phase_values[name] for name in _PHASE_FIELDS})
        phase.full_clean()
        phase.save()
        for values in phase_values["exercises"]:
            exercise = PrescribedExercise(phase=phase, **{name: values[name] for name in _EXERCISE_FIELDS})
            exercise.full_clean()
            exercise.save()
            if values["ladder"]:
                ladder_replace(exercise=exercise, steps=[Load(*step) for step in values["ladder"]])
