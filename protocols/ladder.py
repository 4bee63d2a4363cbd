"""Load-ladder generation: pure functions, no database.

Defaults from progression-rules.md ("Ladder generation"): start 2.5 km/h,
0 % incline, 10 min; duration +5 min up to 20 min, then incline +2.5 % up to
10 %, then speed +0.5 km/h up to 5.5 km/h, then duration up to 30 min. Every
step changes exactly one variable, so the engine's one-variable rule (R10)
never holds a generated ladder. The result is a starting point a therapist
edits, not a clinical fact.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

MAX_STEPS = 60


@dataclass(frozen=True)
class Load:
    speed_kmh: Decimal
    incline_pct: Decimal
    duration_min: int

    def as_dict(self) -> dict:
        return {
            "speed_kmh": float(self.speed_kmh),
            "incline_pct": float(self.incline_pct),
            "duration_min": self.duration_min,
        }


@dataclass(frozen=True)
class LadderSpec:
    start_speed_kmh: Decimal = Decimal("2.5")
    start_incline_pct: Decimal = Decimal("0")
    start_duration_min: int = 10
    speed_step_kmh: Decimal = Decimal("0.5")
    incline_step_pct: Decimal = Decimal("2.5")
    duration_step_min: int = 5
    max_speed_kmh: Decimal = Decimal("5.5")
    max_incline_pct: Decimal = Decimal("10")
    max_duration_min: int = 30
    # Duration first rises to this before incline and speed change.
    first_duration_cap_min: int = 20


class LadderSpecError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _validate(spec: LadderSpec) -> None:
    pairs = [
        ("start_speed_kmh", spec.start_speed_kmh, "max_speed_kmh", spec.max_speed_kmh),
        ("start_incline_pct", spec.start_incline_pct, "max_incline_pct", spec.max_incline_pct),
        ("start_duration_min", spec.start_duration_min, "max_duration_min", spec.max_duration_min),
    ]
    for start_name, start, cap_name, cap in pairs:
        if start < 0:
            raise LadderSpecError(start_name, "must not be negative")
        if cap < start:
            raise LadderSpecError(cap_name, f"must be at least the start value ({start})")
    for name in ("speed_step_kmh", "incline_step_pct", "duration_step_min"):
        if getattr(spec, name) < 0:
            raise LadderSpecError(name, "must not be negative")
    if spec.start_duration_min < 1:
        raise LadderSpecError("start_duration_min", "must be at least 1 minute")


def generate_ladder(spec: LadderSpec = LadderSpec()) -> list[Load]:
    """Return the ladder for `spec`, easiest first, one variable changed per step."""
    _validate(spec)
    current = Load(Decimal(spec.start_speed_kmh), Decimal(spec.start_incline_pct), int(spec.start_duration_min))
    steps = [current]

    def climb(field: str, step, cap) -> None:
        nonlocal current
        if step <= 0:
            return
        while getattr(current, field) < cap and len(steps) < MAX_STEPS:
            value = min(getattr(current, field) + step, cap)
            current = Load(**{**current.__dict__, field: value})
            steps.append(current)

    first_cap = min(max(spec.first_duration_cap_min, spec.start_duration_min), spec.max_duration_min)
    climb("duration_min", spec.duration_step_min, first_cap)
    climb("incline_pct", Decimal(spec.incline_step_pct), Decimal(spec.max_incline_pct))
    climb("speed_kmh", Decimal(spec.speed_step_kmh), Decimal(spec.max_speed_kmh))
    climb("duration_min", spec.duration_step_min, spec.max_duration_min)
    return steps


def changed_variables(a: Load, b: Load) -> list[str]:
    """Names of the load variables that differ between two steps."""
    return [f for f in ("speed_kmh", "incline_pct", "duration_min") if getattr(a, f) != getattr(b, f)]


# The engine's default for R10 (`max_auto_incline_pct` in progression-rules.md);
# a clinic may override it, so callers pass the clinic's value.
MAX_AUTO_INCLINE_PCT = Decimal("10")


@dataclass(frozen=True)
class StepReview:
    """What a therapist should know about one step of a ladder before saving or assigning it.

    `needs_override` mirrors engine rule R10: the engine holds *before* moving
    onto a step that is steeper than the clinic's automatic limit or that
    changes more than one variable, and waits for the therapist. Such steps
    are allowed (a therapist may want them) but must be visible.
    """

    load: Load
    changed: tuple[str, ...]
    steep: bool
    needs_override: bool
    unchanged: bool

    @property
    def multi_change(self) -> bool:
        return len(self.changed) > 1


def review_ladder(loads: list[Load], max_auto_incline_pct: Decimal = MAX_AUTO_INCLINE_PCT) -> list[StepReview]:
    """Review each step against the one before it (R10's conditions); step 0 is where the patient starts."""
    reviews = []
    limit = Decimal(str(max_auto_incline_pct))
    for index, load in enumerate(loads):
        changed = tuple(changed_variables(loads[index - 1], load)) if index else ()
        steep = Decimal(load.incline_pct) > limit
        reviews.append(StepReview(
            load=load,
            changed=changed,
            steep=steep,
            # The engine never "moves onto" step 0, so it cannot hold there.
            needs_override=index > 0 and (steep or len(changed) > 1),
            unchanged=index > 0 and not changed,
        ))
    return reviews
