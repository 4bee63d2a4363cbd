"""The `builtin` filter: Backstep's own texts in the reader's language, clinic-written ones as written.

A template built-in (clinic/settings.py TEMPLATES builtins), so every page can
write `{{ exercise.name|builtin }}` without a load tag. The rule is
`clinic.builtin_text.builtin_text`.
"""

from django import template

from clinic.builtin_text import builtin_text

register = template.Library()


@register.filter(name="builtin")
def builtin(value):
    """{{ template.instructions|builtin }}: translated when it is Backstep's own unedited text."""
    return builtin_text(value)
