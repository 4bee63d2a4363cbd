"""The drawings: one for every built-in exercise, small, described in words, still under reduced motion."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from exercise_media.demonstrations import INCLINE_DEFAULT, SCENES, clean_incline, name_for, render
from protocols.library import TEMPLATES

SVG = "{http://www.w3.org/2000/svg}"
# "A few KiB each": every drawing, animated or still, stays under this.
MAX_BYTES = 8 * 1024


def test_every_built_in_template_has_a_drawing():
    assert {t.slug for t in TEMPLATES} == set(SCENES)


@pytest.mark.parametrize("name", sorted(SCENES))
@pytest.mark.parametrize("still", [False, True], ids=["animated", "still"])
def test_each_drawing_is_small_valid_svg_with_a_text_alternative(name, still):
    drawing = render(name, incline="7.5", still=still)
    assert len(drawing.svg.encode()) < MAX_BYTES
    root = ET.fromstring(drawing.svg)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img" and root.get("aria-labelledby") == "t d"
    assert root.find(f"{SVG}title").text == drawing.title
    assert len(root.find(f"{SVG}desc").text) > 60
    assert "http" not in drawing.svg.replace("http://www.w3.org/2000/svg", "")  # nothing from elsewhere
    styles = root.findall(f"{SVG}style")
    if still:
        assert styles == [] and "animation" not in drawing.svg
    else:
        (style,) = styles
        assert "@keyframes" in style.text
        assert "@media (prefers-reduced-motion:reduce){*{animation:none!important}}" in style.text


@pytest.mark.parametrize("name", sorted(SCENES))
def test_the_still_drawing_is_the_animation_stopped_on_its_key_frame(name):
    """Reduced motion leaves the transform attributes, which are the still drawing's: the same picture."""
    animated, still = render(name, incline=5), render(name, incline=5, still=True)
    body = animated.svg.replace(f"<style>{animated.style}</style>", "")
    assert body == still.svg


def test_treadmill_drawings_show_the_incline_they_are_given():
    flat, steep = render("retro-treadmill-walk", incline=0), render("retro-treadmill-walk", incline="12.5")
    assert ">0 %<" in flat.svg and ">12.5 %<" in steep.svg
    assert "12.5 % incline" in steep.title and flat.svg != steep.svg
    # Drawings without a treadmill ignore it.
    assert render("wall-sit", incline=0).svg == render("wall-sit", incline=20).svg


@pytest.mark.parametrize(("given", "expected"), [
    ("7.5", Decimal("7.5")), (7.3, Decimal("7.5")), ("0", Decimal("0")), ("40", Decimal("40")),
    ("41", INCLINE_DEFAULT), ("-1", INCLINE_DEFAULT), ("NaN", INCLINE_DEFAULT), ("Infinity", INCLINE_DEFAULT),
    ("abc", INCLINE_DEFAULT), (None, INCLINE_DEFAULT), ("1e999", INCLINE_DEFAULT),
])
def test_inclines_from_urls_are_bounded(given, expected):
    assert clean_incline(given) == expected


def test_clinic_templates_get_the_drawing_of_what_they_were_copied_from_or_of_their_kind():
    assert name_for(slugs=("my-walk", "retro-treadmill-walk")) == "retro-treadmill-walk"
    assert name_for(slugs=("my-sled",), kind="sled_drag") == "backward-sled-drag"
    assert name_for(slugs=("my-squat",), kind="strength") is None
