"""Words for the protocol builder's pages: doses, template defaults and what a ladder step changes."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from protocols.doses import dose_in_words
from protocols.models import describe_load

register = template.Library()

VARIABLE_WORDS = {
    "speed_kmh": gettext_lazy("speed"), "incline_pct": gettext_lazy("incline"),
    "duration_min": gettext_lazy("duration"),
}


def _num(value) -> str:
    return f"{Decimal(str(value)).normalize():f}"


@register.filter
def change_words(changed) -> str:
    """("speed_kmh", "incline_pct") -> "speed and incline"."""
    words = [str(VARIABLE_WORDS.get(name, name)) for name in changed]
    if len(words) <= 1:
        return "".join(words)
    return _("%(first)s and %(last)s") % {"first": ", ".join(words[:-1]), "last": words[-1]}


@register.filter
def changed(review, variable: str) -> bool:
    return variable in review.changed


@register.filter
def number(value) -> str:
    """A decimal without trailing zeros, the language's way: 2.50 -> 2.5 (2,5 in German and Spanish), 10.0 -> 10."""
    return "" if value is None else formats.localize(Decimal(_num(value)))


@register.filter
def dose(exercise) -> str:
    """A prescribed exercise's frequency and dose: "5× a week · 3 sets of 10 reps, holding each for 5 seconds"."""
    # A ladder exercise's minutes come from its ladder, shown beside it.
    words = dose_in_words(exercise.template.kind, sets=exercise.sets, reps=exercise.reps,
                          hold_seconds=exercise.hold_seconds,
                          duration_min=None if exercise.template.has_ladder else exercise.duration_min)
    return " · ".join(part for part in (ngettext("%(n)s× a week", "%(n)s× a week", exercise.frequency_per_week) % {
        "n": exercise.frequency_per_week}, words) if part)


@register.filter
def template_defaults(template) -> str:
    """A template's starting point in words: its first ladder step and caps, or its sets and reps."""
    if template.has_ladder and None not in (template.default_speed_kmh, template.default_incline_pct,
                                           template.default_duration_min):
        start = describe_load(template.default_speed_kmh, template.default_incline_pct, template.default_duration_min)
        if None in (template.max_speed_kmh, template.max_incline_pct, template.max_duration_min):
            return _("starts at %(start)s") % {"start": start}
        cap = describe_load(template.max_speed_kmh, template.max_incline_pct, template.max_duration_min)
        return _("%(start)s, up to %(cap)s") % {"start": start, "cap": cap}
    return dose_in_words(template.kind, sets=template.default_sets, reps=template.default_reps,
                         hold_seconds=template.default_hold_seconds,
                         duration_min=template.default_duration_min) or _("no default dose")
