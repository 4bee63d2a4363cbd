"""Sign-in, role landing pages and tenancy on the foundation pages."""

import pytest
from django.urls import reverse

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def sign_in(client, email, password=PASSWORD):
    return client.post(reverse("login"), {"username": email, "password": password}, follow=True)


@pytest.mark.parametrize(
    ("who", "landing"),
    [("therapist@a.test", "patients:list"), ("admin@a.test", "patients:list"), ("a1@a.test", "patients:today")],
)
def test_sign_in_lands_each_role_on_its_page(client, world, who, landing):
    response = sign_in(client, who)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse(landing)


def test_sign_in_is_case_insensitive_on_email(client, world):
    response = sign_in(client, "Therapist@A.test")
    assert response.redirect_chain[-1][0] == reverse("patients:list")


def test_wrong_password_is_refused_with_a_clear_message(client, world):
    response = sign_in(client, "therapist@a.test", "not-the-password")
    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated
    assert "do not match an account" in response.content.decode()


def test_anonymous_is_sent_to_sign_in(client):
    for name in ("home", "patients:list", "patients:today"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


def test_sign_out_ends_the_session(client, world):
    client.force_login(world.therapist_a)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("patients:list")).status_code == 302


def test_user_without_a_role_is_told_what_to_do(client, db):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    response = client.get(reverse("home"))
    assert response.status_code == 403
    assert "not linked to a clinic" in response.content.decode()


def test_patients_cannot_open_the_patient_list(client, world):
    client.force_login(world.patient_a1.user)
    assert client.get(reverse("patients:list")).status_code == 403


def test_staff_cannot_open_a_patient_today_page(client, world):
    client.force_login(world.therapist_a)
    assert client.get(reverse("patients:today")).status_code == 403


def test_patient_list_shows_only_own_clinic(client, world):
    client.force_login(world.therapist_b)
    body = client.get(reverse("patients:list"), {"scope": "all"}).content.decode()
    assert "Bea Brook" in body
    assert "Alma Ashby" not in body and "Arlo Avery" not in body


def test_patient_list_shows_current_step_in_words(client, world):
    client.force_login(world.therapist_a)
    body = client.get(reverse("patients:list")).content.decode()
    assert "Alma Ashby" in body and "Arlo Avery" in body
    assert "2.5 km/h · 0 % · 10 min" in body
    assert "level 1 of 3" in body and "step 1 of 3" not in body


def test_patient_list_search_and_empty_state(client, world):
    client.force_login(world.therapist_a)
    body = client.get(reverse("patients:list"), {"q": "arlo"}).content.decode()
    assert "Arlo Avery" in body and "Alma Ashby" not in body
    body = client.get(reverse("patients:list"), {"q": "nobody-matches"}).content.decode()
    assert "No patients match" in body


def test_therapist_sees_own_patients_by_default_and_admin_the_clinic(client, world):
    from tests.factories import PatientFactory

    PatientFactory(clinic=world.clinic_a, therapist=world.admin_a, first_name="Other", last_name="Colleague")
    client.force_login(world.therapist_a)
    assert "Other Colleague" not in client.get(reverse("patients:list")).content.decode()
    assert "Other Colleague" in client.get(reverse("patients:list"), {"scope": "all"}).content.decode()
    client.force_login(world.admin_a)
    assert "Other Colleague" in client.get(reverse("patients:list")).content.decode()


def test_patient_list_query_count_does_not_grow_with_patients(client, world, django_assert_max_num_queries):
    from patients.services import assignment_create
    from tests.factories import PatientFactory

    protocol = world.assignment_a1.protocol
    for _n in range(20):
        patient = PatientFactory(clinic=world.clinic_a, therapist=world.therapist_a)
        assignment_create(patient=patient, protocol=protocol, start_date=world.assignment_a1.start_date,
                          baseline_pain=1)
    client.force_login(world.therapist_a)
    # 13: the audit event and, in one more insert, the patients the page showed (however many).
    with django_assert_max_num_queries(13):
        response = client.get(reverse("patients:list"))
    assert response.status_code == 200
    assert response.content.decode().count("km/h ·") == 22


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
