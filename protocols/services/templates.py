"""The clinic's own exercise templates: create, change, and copy one (built-in or the clinic's) to edit it.

Ladder kinds (retro treadmill walk and run) carry start values, step sizes and
caps that must make a ladder; other kinds carry none. Ladders already in
protocols keep their steps when a template changes.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from clinic.models import Clinic
from protocols.ladder import SPEC_TO_TEMPLATE, ladder_spec_errors
from protocols.models import ExerciseTemplate
from protocols.services.editing import copy_name, free_slug, require_own_template

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


def _free_template_slug(clinic: Clinic, wanted: str) -> str:
    return free_slug(ExerciseTemplate.objects.filter(clinic=clinic), wanted, "exercise")


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
    require_own_template(template)
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
        raise PermissionDenied(_("This exercise template belongs to another clinic."))
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
