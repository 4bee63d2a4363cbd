"""Load ladders of a clinic's retro treadmill exercises: preview one, save it, edit one step by hand.

A preview is pure (nothing saved); saving writes exactly the previewed
ladder. The ladder's specs — from a template, and checked for a therapist —
are pure and live in `protocols.ladder`.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from protocols.ladder import MAX_STEPS, LadderSpec, LadderSpecError, Load, generate_ladder, ladder_spec_errors
from protocols.models import LadderStep, PrescribedExercise
from protocols.services.editing import require_own_protocol, touch
from protocols.tree import ladder_rows_create


@transaction.atomic
def ladder_replace(*, exercise: PrescribedExercise, steps: list[Load]) -> list[LadderStep]:
    """Replace an exercise's ladder with `steps` (easiest first)."""
    exercise.ladder_steps.all().delete()
    return ladder_rows_create(LadderStep, exercise=exercise, loads=steps)


def ladder_generate(*, spec: LadderSpec) -> list[Load]:
    """Preview the ladder `spec` generates, one variable per step. Pure: nothing is saved.

    Raises ValidationError naming the LadderSpec fields at fault.
    """
    errors = ladder_spec_errors(spec.__dict__)
    if errors:
        raise ValidationError(errors)
    try:
        steps = generate_ladder(spec)
    except LadderSpecError as error:
        raise ValidationError({error.field: error.message}) from None
    last = steps[-1]
    reached = (
        last.duration_min >= spec.max_duration_min
        and (spec.speed_step_kmh == 0 or last.speed_kmh >= spec.max_speed_kmh)
        and (spec.incline_step_pct == 0 or last.incline_pct >= spec.max_incline_pct)
    )
    if len(steps) >= MAX_STEPS and not reached:
        raise ValidationError(
            _("These step sizes need more than %(count)d steps to reach the caps: use bigger steps or lower caps.")
            % {"count": MAX_STEPS}
        )
    return steps


@transaction.atomic
def ladder_save(*, exercise: PrescribedExercise, spec: LadderSpec) -> list[LadderStep]:
    """Replace a retro treadmill exercise's ladder with the one `spec` generates (the previewed ladder).

    Hand edits to the old steps are replaced. Built-ins are read-only.
    """
    require_own_protocol(exercise.phase.protocol)
    if not exercise.template.has_ladder:
        raise ValidationError(_("Only retro treadmill walks and runs have a load ladder."))
    steps = ladder_replace(exercise=exercise, steps=ladder_generate(spec=spec))
    touch(exercise.phase.protocol)
    return steps


@transaction.atomic
def ladder_step_update(*, step: LadderStep, speed_kmh: Decimal, incline_pct: Decimal, duration_min: int) -> LadderStep:
    """Edit one step by hand.

    Any load within the field limits is allowed, including a steep incline or
    a change of several variables at once: the engine holds before such a
    step until the therapist approves (rule R10), and the builder marks it.
    """
    protocol = step.exercise.phase.protocol
    require_own_protocol(protocol)
    step.speed_kmh, step.incline_pct, step.duration_min = speed_kmh, incline_pct, duration_min
    step.full_clean()
    step.save()
    touch(protocol)
    return step
