"""The protocol builder pages: adding, editing, reordering and removing phases and prescribed exercises."""

from __future__ import annotations

import pytest

from protocols.tests.views.builder_support import library, own, url, walk_of  # noqa: F401 (fixtures)
from tests.factories import ExerciseTemplateFactory

pytestmark = pytest.mark.django_db


# -- phases -------------------------------------------------------------------------


def test_add_edit_reorder_and_remove_phases(client, world, own):
    client.force_login(world.therapist_a)
    response = client.post(url("phase-add", own.pk), {"name": "Build", "expected_weeks": "4",
                                                      "goals": "Faster.", "entry_criteria": "Pain ≤ 3/10."})
    build = own.phases.get(name="Build")
    assert response.url == url("detail", own.pk) + f"#phase-{build.pk}"
    client.post(url("phase-move", own.pk, build.pk), {"direction": "up"})
    assert list(own.phases.order_by("order").values_list("name", flat=True)) == ["Build", "Start"]
    client.post(url("phase-edit", own.pk, build.pk), {"name": "Build up", "expected_weeks": "5"})
    build.refresh_from_db()
    assert (build.name, build.expected_weeks) == ("Build up", 5)
    confirm = client.get(url("phase-remove", own.pk, build.pk)).content.decode()
    assert "Remove phase “Build up”?" in confirm
    client.post(url("phase-remove", own.pk, build.pk))
    assert list(own.phases.values_list("name", "order")) == [("Start", 0)]


def test_phase_form_errors_are_clear(client, world, own):
    client.force_login(world.therapist_a)
    response = client.post(url("phase-add", own.pk), {"name": "", "expected_weeks": "60"})
    assert set(response.context["form"].errors) == {"name", "expected_weeks"}


def test_phase_move_with_an_unknown_direction_changes_nothing(client, world, own):
    client.force_login(world.therapist_a)
    phase = own.phases.get()
    response = client.post(url("phase-move", own.pk, phase.pk), {"direction": "sideways"}, follow=True)
    assert "Choose up or down." in response.content.decode()


# -- exercises ------------------------------------------------------------------------


def test_add_a_strength_exercise_with_its_default_dose(client, world, own, library):
    client.force_login(world.therapist_a)
    phase = own.phases.get()
    quad_sets = own.clinic.exercise_templates.model.objects.get(clinic=None, slug="quad-sets")
    response = client.post(url("exercise-add", own.pk, phase.pk), {"template": quad_sets.pk,
                                                                   "frequency_per_week": "5"})
    exercise = phase.exercises.get(template=quad_sets)
    assert response.url == url("detail", own.pk) + f"#exercise-{exercise.pk}"
    assert (exercise.sets, exercise.reps, exercise.hold_seconds, exercise.order) == (3, 10, 5, 2)
    body = client.get(url("detail", own.pk)).content.decode()
    assert "5× a week · 3 sets of 10 reps, holding each for 5 seconds" in body


def test_adding_a_ladder_exercise_generates_its_ladder_and_opens_the_ladder_page(client, world, own, library):
    client.force_login(world.therapist_a)
    phase = own.phases.get()
    run = own.clinic.exercise_templates.model.objects.get(clinic=None, slug="retro-treadmill-run")
    response = client.post(url("exercise-add", own.pk, phase.pk), {"template": run.pk, "frequency_per_week": "3"})
    exercise = phase.exercises.get(template=run)
    assert response.url == url("ladder", own.pk, exercise.pk)
    assert exercise.ladder_steps.count() > 1


@pytest.mark.parametrize("frequency", ["0", "15", ""])
def test_frequency_must_be_1_to_14_a_week(client, world, own, frequency):
    client.force_login(world.therapist_a)
    exercise = walk_of(own)
    response = client.post(url("exercise-edit", own.pk, exercise.pk), {"frequency_per_week": frequency})
    assert response.status_code == 200
    body = response.content.decode()
    assert ("Enter how many times a week, from 1 to 14." in body) or (frequency == "" and "required" in body)
    exercise.refresh_from_db()
    assert exercise.frequency_per_week == 3


def test_another_clinics_template_cannot_be_prescribed(client, world, own):
    client.force_login(world.therapist_a)
    secret = ExerciseTemplateFactory(clinic=world.clinic_b, name="Clinic B secret")
    phase = own.phases.get()
    page = client.get(url("exercise-add", own.pk, phase.pk)).content.decode()
    assert "Clinic B secret" not in page
    response = client.post(url("exercise-add", own.pk, phase.pk), {"template": secret.pk, "frequency_per_week": "3"})
    assert "template" in response.context["form"].errors
    assert not phase.exercises.filter(template=secret).exists()


def test_reorder_and_remove_exercises(client, world, own):
    client.force_login(world.therapist_a)
    phase = own.phases.get()
    sits = phase.exercises.get(order=1)
    client.post(url("exercise-move", own.pk, sits.pk), {"direction": "up"})
    assert list(phase.exercises.order_by("order").values_list("template__name", flat=True)) == ["Wall sit",
                                                                                                "Retro walk"]
    walk = walk_of(own)
    confirm = client.get(url("exercise-remove", own.pk, walk.pk)).content.decode()
    assert "Its load ladder (15 steps) is removed too." in confirm
    client.post(url("exercise-remove", own.pk, walk.pk))
    assert list(phase.exercises.values_list("template__name", "order")) == [("Wall sit", 0)]

