"""plan_controls: what the step- and phase-change forms are checked against, without the patient page's charts."""

from __future__ import annotations

import pytest

from patients.selectors import plan_controls
from patients.services import assignment_end, clinic_today

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


def test_the_running_plans_phases_and_current_ladder_exercises(world, django_assert_num_queries):
    assignment = world.assignment_a1
    with django_assert_num_queries(5):
        plan = plan_controls(patient=world.patient_a1)
    walk = assignment.exercises.get(order=0)
    assert plan.assignment == assignment
    assert [p.pk for p in plan.phases] == list(assignment.phases.order_by("order").values_list("pk", flat=True))
    assert plan.current_phase_id == plan.phases[0].pk
    assert plan.ladder_exercises == [walk]  # the quad sets of the same phase have no ladder
    assert [step.order for step in plan.ladders[walk.pk]] == [0, 1, 2]


def test_no_running_plan_is_no_assignment(world, django_assert_num_queries):
    assignment_end(assignment=world.assignment_a1, end_date=clinic_today(world.clinic_a))
    with django_assert_num_queries(1):
        plan = plan_controls(patient=world.patient_a1)
    assert plan.assignment is None and plan.phases == [] and plan.ladder_exercises == []
