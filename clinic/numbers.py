"""Decimal numbers in the person's language: "3,5" in German and Spanish, "3.5" in English.

Every form field holding a decimal (speed km/h, incline %, measurements, thresholds) goes through
`local_decimals`: it accepts the language's decimal separator as well as a point (Django's `localize`, with the
thousands separator off, so "3.5" is never read as thirty-five), and shows its value the language's way. The
input is a text box with the phone's decimal keyboard (`inputmode="decimal"`): <input type="number"> refuses a
comma in most browsers and would show a German "3,5" as empty.
"""

from __future__ import annotations

from django import forms
from django.utils import formats

DECIMAL_FIELDS = (forms.DecimalField, forms.FloatField)


def local_decimals(fields: dict) -> None:
    """Make every decimal field of `fields` (a form's fields or a form class's base_fields) local."""
    for field in fields.values():
        if not isinstance(field, DECIMAL_FIELDS):
            continue
        field.localize = True
        attrs = {name: value for name, value in field.widget.attrs.items() if name not in ("step", "min", "max")}
        field.widget = forms.TextInput(attrs={**attrs, "inputmode": "decimal"})
        field.widget.is_localized = True


def local_decimal_form(form_class):
    """Class decorator: `local_decimals` on the form's declared and generated (model) fields."""
    local_decimals(form_class.base_fields)
    return form_class


def decimal_separator() -> str:
    """The active language's decimal separator, for the page's scripts (the log page's − / + buttons)."""
    return formats.get_format("DECIMAL_SEPARATOR")


def local_number(value) -> str:
    """A number as text the active language's way ("5,8" in German), for help texts and placeholders."""
    return formats.localize(value, use_l10n=True) if value is not None else ""
