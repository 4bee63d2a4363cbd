"""The patient's today page: the plan in words, training days this week, what happens next after a check.

Only patients open it; its query count does not grow with the history.
"""

import pytest
from django.urls import reverse

from patients.tests.support import check, session, step_to

pytestmark = pytest.mark.django_db


def test_staff_cannot_open_a_patient_today_page(client, world):
    client.force_login(world.therapist_a)
    assert client.get(reverse("patients:today")).status_code == 403


def test_today_page_shows_the_plan_in_words(client, world):
    client.force_login(world.patient_a1.user)
    response = client.get(reverse("patients:today"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Walk backwards at 2.5 km/h on a 0 % incline for 10 minutes" in body
    assert "Quad sets" in body and "3 sets of 10" in body
    assert "Clip on the safety key" in body
    assert "0 of 3 training days done" in body


def test_today_page_counts_training_days_this_week(client, world):
    import datetime as dt

    from tests.factories import SessionLogFactory

    exercise = world.assignment_a1.exercises.get(order=0, phase__order=0)
    today = dt.date.today()
    SessionLogFactory(exercise=exercise, date=today)
    SessionLogFactory(exercise=exercise, date=today)
    client.force_login(world.patient_a1.user)
    body = client.get(reverse("patients:today")).content.decode()
    assert "1 of 3 training days done" in body
    assert "Logged today" in body


def test_today_page_without_a_plan_says_what_next(client, world):
    world.assignment_a2.status = "completed"
    world.assignment_a2.save()
    client.force_login(world.patient_a2.user)
    body = client.get(reverse("patients:today")).content.decode()
    assert "No plan yet" in body


def test_today_query_count_is_small_and_constant(client, world, django_assert_max_num_queries):
    import datetime as dt

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import SessionLogFactory

    client.force_login(world.patient_a1.user)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("patients:today"))
    exercise = world.assignment_a1.exercises.get(order=0, phase__order=0)
    for back in range(20):
        SessionLogFactory(exercise=exercise, date=dt.date.today() - dt.timedelta(days=back))
    with django_assert_max_num_queries(12):
        assert client.get(reverse("patients:today")).status_code == 200
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("patients:today"))
    assert len(many) == len(few)


def test_today_page_says_run_only_from_the_running_speed(client, world):
    """Walk or run is worded by the running-speed threshold (5.8 km/h, or the clinic's), not the template kind:
    a "retro treadmill run" exercise at 2.5 km/h is still walked."""
    from patients.models import AssignedExercise, AssignedLadderStep

    AssignedExercise.objects.filter(assignment=world.assignment_a1, order=0).update(kind="retro_treadmill_run")
    client.force_login(world.patient_a1.user)
    body = client.get(reverse("patients:today")).content.decode()
    assert "Walk backwards at 2.5 km/h on a 0 % incline for 10 minutes" in body and "Run backwards" not in body
    AssignedLadderStep.objects.filter(exercise__assignment=world.assignment_a1, order=0).update(speed_kmh="5.8")
    body = client.get(reverse("patients:today")).content.decode()
    assert "Run backwards at 5.8 km/h on a 0 % incline for 10 minutes" in body


# Tasks enqueued on commit run in-process here, even where CI sets REDIS_URL.
@pytest.mark.usefixtures("eager_celery")
def test_today_page_tells_the_patient_what_happens_next(client, world):
    step_to(world, 1)
    session(world, 1, step=1, pain=7)
    check(world)
    client.force_login(world.patient_a1.user)
    body = client.get(reverse("patients:today")).content.decode()
    assert "Step down next time." in body
    # The stop rule in its one wording, and how to reach the clinic after the red session.
    assert "Stop and contact your clinic if pain during exercise passes 5 out of 10" in body
    assert "Pain during your latest session passed 5 out of 10" in body
    assert "Walk backwards at 2.5 km/h on a 0 % incline for 10 minutes" in body
