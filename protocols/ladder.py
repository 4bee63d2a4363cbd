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
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

if TYPE_CHECKING:  # only for annotations: this module never touches the database
    from protocols.models import ExerciseTemplate

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


def first_duration_target(start_duration_min: int, max_duration_min: int) -> int:
    """Where the duration first rises to: the rule default, kept between the start duration and its cap."""
    return min(max(LadderSpec.first_duration_cap_min, start_duration_min), max_duration_min)


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


# ---------------------------------------------------------------------------
# Ladder specs: from a template's values, and checked for a therapist
# ---------------------------------------------------------------------------

# LadderSpec name -> ExerciseTemplate name, for checking a template as a ladder spec.
SPEC_TO_TEMPLATE = {
    "start_speed_kmh": "default_speed_kmh",
    "start_incline_pct": "default_incline_pct",
    "start_duration_min": "default_duration_min",
    "speed_step_kmh": "speed_step_kmh",
    "incline_step_pct": "incline_step_pct",
    "duration_step_min": "duration_step_min",
    "max_speed_kmh": "max_speed_kmh",
    "max_incline_pct": "max_incline_pct",
    "max_duration_min": "max_duration_min",
}
_SPEC_LABELS = {
    "start_speed_kmh": "start speed", "start_incline_pct": "start incline", "start_duration_min": "start duration",
    "speed_step_kmh": "speed step", "incline_step_pct": "incline step", "duration_step_min": "duration step",
    "max_speed_kmh": "speed cap", "max_incline_pct": "incline cap", "max_duration_min": "duration cap",
}
# (start, step, cap, what, unit) for each load variable.
_SPEC_VARIABLES = (
    ("start_speed_kmh", "speed_step_kmh", "max_speed_kmh", "speed", "km/h"),
    ("start_incline_pct", "incline_step_pct", "max_incline_pct", "incline", "%"),
    ("start_duration_min", "duration_step_min", "max_duration_min", "duration", "min"),
)


def _num(value) -> str:
    return f"{Decimal(str(value)).normalize():f}"


def ladder_spec_errors(values: dict) -> dict[str, str]:
    """Every problem with a ladder's start values, step sizes and caps, by LadderSpec field name.

    Stricter and plainer than `generate_ladder`'s own check: all problems at once, and a
    step of 0 with a cap above the start is refused, because that cap could
    never be reached (set the cap to the start value to keep a variable fixed).
    """
    errors: dict[str, str] = {}
    for name, label in _SPEC_LABELS.items():
        if values.get(name) is None:
            errors[name] = f"Enter the {label}: the load ladder is built from it."
    for start_name, step_name, cap_name, what, unit in _SPEC_VARIABLES:
        start, step, cap = values.get(start_name), values.get(step_name), values.get(cap_name)
        if start is not None and start < 0:
            errors[start_name] = f"The start {what} must not be negative."
        if step is not None and step < 0:
            errors[step_name] = f"The {what} step must not be negative."
        if start is None or cap is None or start_name in errors:
            continue
        if cap < start:
            errors[cap_name] = f"The {what} cap must be at least the start {what} ({_num(start)} {unit})."
        elif step is not None and step == 0 and cap > start and step_name not in errors:
            errors[step_name] = (f"A {what} step of 0 never reaches the {what} cap; "
                                 f"set the cap to the start {what} to keep the {what} fixed.")
    if values.get("start_duration_min") is not None and values["start_duration_min"] < 1 \
            and "start_duration_min" not in errors:
        errors["start_duration_min"] = _("The start duration must be at least 1 minute.")
    first = values.get("first_duration_cap_min")
    start, cap = values.get("start_duration_min"), values.get("max_duration_min")
    if first is not None and start is not None and cap is not None and "max_duration_min" not in errors:
        if not start <= first <= cap:
            errors["first_duration_cap_min"] = (
                _("The first duration target must be between the start duration (%(start)s min) and the "
                  "duration cap (%(cap)s min).") % {"start": start, "cap": cap}
            )
    return errors


def ladder_spec_for_template(template: ExerciseTemplate, **overrides) -> LadderSpec:
    """The ladder spec a template implies; missing template values fall back to the rule defaults."""
    defaults = LadderSpec()
    spec = {}
    for spec_name, template_name in SPEC_TO_TEMPLATE.items():
        value = getattr(template, template_name)
        spec[spec_name] = getattr(defaults, spec_name) if value is None else value
    spec.update(overrides)
    return LadderSpec(**spec)


def ladder_spec_default(template: ExerciseTemplate) -> LadderSpec:
    """The spec to prefill the ladder form with: the template's values, the first duration target clamped to them."""
    spec = ladder_spec_for_template(template)
    first = first_duration_target(spec.start_duration_min, spec.max_duration_min)
    return LadderSpec(**{**spec.__dict__, "first_duration_cap_min": first})


def ladder_spec_from_ladder(*, template: ExerciseTemplate, loads: list[Load]) -> LadderSpec:
    """A spec that regenerates an existing ladder's range: start at its first step, caps at its highest values.

    Step sizes come from the template. Useful for a phase that holds only part
    of the template's ladder (the built-in PFP protocol splits the walk in two).
    """
    spec = ladder_spec_for_template(template)
    first = loads[0]
    values = {
        **spec.__dict__,
        "start_speed_kmh": first.speed_kmh, "start_incline_pct": first.incline_pct,
        "start_duration_min": first.duration_min,
        "max_speed_kmh": max(load.speed_kmh for load in loads),
        "max_incline_pct": max(load.incline_pct for load in loads),
        "max_duration_min": max(load.duration_min for load in loads),
    }
    values["first_duration_cap_min"] = first_duration_target(values["start_duration_min"], values["max_duration_min"])
    return LadderSpec(**values)
