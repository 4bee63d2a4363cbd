"""Words for the protocol builder's pages: doses, template defaults and what a ladder step changes."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

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
    """A decimal without trailing zeros: 2.50 -> 2.5, 10.0 -> 10."""
    return "" if value is None else _num(value)


def _dose_parts(sets, reps, hold_seconds, duration_min) -> list[str]:
    parts = []
    if sets and reps:
        parts.append(_("%(sets)s sets × %(reps)s reps") % {"sets": sets, "reps": reps})
    elif sets:
        parts.append(ngettext("%(n)s set", "%(n)s sets", sets) % {"n": sets})
    elif reps:
        parts.append(ngettext("%(n)s rep", "%(n)s reps", reps) % {"n": reps})
    if hold_seconds:
        parts.append(_("hold %(n)s s") % {"n": hold_seconds})
    if duration_min:
        parts.append(_("%(n)s min") % {"n": duration_min})
    return parts


@register.filter
def dose(exercise) -> str:
    """A prescribed exercise's frequency and dose: "5× a week · 3 sets × 10 reps · hold 5 s"."""
    parts = [_("%(n)s× a week") % {"n": exercise.frequency_per_week}]
    parts += _dose_parts(exercise.sets, exercise.reps, exercise.hold_seconds,
                         None if exercise.template.has_ladder else exercise.duration_min)
    return " · ".join(parts)


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
    parts = _dose_parts(template.default_sets, template.default_reps, template.default_hold_seconds,
                        template.default_duration_min)
    return " · ".join(parts) or _("no default dose")
