"""{% decimal_separator %}: the active language's decimal separator, for scripts that step a decimal input."""

from django import template

from clinic.numbers import decimal_separator as active_decimal_separator

register = template.Library()


@register.simple_tag
def decimal_separator() -> str:
    return active_decimal_separator()
