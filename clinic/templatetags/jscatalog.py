"""{% load jscatalog %}{% js_catalog_url %}: the versioned URL of the JavaScript catalog of the active language."""

from __future__ import annotations

from django import template

from clinic.js_catalog import catalog_url

register = template.Library()


@register.simple_tag
def js_catalog_url() -> str:
    return catalog_url()
