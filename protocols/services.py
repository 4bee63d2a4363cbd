"""Writes for the exercise library and protocols."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from clinic.models import Clinic
from protocols.ladder import LadderSpec, Load, generate_ladder
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
        new_phase = Phase.objects.create(
            protocol=clone,
            order=phase.order,
            name=phase.name,
            goals=phase.goals,
            entry_criteria=phase.entry_criteria,
            expected_weeks=phase.expected_weeks,
        )
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
