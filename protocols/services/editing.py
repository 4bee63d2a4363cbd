"""What every edit of a clinic's library rows shares.

Built-in rows (no clinic) are Backstep's library and read-only: clinics clone
them to edit. A clinic's new rows get a slug no other row of the clinic has,
and an unnamed copy is "<name> (copy)".
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.text import slugify
from django.utils.translation import gettext as _

from clinic.builtin_text import builtin_text
from protocols.models import ExerciseTemplate, Protocol

SLUG_MAX_LENGTH = 70


def require_own_protocol(protocol: Protocol) -> None:
    """PermissionDenied for a built-in protocol."""
    if protocol.is_builtin:
        raise PermissionDenied(_("Built-in protocols are read-only: clone one to edit it."))


def require_own_template(template: ExerciseTemplate) -> None:
    """PermissionDenied for a built-in exercise template."""
    if template.is_builtin:
        raise PermissionDenied(_("Built-in exercise templates are read-only: clone one to edit it."))


def touch(protocol: Protocol) -> None:
    """Mark a protocol changed when one of its phases, exercises or ladder steps was."""
    protocol.save(update_fields=["updated_at"])


def changes_save(row: models.Model, changes: dict, *, editable: tuple[str, ...], action: str) -> None:
    """Set `changes` on `row`, check it and save it; a field outside `editable` is a TypeError (a caller's bug)."""
    unknown = set(changes) - set(editable)
    if unknown:
        raise TypeError(f"{action} cannot change {', '.join(sorted(unknown))}")
    for name, value in changes.items():
        setattr(row, name, value)
    row.full_clean()
    row.save()


def free_slug(siblings: models.QuerySet, wanted: str, fallback: str) -> str:
    """`wanted` as a slug (`fallback` when nothing of it is left), with -2, -3, ... appended until no row of
    `siblings` has it."""
    base = (slugify(wanted) or fallback)[:SLUG_MAX_LENGTH]
    slug, n = base, 1
    while siblings.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def copy_name(name: str, max_length: int) -> str:
    """What a copy is called unless someone names it: "<name> (copy)", the name cut to fit, never the suffix.

    The copy's name is the clinic's own text from now on, so it is written in the language of the person
    copying: Backstep's name in that language (`clinic.builtin_text`) and the suffix too.
    """
    # Translators: added to the name of a copied protocol or exercise template, e.g. "Wall sit (copy)".
    suffix = _(" (copy)")
    return builtin_text(name)[:max_length - len(suffix)] + suffix
