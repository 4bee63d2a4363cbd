"""{% decimal_separator %}: the active language's decimal separator, for scripts that step a decimal input;
|number: a number a person reads, in the page language ("70,0" in German and Spanish)."""

from decimal import Decimal, InvalidOperation

from django import template

from clinic.numbers import decimal_separator as active_decimal_separator
from clinic.numbers import local_number

register = template.Library()


@register.simple_tag
def decimal_separator() -> str:
    return active_decimal_separator()


@register.filter
def number(value):
    """A score or other number a person reads, the page language's way ("70,0" in German and Spanish). Scores are
    often stored as text ("70.0", JSON); anything that is not a number (None, "—") is shown unchanged."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            value = Decimal(value)
        except InvalidOperation:
            return value
    if not isinstance(value, (int, float, Decimal)):
        return value
    return local_number(value)
