"""Writes for the exercise library and protocols, one module per behaviour.

- `library`: install Backstep's built-in templates and protocols (`manage.py load_library`).
- `templates`: a clinic's own exercise templates.
- `builder`: a clinic's own protocols, their phases and prescribed exercises; clone, archive, delete.
- `ladders`: load ladders — preview, save, edit a step.
- `editing`: what every edit shares (built-ins are read-only, free slugs, copy names).

Callers read `from protocols import services` or `from protocols.services import X`.
"""

from protocols.services.builder import (
    ExerciseInput,
    PhaseInput,
    exercise_add,
    exercise_move,
    exercise_remove,
    exercise_update,
    phase_add,
    phase_move,
    phase_remove,
    phase_update,
    protocol_archive,
    protocol_clone,
    protocol_create,
    protocol_delete,
    protocol_phases_replace,
    protocol_restore,
    protocol_update,
)
from protocols.services.editing import copy_name
from protocols.services.ladders import ladder_generate, ladder_replace, ladder_save, ladder_step_update
from protocols.services.library import (
    CREATED,
    UNCHANGED,
    UPDATED,
    LibraryError,
    LibraryReport,
    library_install,
    library_ladder,
)
from protocols.services.templates import template_clone, template_create, template_update

__all__ = [
    "CREATED", "UNCHANGED", "UPDATED",
    "ExerciseInput", "LibraryError", "LibraryReport", "PhaseInput",
    "copy_name", "exercise_add", "exercise_move", "exercise_remove", "exercise_update",
    "ladder_generate", "ladder_replace", "ladder_save", "ladder_step_update", "library_install", "library_ladder",
    "phase_add", "phase_move", "phase_remove", "phase_update",
    "protocol_archive", "protocol_clone", "protocol_create", "protocol_delete", "protocol_phases_replace",
    "protocol_restore", "protocol_update",
    "template_clone", "template_create", "template_update",
]
