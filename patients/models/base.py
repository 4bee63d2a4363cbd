"""What several models share: the pain scale and the caps on free text a person types."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

# Free text a person types, capped once: the models, forms, serializers and services all use these.
NOTE_MAX_LENGTH = 2000  # a patient's note on a session, a therapist's note on a flag
REASON_MAX_LENGTH = 500  # why a therapist changed a step or a phase (shown in the step history)

NPRS = [MinValueValidator(0), MaxValueValidator(10)]


def nprs_check(field: str, name: str, nullable: bool = False) -> models.CheckConstraint:
    """A database check that `field` is on the 0-10 pain scale (or empty when `nullable`)."""
    check = Q(**{f"{field}__gte": 0, f"{field}__lte": 10})
    if nullable:
        check |= Q(**{f"{field}__isnull": True})
    return models.CheckConstraint(condition=check, name=name)
