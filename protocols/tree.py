"""A protocol's tree — phases, their exercises, their load ladders — read as plain values and written as rows.

One walk for every place that copies a tree: cloning a protocol, rebuilding
a built-in one from the library, replacing a protocol's phases through the
API, and the patients app's assignment snapshot. The target models are
passed in (`TreeModels`), so the patients app can write its own snapshot rows
with it while this module never imports patients.

A tree is a list of phase dicts (`PHASE_FIELDS` plus "exercises"); an
exercise dict holds `EXERCISE_FIELDS`, "template" (the ExerciseTemplate row)
and "ladder" (a list of `Load`, easiest first). Equal trees mean equal
content, which is how the library decides whether a built-in needs a rebuild.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db import models
from django.db.models import Prefetch

from protocols.ladder import Load
from protocols.models import PHASE_CRITERIA_FIELDS, LadderStep, Phase, PrescribedExercise, Protocol

PHASE_FIELDS = ("order", "name", "goals", "entry_criteria", "expected_weeks", *PHASE_CRITERIA_FIELDS)
EXERCISE_FIELDS = ("order", "frequency_per_week", "sets", "reps", "hold_seconds", "duration_min", "notes")


@dataclass(frozen=True)
class TreeModels:
    """The three models a tree is written into, and the name of each one's parent foreign key."""

    phase: type[models.Model]
    exercise: type[models.Model]
    step: type[models.Model]
    phase_parent: str


PROTOCOL_TREE = TreeModels(phase=Phase, exercise=PrescribedExercise, step=LadderStep, phase_parent="protocol")


def protocol_tree(protocol: Protocol) -> list[dict]:
    """`protocol`'s phases, exercises (with their templates) and ladders as plain values, in four queries."""
    exercises = PrescribedExercise.objects.select_related("template").order_by("order").prefetch_related(
        Prefetch("ladder_steps", queryset=LadderStep.objects.order_by("order"))
    )
    phases = Phase.objects.filter(protocol=protocol).order_by("order").prefetch_related(
        Prefetch("exercises", queryset=exercises)
    )
    return [
        {
            **{name: getattr(phase, name) for name in PHASE_FIELDS},
            "exercises": [
                {
                    **{name: getattr(exercise, name) for name in EXERCISE_FIELDS},
                    "template": exercise.template,
                    "ladder": [Load(s.speed_kmh, s.incline_pct, s.duration_min) for s in exercise.ladder_steps.all()],
                }
                for exercise in phase.exercises.all()
            ],
        }
        for phase in phases
    ]


def ladder_rows_create(model: type[models.Model], *, exercise: models.Model, loads: list[Load]) -> list:
    """Write `loads` as `exercise`'s ladder steps (order 0 the easiest), each checked against the field limits."""
    rows = []
    for order, load in enumerate(loads):
        row = model(exercise=exercise, order=order, speed_kmh=Decimal(load.speed_kmh),
                    incline_pct=Decimal(load.incline_pct), duration_min=load.duration_min)
        _check(row)
        rows.append(row)
    return model.objects.bulk_create(rows)


def _no_extra(_exercise: dict) -> dict:
    return {}


def tree_create(
    tree: list[dict],
    *,
    parent: models.Model,
    into: TreeModels = PROTOCOL_TREE,
    exercise_extra: Callable[[dict], dict] = _no_extra,
) -> list[tuple[models.Model, list[models.Model]]]:
    """Write `tree` under `parent` (a protocol, or an assignment); returns each new phase with its new exercises.

    Every row is checked against its field limits before it is saved (the
    database constraints hold the rest). `exercise_extra(exercise)` adds
    fields only the target has, such as a snapshot's copied template texts.
    """
    written = []
    for phase_values in tree:
        # Checkable entry criteria a tree does not carry (the API's phase input has none) take the model's defaults.
        phase = into.phase(**{into.phase_parent: parent}, **{name: phase_values[name] for name in PHASE_FIELDS
                                                             if name in phase_values})
        _check(phase)
        phase.save()
        exercises = []
        for values in phase_values["exercises"]:
            exercise = into.exercise(
                phase=phase, template=values["template"], **{name: values[name] for name in EXERCISE_FIELDS},
                **exercise_extra(values),
            )
            _check(exercise)
            exercise.save()
            if values["ladder"]:
                ladder_rows_create(into.step, exercise=exercise, loads=values["ladder"])
            exercises.append(exercise)
        written.append((phase, exercises))
    return written


def _check(row: models.Model) -> None:
    """Field limits only, without queries: parents and templates are rows just read or written, and the
    database enforces the unique and check constraints (whose bounds the field validators repeat)."""
    relations = [field.name for field in type(row)._meta.concrete_fields if field.is_relation]
    row.full_clean(exclude=relations, validate_unique=False, validate_constraints=False)
