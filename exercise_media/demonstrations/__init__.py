"""Backstep's own exercise demonstrations: small animated SVG drawings made by code, no downloaded media.

Python with no Django beyond gettext: `render(name, incline=..., still=...)`
returns a `Drawing`, a standalone SVG document with a `<title>` and `<desc>`
(its text alternative, in the active language) and one `<style>` element. The animation is CSS: it stops under
`prefers-reduced-motion: reduce`, leaving the still key frame, which is also
what `still=True` draws (for print and thumbnails) with no animation at all.

Demonstrations are named by the built-in exercise template they show (the
slugs of protocols/library.py). Treadmill drawings take the incline, so the
phone can show the patient's own level.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from exercise_media.demonstrations import scenes

WIDTH, HEIGHT = 240, 160
INCLINE_MAX = Decimal("40")
INCLINE_DEFAULT = Decimal("5")

# Built-in template slug -> scene. Every built-in template has one (tests/test_demonstrations checks the library).
SCENES: dict[str, Callable[[Decimal], scenes.Scene]] = {
    "retro-treadmill-walk": scenes.treadmill_walk,
    "retro-treadmill-run": scenes.treadmill_run,
    "retro-step-up": scenes.step_up,
    "backward-sled-drag": scenes.sled_drag,
    "retro-flat-walk": scenes.flat_walk,
    "quad-sets": scenes.quad_set,
    "wall-sit": scenes.wall_sit,
    "lateral-step-down": scenes.lateral_step_down,
    "side-lying-hip-abduction": scenes.side_lying_abduction,
    "single-leg-balance": scenes.single_leg_balance,
}
# Drawings whose picture changes with the incline; the others ignore it (and are cached as one).
INCLINED = frozenset({"retro-treadmill-walk", "retro-treadmill-run"})
# A clinic's own template of one of these kinds, not copied from a built-in one, still gets the drawing of
# its kind (protocols.models.ExerciseKind values). Strength and balance name too many movements to guess.
BY_KIND = {
    "retro_treadmill_walk": "retro-treadmill-walk",
    "retro_treadmill_run": "retro-treadmill-run",
    "retro_stairs": "retro-step-up",
    "sled_drag": "backward-sled-drag",
    "retro_flat_walk": "retro-flat-walk",
}

# Hidden under reduced motion: everything that moves stops, and the transform attributes (the still key
# frame) apply again.
REDUCED_MOTION = "@media (prefers-reduced-motion:reduce){*{animation:none!important}}"


@dataclass(frozen=True)
class Drawing:
    name: str
    title: str
    description: str
    style: str
    svg: str


def clean_incline(value) -> Decimal:
    """An incline from a URL or a plan: a number from 0 to 40, to the half percent; anything else, the default."""
    try:
        incline = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return INCLINE_DEFAULT
    if not incline.is_finite() or incline < 0 or incline > INCLINE_MAX:
        return INCLINE_DEFAULT
    return (incline * 2).to_integral_value() / 2


def render(name: str, *, incline=None, still: bool = False) -> Drawing:
    """The drawing `name` (a key of SCENES; KeyError otherwise) at `incline` %, animated unless `still`."""
    scene = SCENES[name](clean_incline(incline) if name in INCLINED else INCLINE_DEFAULT)
    style = "" if still else scene.kit_css + scene.motion.css(scene.duration) + REDUCED_MOTION
    title, description = html.escape(scene.title), html.escape(scene.description)
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'role="img" aria-labelledby="t d"><title id="t">{title}</title><desc id="d">{description}</desc>'
        + (f"<style>{style}</style>" if style else "")
        + f'<rect width="{WIDTH}" height="{HEIGHT}" rx="8" fill="#f4f7f7"/>'
        + scene.kit + scene.motion.svg() + scene.front + "</svg>"
    )
    return Drawing(name=name, title=scene.title, description=scene.description, style=style, svg=svg)


def name_for(*, slugs: tuple[str, ...] = (), kind: str = "") -> str | None:
    """The drawing for an exercise: the first of `slugs` (its template's, then what it was copied from) that is
    a built-in one, else its kind's; None when Backstep has no drawing of it."""
    for slug in slugs:
        if slug in SCENES:
            return slug
    return BY_KIND.get(kind)
