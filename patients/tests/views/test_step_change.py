"""The step-change post is checked against the plan's ladders only: the patient page, with its charts, is built
only to show a refused change (once), never to validate one.

Both posts ran 36 queries when the view built the whole overview to validate
the form (and a refused one built it a second time to show the page); the
limits below are today's counts, sessions, savepoints and the audit row included.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from patients import selectors

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


@pytest.fixture
def overviews(monkeypatch):
    """The patients each patient_overview call was made for."""
    calls = []
    built = selectors.patient_overview

    def counted(**kwargs):
        calls.append(kwargs["patient"].pk)
        return built(**kwargs)

    monkeypatch.setattr(selectors, "patient_overview", counted)
    return calls


def walk(world):
    return world.assignment_a1.exercises.get(order=0)


def test_a_valid_change_never_builds_the_patient_page(client, world, overviews, django_assert_max_num_queries):
    client.force_login(world.therapist_a)
    url, exercise = reverse("patients:step-change", args=[world.patient_a1.pk]), walk(world)
    with django_assert_max_num_queries(29):
        response = client.post(url, {"exercise": exercise.pk, "step": 2, "reason": "Pain settled"})
    assert response.status_code == 302 and response.url.endswith("#plan")
    assert overviews == []
    assert walk(world).current_step == 2


def test_a_refused_change_builds_the_patient_page_once(client, world, overviews, django_assert_max_num_queries):
    client.force_login(world.therapist_a)
    url, exercise = reverse("patients:step-change", args=[world.patient_a1.pk]), walk(world)
    # The page shown again with its errors: the overview once (the old view built it twice, 36 queries), plus
    # the remote-monitoring panel's one query.
    with django_assert_max_num_queries(30):
        response = client.post(url, {"exercise": exercise.pk, "step": 2, "reason": ""})
    assert response.status_code == 400 and response.context["step_form"].errors["reason"]
    assert overviews == [world.patient_a1.pk]  # to show the page with the errors, not to validate the form
    assert walk(world).step_versions.count() == 1
