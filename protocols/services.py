"""Writes for the exercise library and protocols."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils.text import slugify

from clinic.models import Clinic
from protocols.ladder import MAX_STEPS, LadderSpec, LadderSpecError, Load, generate_ladder
from protocols.library import PROTOCOLS, TEMPLATES, ExerciseDef, LadderPart, ProtocolDef, TemplateDef
from protocols.models import (
    PHASE_CRITERIA_FIELDS,
    ExerciseTemplate,
    LadderStep,
    Phase,
    PrescribedExercise,
    Protocol,
)


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
def prescribed_exercise_generate_ladder(*, exercise: PrescribedExercise,
                                        spec: LadderSpec | None = None) -> list[LadderStep]:
    """(Re)generate an exercise's ladder from its template's defaults or an explicit spec."""
    spec = spec or ladder_spec_for_template(exercise.template)
    return ladder_replace(exercise=exercise, steps=generate_ladder(spec))


def _free_protocol_slug(clinic: Clinic, wanted: str) -> str:
    """`wanted` as a slug, with -2, -3, ... appended until no protocol of the clinic has it."""
    base = (slugify(wanted) or "protocol")[:70]
    slug, n = base, 1
    while Protocol.objects.filter(clinic=clinic, slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _require_own_protocol(protocol: Protocol) -> None:
    if protocol.is_builtin:
        raise PermissionDenied("Built-in protocols are read-only: clone one to edit it.")


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
    _require_own_protocol(protocol)
    unknown = set(changes) - set(PROTOCOL_EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"protocol_update cannot change {', '.join(sorted(unknown))}")
    for name, value in changes.items():
        setattr(protocol, name, value)
    protocol.full_clean()
    protocol.save()
    return protocol


@transaction.atomic
def protocol_archive(*, protocol: Protocol) -> Protocol:
    """Archive a clinic protocol: it can no longer be assigned; running assignments go on."""
    _require_own_protocol(protocol)
    if not protocol.is_archived:
        protocol.is_archived = True
        protocol.save(update_fields=["is_archived", "updated_at"])
    return protocol


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
    from django.core.exceptions import ValidationError

    from protocols.ladder import LadderSpecError

    _require_own_protocol(protocol)
    if not phases:
        raise ValidationError({"phases": "A protocol needs at least one phase."})
    protocol.phases.all().delete()
    for phase_order, wanted in enumerate(phases):
        phase = Phase(protocol=protocol, order=phase_order, name=wanted.name, goals=wanted.goals,
                      entry_criteria=wanted.entry_criteria, expected_weeks=wanted.expected_weeks)
        phase.full_clean()
        phase.save()
        for order, item in enumerate(wanted.exercises):
            where = f"Phase {phase_order + 1}, exercise {order + 1}"
            if item.template.clinic_id not in (None, protocol.clinic_id):
                raise ValidationError({"phases": f"{where}: the template belongs to another clinic."})
            if item.ladder and not item.template.has_ladder:
                raise ValidationError({"phases": f"{where}: only retro treadmill exercises have a load ladder."})
            exercise = PrescribedExercise(
                phase=phase, template=item.template, order=order, frequency_per_week=item.frequency_per_week,
                sets=item.sets, reps=item.reps, hold_seconds=item.hold_seconds, duration_min=item.duration_min,
                notes=item.notes,
            )
            exercise.full_clean()
            exercise.save()
            if not item.template.has_ladder:
                continue
            try:
                if item.ladder:
                    ladder_replace(exercise=exercise, steps=item.ladder)
                else:
                    prescribed_exercise_generate_ladder(exercise=exercise)
            except LadderSpecError as error:
                raise ValidationError({"phases": f"{where}: the template's {error.field} {error.message}."}) from None
    protocol.save(update_fields=["updated_at"])
    return protocol


@transaction.atomic
def copy_name(name: str, max_length: int) -> str:
    """What a copy is called unless someone names it: "<name> (copy)", the name cut to fit, never the suffix."""
    suffix = " (copy)"
    return name[:max_length - len(suffix)] + suffix


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
    phases = list(protocol.phases.prefetch_related("exercises__ladder_steps").order_by("order"))
    for phase in phases:
        new_phase = Phase(
            protocol=clone,
            order=phase.order,
            name=phase.name,
            goals=phase.goals,
            entry_criteria=phase.entry_criteria,
            expected_weeks=phase.expected_weeks,
            **{name: getattr(phase, name) for name in PHASE_CRITERIA_FIELDS},
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
_PHASE_FIELDS = ("order", "name", "goals", "entry_criteria", "expected_weeks", *PHASE_CRITERIA_FIELDS)
_EXERCISE_FIELDS = ("order", "template_id", "frequency_per_week", "sets", "reps", "hold_seconds", "duration_min",
                    "notes")


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
            **{name: getattr(phase, name) for name in PHASE_CRITERIA_FIELDS},
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


# ---------------------------------------------------------------------------
# Therapist workspace: the clinic's exercise templates and the protocol builder
# ---------------------------------------------------------------------------
#
# Built-in rows (no clinic) are Backstep's library and read-only here: clinics
# clone them to edit. Running assignments are snapshots, so none of these
# edits reach a patient's current plan.

TEMPLATE_EDITABLE_FIELDS = (
    "name", "kind",
    "default_speed_kmh", "default_incline_pct", "default_duration_min",
    "speed_step_kmh", "incline_step_pct", "duration_step_min",
    "max_speed_kmh", "max_incline_pct", "max_duration_min",
    "handrail", "default_sets", "default_reps", "default_hold_seconds",
    "instructions", "safety_notes",
)
# Only ladder kinds climb speed and incline; other kinds keep a plain duration.
TEMPLATE_LADDER_ONLY_FIELDS = (
    "default_speed_kmh", "default_incline_pct",
    "speed_step_kmh", "incline_step_pct", "duration_step_min",
    "max_speed_kmh", "max_incline_pct", "max_duration_min",
)
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

    Stricter and plainer than `protocols.ladder`: all problems at once, and a
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
        errors["start_duration_min"] = "The start duration must be at least 1 minute."
    first = values.get("first_duration_cap_min")
    start, cap = values.get("start_duration_min"), values.get("max_duration_min")
    if first is not None and start is not None and cap is not None and "max_duration_min" not in errors:
        if not start <= first <= cap:
            errors["first_duration_cap_min"] = (
                f"The first duration target must be between the start duration ({start} min) "
                f"and the duration cap ({cap} min)."
            )
    return errors


def _require_own_template(template: ExerciseTemplate) -> None:
    if template.is_builtin:
        raise PermissionDenied("Built-in exercise templates are read-only: clone one to edit it.")


def _free_template_slug(clinic: Clinic, wanted: str) -> str:
    base = (slugify(wanted) or "exercise")[:70]
    slug, n = base, 1
    while ExerciseTemplate.objects.filter(clinic=clinic, slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _template_check(template: ExerciseTemplate) -> None:
    """Ladder kinds need start values, step sizes and caps that make a ladder; other kinds carry none."""
    if not template.has_ladder:
        for name in TEMPLATE_LADDER_ONLY_FIELDS:
            setattr(template, name, None)
        return
    values = {spec_name: getattr(template, name) for spec_name, name in SPEC_TO_TEMPLATE.items()}
    errors = ladder_spec_errors(values)
    if errors:
        raise ValidationError({SPEC_TO_TEMPLATE[name]: message for name, message in errors.items()})


def _template_values(values: dict) -> dict:
    unknown = set(values) - set(TEMPLATE_EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"exercise templates have no editable {', '.join(sorted(unknown))}")
    return values


@transaction.atomic
def template_create(*, clinic: Clinic, name: str, kind: str, instructions: str, **values) -> ExerciseTemplate:
    """Create a clinic's own exercise template (its slug comes from the name)."""
    template = ExerciseTemplate(
        clinic=clinic, slug=_free_template_slug(clinic, name), name=name, kind=kind, instructions=instructions,
        **_template_values(values),
    )
    _template_check(template)
    template.full_clean()
    template.save()
    return template


@transaction.atomic
def template_update(*, template: ExerciseTemplate, **changes) -> ExerciseTemplate:
    """Change a clinic template. Built-ins are read-only (PermissionDenied).

    Ladders already in protocols keep their steps; new ladders and new
    assignments use the new values.
    """
    _require_own_template(template)
    for name, value in _template_values(changes).items():
        setattr(template, name, value)
    _template_check(template)
    template.full_clean()
    template.save()
    return template


@transaction.atomic
def template_clone(*, template: ExerciseTemplate, clinic: Clinic, name: str | None = None) -> ExerciseTemplate:
    """Copy a built-in (or the clinic's own) template into `clinic`, to edit it; unnamed, it is "<name> (copy)"."""
    if template.clinic_id not in (None, clinic.pk):
        raise PermissionDenied("This exercise template belongs to another clinic.")
    if name is None:
        name = copy_name(template.name, ExerciseTemplate._meta.get_field("name").max_length)
    clone = ExerciseTemplate(
        clinic=clinic,
        slug=_free_template_slug(clinic, name),
        cloned_from=template,
        **{field_name: getattr(template, field_name) for field_name in TEMPLATE_EDITABLE_FIELDS},
    )
    clone.name = name[:120]
    clone.full_clean()
    clone.save()
    return clone


def _touch(protocol: Protocol) -> None:
    protocol.save(update_fields=["updated_at"])


@transaction.atomic
def protocol_restore(*, protocol: Protocol) -> Protocol:
    """Take a clinic protocol out of the archive, so it can be assigned again."""
    _require_own_protocol(protocol)
    if protocol.is_archived:
        protocol.is_archived = False
        protocol.save(update_fields=["is_archived", "updated_at"])
    return protocol


@transaction.atomic
def protocol_delete(*, protocol: Protocol) -> None:
    """Delete a clinic protocol that was never assigned; one with assignments is archived instead."""
    _require_own_protocol(protocol)
    if protocol.assignments.exists():
        raise ValidationError(
            "This protocol has been assigned to patients, so it cannot be deleted: archive it instead."
        )
    protocol.delete()


# -- ordering --------------------------------------------------------------

MOVE_DIRECTIONS = ("up", "down")


def _move(item: Phase | PrescribedExercise, siblings: models.QuerySet, direction: str) -> bool:
    """Swap `item` with its neighbour above or below; False when it is already first or last."""
    if direction not in MOVE_DIRECTIONS:
        raise ValidationError({"direction": "Choose up or down."})
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
    _require_own_protocol(protocol)
    unknown = set(criteria) - set(PHASE_CRITERIA_FIELDS)
    if unknown:
        raise TypeError(f"phase_add cannot set {', '.join(sorted(unknown))}")
    phase = Phase(protocol=protocol, order=_next_order(protocol.phases.all()), name=name, goals=goals,
                  entry_criteria=entry_criteria, expected_weeks=expected_weeks, **criteria)
    phase.full_clean()
    phase.save()
    _touch(protocol)
    return phase


@transaction.atomic
def phase_update(*, phase: Phase, **changes) -> Phase:
    """Change a phase's name, goals, entry criteria (in words and checkable) or expected weeks."""
    _require_own_protocol(phase.protocol)
    unknown = set(changes) - set(PHASE_EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"phase_update cannot change {', '.join(sorted(unknown))}")
    for name, value in changes.items():
        setattr(phase, name, value)
    phase.full_clean()
    phase.save()
    _touch(phase.protocol)
    return phase


@transaction.atomic
def phase_remove(*, phase: Phase) -> None:
    """Remove a phase with its exercises and ladders; the phases after it move up."""
    protocol = phase.protocol
    _require_own_protocol(protocol)
    order = phase.order
    phase.delete()
    _close_gap(protocol.phases.all(), order)
    _touch(protocol)


@transaction.atomic
def phase_move(*, phase: Phase, direction: str) -> bool:
    """Move a phase one place up or down; False when it is already first or last."""
    _require_own_protocol(phase.protocol)
    moved = _move(phase, phase.protocol.phases.all(), direction)
    _touch(phase.protocol)
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
    _require_own_protocol(protocol)
    if template.clinic_id not in (None, protocol.clinic_id):
        raise ValidationError({"template": "This exercise template belongs to another clinic."})
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
            prescribed_exercise_generate_ladder(exercise=exercise)
        except LadderSpecError as error:
            raise ValidationError(
                {"template": f"The template's {error.field} {error.message}: fix the template first."}
            ) from None
    _touch(protocol)
    return exercise


@transaction.atomic
def exercise_update(*, exercise: PrescribedExercise, **changes) -> PrescribedExercise:
    """Change how often and how much: frequency per week, sets, reps, hold, duration, notes."""
    _require_own_protocol(exercise.phase.protocol)
    unknown = set(changes) - set(EXERCISE_EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"exercise_update cannot change {', '.join(sorted(unknown))}")
    for name, value in changes.items():
        setattr(exercise, name, value)
    exercise.full_clean()
    exercise.save()
    _touch(exercise.phase.protocol)
    return exercise


@transaction.atomic
def exercise_remove(*, exercise: PrescribedExercise) -> None:
    """Remove a prescribed exercise and its ladder; the exercises after it move up."""
    phase = exercise.phase
    _require_own_protocol(phase.protocol)
    order = exercise.order
    exercise.delete()
    _close_gap(phase.exercises.all(), order)
    _touch(phase.protocol)


@transaction.atomic
def exercise_move(*, exercise: PrescribedExercise, direction: str) -> bool:
    """Move an exercise one place up or down within its phase."""
    _require_own_protocol(exercise.phase.protocol)
    moved = _move(exercise, exercise.phase.exercises.all(), direction)
    _touch(exercise.phase.protocol)
    return moved


# -- load ladders ----------------------------------------------------------


def ladder_spec_default(template: ExerciseTemplate) -> LadderSpec:
    """The spec to prefill the ladder form with: the template's values, the first duration target clamped to them."""
    spec = ladder_spec_for_template(template)
    first = min(max(LadderSpec().first_duration_cap_min, spec.start_duration_min), spec.max_duration_min)
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
    values["first_duration_cap_min"] = min(
        max(LadderSpec().first_duration_cap_min, values["start_duration_min"]), values["max_duration_min"]
    )
    return LadderSpec(**values)


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
            f"These step sizes need more than {MAX_STEPS} steps to reach the caps: use bigger steps or lower caps."
        )
    return steps


@transaction.atomic
def ladder_save(*, exercise: PrescribedExercise, spec: LadderSpec) -> list[LadderStep]:
    """Replace a retro treadmill exercise's ladder with the one `spec` generates (the previewed ladder).

    Hand edits to the old steps are replaced. Built-ins are read-only.
    """
    _require_own_protocol(exercise.phase.protocol)
    if not exercise.template.has_ladder:
        raise ValidationError("Only retro treadmill walks and runs have a load ladder.")
    steps = ladder_replace(exercise=exercise, steps=ladder_generate(spec=spec))
    _touch(exercise.phase.protocol)
    return steps


@transaction.atomic
def ladder_step_update(*, step: LadderStep, speed_kmh: Decimal, incline_pct: Decimal, duration_min: int) -> LadderStep:
    """Edit one step by hand.

    Any load within the field limits is allowed, including a steep incline or
    a change of several variables at once: the engine holds before such a
    step until the therapist approves (rule R10), and the builder marks it.
    """
    protocol = step.exercise.phase.protocol
    _require_own_protocol(protocol)
    step.speed_kmh, step.incline_pct, step.duration_min = speed_kmh, incline_pct, duration_min
    step.full_clean()
    step.save()
    _touch(protocol)
    return step
