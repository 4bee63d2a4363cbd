"""The `dose_words` filter: how much of an exercise, in words, on every page (see protocols.doses)."""

from __future__ import annotations

from django import template

from protocols.doses import dose_in_words

register = template.Library()


@register.filter
def dose_words(exercise) -> str:
    """An assigned exercise's dose today: its current ladder step (when annotated) or its sets, reps, holds, minutes.

    Takes an AssignedExercise (with `with_current_load`'s step_* values for a
    ladder) or anything with kind, sets, reps, hold_seconds and duration_min.
    """
    speed = getattr(exercise, "step_speed", None)
    return dose_in_words(
        exercise.kind, sets=exercise.sets, reps=exercise.reps, hold_seconds=exercise.hold_seconds,
        duration_min=getattr(exercise, "step_duration", None) if speed is not None else exercise.duration_min,
        speed_kmh=speed, incline_pct=getattr(exercise, "step_incline", None),
    )
