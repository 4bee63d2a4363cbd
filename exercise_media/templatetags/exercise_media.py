"""{% load exercise_media %}: illustrations and education in existing pages, with no change to their views.

- `{% plan_media exercises clinic_id as shown %}`: a patient's assigned exercises -> what illustrates each
  (two queries for the whole plan); `{% template_media_map templates as shown %}` for library and builder rows;
- `{% exercise_figure shown exercise.pk %}`: the clinic's video or picture, else Backstep's drawing at the
  patient's incline (`still=True` for print, `lazy=False` where everything must load);
- `{% media_thumbnail shown template.pk %}`: a small still for a table row;
- `{% education as learn %}`, `{% first_session_due plan %}`, `{% after_red_session %}` and
  `{% education_card text %}`: the clinic's education texts at the moments they matter.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils.translation import get_language

from clinic.templatetags.people import red_pain_notice
from exercise_media import demonstrations, selectors
from exercise_media.selectors import MediaRef

register = template.Library()


@register.simple_tag
def plan_media(exercises, patient) -> dict:
    """What illustrates each of a patient's exercises (`patient.clinic` already loaded on every page using it)."""
    return selectors.plan_media(clinic=patient.clinic, patient=patient, exercises=exercises)


@register.simple_tag(takes_context=True)
def template_media_map(context, templates) -> dict:
    """Library rows (a page of templates) or one template's page (a single template)."""
    if hasattr(templates, "_meta"):
        templates = [templates]
    return selectors.template_media(actor=context["actor"], templates=templates)


@register.simple_tag(takes_context=True)
def protocol_media_map(context, protocol) -> dict:
    """The builder's thumbnails: every template a protocol's phases use (from the page's prefetched tree)."""
    templates = {e.template.pk: e.template for phase in protocol.phases.all() for e in phase.exercises.all()}
    return selectors.template_media(actor=context["actor"], templates=templates.values())


def media_url(media: MediaRef, variant: str = "file") -> str:
    name = "exercise_media:patient-file" if media.is_patient_specific else "exercise_media:file"
    return reverse(name, kwargs={"pk": media.pk, "variant": variant})


def demonstration_url(name: str, incline=None, still: bool = False) -> str:
    query = {}
    if incline is not None and name in demonstrations.INCLINED:
        query["incline"] = str(demonstrations.clean_incline(incline).normalize())
    if still:
        query["still"] = "1"
    url = reverse("exercise_media:demonstration", kwargs={"name": name})
    return f"{url}?{urlencode(query)}" if query else url


def _describe(name: str, incline: str | None) -> tuple[str, str]:
    """The drawing's title and description in the active language."""
    return _described(name, incline, get_language())


@lru_cache(maxsize=256)
def _described(name: str, incline: str | None, language: str | None) -> tuple[str, str]:
    drawing = demonstrations.render(name, incline=incline, still=True)
    return drawing.title, drawing.description


@register.inclusion_tag("exercise_media/includes/figure.html")
def exercise_figure(shown: dict, key, still: bool = False, lazy: bool = True, empty: str = "") -> dict:
    """The exercise's illustration; `empty` is said instead where it has none (nothing by default)."""
    item = shown.get(key) if shown else None
    if item is None or (item.first is None and not item.demonstration):
        return {"kind": None, "empty": empty}
    media = item.first
    if media is not None and still and media.is_video:
        # Paper cannot play a video: its poster frame instead.
        return {"kind": "image", "media": media, "src": media_url(media, "thumbnail"), "lazy": lazy}
    if media is not None:
        return {"kind": media.kind, "media": media, "src": media_url(media), "poster": media_url(media, "thumbnail"),
                "still": still, "lazy": lazy}
    return demonstration_figure(item.demonstration, item.incline, still=still, lazy=lazy)


@register.inclusion_tag("exercise_media/includes/figure.html")
def demonstration_figure(name: str, incline=None, still: bool = False, lazy: bool = True) -> dict:
    """Backstep's drawing `name` alone (at `incline` % where it has one)."""
    title, description = _describe(name, None if incline is None else str(incline))
    return {"kind": "demonstration", "src": demonstration_url(name, incline, still), "title": title,
            "still_src": demonstration_url(name, incline, still=True), "alt": description, "lazy": lazy,
            "still": still}


@register.inclusion_tag("exercise_media/includes/thumbnail.html")
def media_thumbnail(shown: dict, key) -> dict:
    item = shown.get(key) if shown else None
    if item is None:
        return {"src": None}
    media = item.first
    if media is not None:
        return {"src": media_url(media, "thumbnail"), "alt": media.description, "video": media.is_video}
    if item.demonstration:
        title, _description = _describe(item.demonstration, None)
        return {"src": demonstration_url(item.demonstration, still=True), "alt": title, "video": False}
    return {"src": None}


@register.simple_tag(takes_context=True)
def education(context) -> dict:
    """The clinic's education texts by topic, with `_` for `-` so templates can name them (learn.after_pain)."""
    actor = context.get("actor")
    clinic = getattr(actor, "clinic", None)
    texts = selectors.education_texts(clinic=clinic)
    return {slug.replace("-", "_"): text for slug, text in texts.items()}


RETRO_KINDS = frozenset({"retro_treadmill_walk", "retro_treadmill_run", "retro_stairs", "sled_drag",
                         "retro_flat_walk"})


@register.simple_tag
def plan_has_retro(plan) -> bool:
    """Today's plan has a backwards exercise: the explanation of retro walking belongs with it."""
    return any(exercise.kind in RETRO_KINDS for exercise in getattr(plan, "exercises", []))


@register.simple_tag
def first_session_due(plan) -> bool:
    """A treadmill exercise of today's plan has never been logged: time for the safety checklist."""
    new = getattr(plan, "new_exercises", None) or set()
    return any(exercise.pk in new and exercise.has_ladder for exercise in getattr(plan, "exercises", []))


@register.simple_tag(takes_context=True)
def after_red_session(context) -> bool:
    """The patient's latest session passed the clinic's red limit (the same rule as the red notice)."""
    return red_pain_notice(context)["show"]


@register.inclusion_tag("exercise_media/includes/education_card.html")
def education_card(text, opened: bool = False, tone: str = "") -> dict:
    return {"text": text, "opened": opened, "tone": tone}
