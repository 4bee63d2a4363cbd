"""Model field helpers shared by the apps."""

from __future__ import annotations

from django.core.validators import MaxLengthValidator
from django.db import models


def capped_text_field(verbose_name, *, max_length: int, **kwargs) -> models.TextField:
    """Free text with one cap, defined on the model and so the same everywhere.

    A TextField's max_length reaches model forms and DRF model serializers, but
    full_clean() ignores it; the validator makes the services enforce it too.
    The database column stays unbounded text: no data is ever cut.
    """
    return models.TextField(verbose_name, max_length=max_length, validators=[MaxLengthValidator(max_length)],
                            **kwargs)
