"""Sessions and morning check-ins over the API: patients write their own, exactly once; staff and keys read.

Replays of a session (same Idempotency-Key or client_uuid, same body) answer
201 with the original body and `Idempotent-Replayed: true`; the same key with
a different body answers 409.
"""

import datetime as dt
import uuid

import pytest

from patients.models import MorningCheckIn, ProgressionCheck, SessionLog
from patients.services import clinic_today
from tests.api.support import api, ids, rows, sessions_for, walk  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]
URL = "/api/v1/sessions/"


def session_body(world, **overrides) -> dict:
    body = {"exercise": walk(world.assignment_a1).pk, "duration_min": 10, "speed_kmh": 2.5, "incline_pct": 0,
            "pain_during": 2, "pain_after": 1, "rpe": 4, "notes": "Felt fine."}
    body.update(overrides)
    return body


def test_patient_logs_a_session_of_their_plan(world, api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api("patient_a1").post(URL, session_body(world), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    session = SessionLog.objects.get()
    assert body["id"] == session.pk and body["patient"] == world.patient_a1.pk
    assert body["date"] == clinic_today(world.clinic_a).isoformat()  # the clinic's local date by default
    assert (body["assignment"], body["step"], body["speed_kmh"], body["completed"]) == (
        world.assignment_a1.pk, 0, 2.5, True)
    assert uuid.UUID(body["client_uuid"]) == session.client_uuid
    assert "Idempotent-Replayed" not in response
    # The check ran after commit (in-process Celery): the engine looked at this exercise.
    assert ProgressionCheck.objects.filter(exercise=walk(world.assignment_a1)).exists()


def test_patient_field_in_the_body_is_ignored(world, api):
    body = session_body(world, patient=world.patient_a2.pk)
    response = api("patient_a1").post(URL, body, format="json")
    assert response.status_code == 201
    assert SessionLog.objects.get().patient == world.patient_a1


@pytest.mark.parametrize("whose", ["patient_a2", "patient_b1"])
def test_a_patient_cannot_log_against_another_patients_exercise(world, api, whose):
    assignment = world.assignment_a2 if whose == "patient_a2" else world.assignment_b1
    other = walk(assignment)
    response = api("patient_a1").post(URL, session_body(world, exercise=other.pk), format="json")
    assert response.status_code == 400
    assert response.json() == {"exercise": ["This exercise is not part of your plan."]}
    assert not SessionLog.objects.exists()


@pytest.mark.parametrize(("days", "message"), [
    (-1, "A session cannot be logged in the future."),
    (15, "Sessions can be back-dated by 14 days at most."),
])
def test_session_dates_are_checked_against_the_clinics_today(world, api, days, message):
    date = clinic_today(world.clinic_a) - dt.timedelta(days=days)
    response = api("patient_a1").post(URL, session_body(world, date=date.isoformat()), format="json")
    assert response.status_code == 400
    assert response.json() == {"date": [message]}


def test_field_errors_are_keyed_by_field(world, api):
    response = api("patient_a1").post(URL, session_body(world, pain_during=11, duration_min=0, speed_kmh="fast"),
                                      format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"pain_during", "duration_min", "speed_kmh"}


# ---------------------------------------------------------------------------
# Idempotency
# ---------------------------------------------------------------------------


def test_replay_with_the_header_returns_the_original_response(world, api):
    client = api("patient_a1")
    key = str(uuid.uuid4())
    first = client.post(URL, session_body(world), format="json", HTTP_IDEMPOTENCY_KEY=key)
    again = client.post(URL, session_body(world), format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert first.json()["client_uuid"] == key
    assert SessionLog.objects.count() == 1


def test_replay_with_the_client_uuid_field(world, api):
    client = api("patient_a1")
    body = session_body(world, client_uuid=str(uuid.uuid4()))
    first = client.post(URL, body, format="json")
    again = client.post(URL, body, format="json")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json() and SessionLog.objects.count() == 1


def test_same_key_with_a_different_body_is_409(world, api):
    client = api("patient_a1")
    key = str(uuid.uuid4())
    client.post(URL, session_body(world), format="json", HTTP_IDEMPOTENCY_KEY=key)
    conflict = client.post(URL, session_body(world, pain_during=6), format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert conflict.status_code == 409
    assert "already used for a different session" in conflict.json()["detail"]
    assert SessionLog.objects.get().pain_during == 2


def test_a_replay_after_midnight_without_a_date_is_still_the_same_session(world, api):
    """The original was saved for yesterday; the retry (no date) must not become a new session for today."""
    client = api("patient_a1")
    key = str(uuid.uuid4())
    yesterday = clinic_today(world.clinic_a) - dt.timedelta(days=1)
    first = client.post(URL, session_body(world, date=yesterday.isoformat()), format="json", HTTP_IDEMPOTENCY_KEY=key)
    retry = client.post(URL, session_body(world), format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert retry.status_code == 201 and retry.json() == first.json()
    assert SessionLog.objects.count() == 1


def test_the_same_key_for_another_patient_is_another_session(world, api):
    key = str(uuid.uuid4())
    api("patient_a1").post(URL, session_body(world), format="json", HTTP_IDEMPOTENCY_KEY=key)
    other = api("patient_a2").post(URL, session_body(world, exercise=walk(world.assignment_a2).pk), format="json",
                                   HTTP_IDEMPOTENCY_KEY=key)
    assert other.status_code == 201 and "Idempotent-Replayed" not in other
    assert SessionLog.objects.count() == 2


def test_header_and_field_must_agree_and_the_header_must_be_a_uuid(world, api):
    client = api("patient_a1")
    mismatch = client.post(URL, session_body(world, client_uuid=str(uuid.uuid4())), format="json",
                           HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
    assert mismatch.status_code == 400 and list(mismatch.json()) == ["client_uuid"]
    garbage = client.post(URL, session_body(world), format="json", HTTP_IDEMPOTENCY_KEY="not-a-uuid")
    assert garbage.status_code == 400
    assert garbage.json() == {"detail": "The Idempotency-Key header must be a UUID."}
    assert not SessionLog.objects.exists()


def test_without_a_key_two_posts_are_two_sessions(world, api):
    client = api("patient_a1")
    client.post(URL, session_body(world), format="json")
    client.post(URL, session_body(world), format="json")
    assert SessionLog.objects.count() == 2


# ---------------------------------------------------------------------------
# Reading sessions
# ---------------------------------------------------------------------------


def test_session_list_filters_by_patient_assignment_and_date_range(world, api):
    today = clinic_today(world.clinic_a)
    old = sessions_for(world.assignment_a1, count=2, start=today - dt.timedelta(days=10))[0]
    (recent,) = sessions_for(world.assignment_a1, count=1, start=today - dt.timedelta(days=2))
    (a2,) = sessions_for(world.assignment_a2, count=1, start=today - dt.timedelta(days=2))
    client = api("key_a")
    assert ids(client.get(f"{URL}?patient={world.patient_a2.pk}")) == {a2.pk}
    assert ids(client.get(f"{URL}?assignment={world.assignment_a2.pk}")) == {a2.pk}
    window = f"date_from={(today - dt.timedelta(days=3)).isoformat()}&date_to={today.isoformat()}"
    assert ids(client.get(f"{URL}?{window}")) == {recent.pk, a2.pk}
    assert old.pk in ids(client.get(f"{URL}?date_to={(today - dt.timedelta(days=10)).isoformat()}"))
    bad = client.get(f"{URL}?date_from=yesterday")
    assert bad.status_code == 400 and list(bad.json()) == ["date_from"]


def test_patients_list_only_their_own_sessions(world, api):
    (own,) = sessions_for(world.assignment_a1)
    (other,) = sessions_for(world.assignment_a2)
    client = api("patient_a1")
    assert ids(client.get(URL)) == {own.pk}
    assert ids(client.get(f"{URL}?patient={world.patient_a2.pk}")) == set()
    assert client.get(f"{URL}{other.pk}/").status_code == 404


def test_sessions_are_not_editable(world, rows, api):
    client = api("patient_a1")
    assert client.patch(f"{URL}{rows.session_a1.pk}/", {"pain_during": 0}, format="json").status_code == 405
    assert client.delete(f"{URL}{rows.session_a1.pk}/").status_code == 405


# ---------------------------------------------------------------------------
# Morning check-ins
# ---------------------------------------------------------------------------

CHECKINS = "/api/v1/checkins/"


def test_patient_records_morning_pain_once_a_day(world, api):
    client = api("patient_a1")
    first = client.post(CHECKINS, {"pain": 3, "patient": world.patient_a2.pk}, format="json")
    assert first.status_code == 201, first.content
    assert first.json()["date"] == clinic_today(world.clinic_a).isoformat()
    assert first.json()["patient"] == world.patient_a1.pk
    second = client.post(CHECKINS, {"pain": 4}, format="json")
    assert second.status_code == 200 and second.json()["id"] == first.json()["id"]
    assert MorningCheckIn.objects.get().pain == 4


def test_patient_corrects_a_check_in_but_not_its_date(world, rows, api):
    client = api("patient_a1")
    url = f"{CHECKINS}{rows.checkin_a1.pk}/"
    corrected = client.patch(url, {"pain": 5}, format="json")
    assert corrected.status_code == 200 and corrected.json()["pain"] == 5
    moved = client.patch(url, {"date": clinic_today(world.clinic_a).isoformat()}, format="json")
    assert moved.status_code == 400 and list(moved.json()) == ["date"]
    assert client.patch(f"{CHECKINS}{rows.checkin_b1.pk}/", {"pain": 0}, format="json").status_code == 404
    rows.checkin_b1.refresh_from_db()
    assert rows.checkin_b1.pain == 1


@pytest.mark.parametrize(("body", "field"), [({"pain": 11}, "pain"), ({}, "pain"),
                                             ({"pain": 2, "date": "2099-01-01"}, "date")])
def test_check_in_errors_name_the_field(world, api, body, field):
    response = api("patient_a1").post(CHECKINS, body, format="json")
    assert response.status_code == 400 and list(response.json()) == [field]


def test_staff_read_check_ins_with_filters(world, rows, api):
    client = api("therapist_a")
    assert ids(client.get(CHECKINS)) == {rows.checkin_a1.pk}
    assert ids(client.get(f"{CHECKINS}?patient={world.patient_a2.pk}")) == set()
    assert ids(client.get(f"{CHECKINS}?date_from={rows.checkin_a1.date.isoformat()}")) == {rows.checkin_a1.pk}
    later = (rows.checkin_a1.date + dt.timedelta(days=1)).isoformat()
    assert ids(client.get(f"{CHECKINS}?date_from={later}")) == set()
    assert client.patch(f"{CHECKINS}{rows.checkin_a1.pk}/", {"pain": 0}, format="json").status_code == 403


def test_an_exercise_prescribed_in_sets_is_logged_in_sets_and_some_amount_is_required(world, api):
    """Sessions are corrected on the phone only (24 hours); the API logs and reads them, with sets and reps."""
    quads = world.assignment_a1.exercises.get(order=1, phase__order=0)
    body = session_body(world, exercise=quads.pk, sets=3, reps=8)
    del body["duration_min"], body["speed_kmh"], body["incline_pct"]
    response = api("patient_a1").post(URL, body, format="json")
    assert response.status_code == 201, response.content
    assert (response.json()["sets"], response.json()["reps"], response.json()["duration_min"]) == (3, 8, None)
    nothing = api("patient_a1").post(URL, {k: v for k, v in body.items() if k not in ("sets", "reps")},
                                     format="json")
    assert nothing.status_code == 400 and "sets" in nothing.json()
    assert SessionLog.objects.count() == 1
