"""{% load rtm %}: the panel is for clinic staff only; codes and statuses in words and colours."""

from __future__ import annotations

import pytest
from django.template import Context, Template

from clinic.tenancy import resolve_actor
from monitoring import periods
from monitoring.periods import CodeUnits
from monitoring.templatetags.rtm import codes, rtm_status_class

pytestmark = pytest.mark.django_db


def render(actor, patient) -> str:
    return Template("{% load rtm %}{% rtm_panel patient %}").render(Context({"actor": actor, "patient": patient}))


def test_the_panel_is_shown_to_staff_only(world):
    assert 'id="monitoring"' in render(resolve_actor(world.therapist_a), world.patient_a1)
    assert render(resolve_actor(world.patient_a1.user), world.patient_a1).strip() == ""
    assert render(None, world.patient_a1).strip() == ""


def test_codes_and_colours():
    assert codes([CodeUnits("98981", 2), CodeUnits("98980")]) == "98980, 98981 ×2"
    assert codes([]) == ""
    assert rtm_status_class(periods.AT_RISK) == "text-bg-warning" and rtm_status_class("?") == "text-bg-secondary"
