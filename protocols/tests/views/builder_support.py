"""Fixtures and helpers shared by the protocol builder's page tests.

Import the fixtures into a test module (`from protocols.tests.views.builder_support import library, own`).
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from protocols import services
from protocols.models import ExerciseKind, PrescribedExercise, Protocol
from tests.factories import ExerciseTemplateFactory, make_protocol

PFP = "pfp-retro-incline-6-weeks"


@pytest.fixture
def library(db):
    services.library_install()
    return Protocol.objects.get(clinic=None, slug=PFP)


@pytest.fixture
def own(world):
    """Clinic A's own protocol: one phase with a retro walk (default ladder) and wall sits."""
    protocol = services.protocol_create(clinic=world.clinic_a, name="Clinic A knee plan", condition="pfp")
    phase = services.phase_add(protocol=protocol, name="Start", expected_weeks=3)
    services.exercise_add(phase=phase, template=ExerciseTemplateFactory(name="Retro walk"))
    services.exercise_add(phase=phase, template=ExerciseTemplateFactory(
        name="Wall sit", kind=ExerciseKind.STRENGTH, default_speed_kmh=None, default_sets=3,
        default_hold_seconds=30))
    return protocol


@pytest.fixture
def foreign(world):
    return make_protocol(clinic=world.clinic_b)


def url(name, *args):
    return reverse(f"protocols:{name}", args=args)


def walk_of(protocol) -> PrescribedExercise:
    return PrescribedExercise.objects.filter(phase__protocol=protocol, template__kind=ExerciseKind.RETRO_TREADMILL_WALK
                                             ).order_by("phase__order", "order").first()
