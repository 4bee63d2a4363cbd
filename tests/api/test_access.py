"""Who may read and write each resource: 401 without valid credentials, 403 for the wrong role, 404 and
absence from lists for rows of another clinic or another patient; lists take a fixed number of queries."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from patients.models import Assignment, Flag, Measurement, MorningCheckIn, Patient, SessionLog
from protocols.models import Protocol
from tests.api.support import ROLES, api, ids, progression_flag, rows, sessions_for  # noqa: F401 (fixtures)
from tests.factories import MeasurementFactory, MorningCheckInFactory, PatientFactory, make_protocol

pytestmark = pytest.mark.django_db

# resource -> (row of clinic A / patient A1, the same kind of row of clinic B / patient B1)
ROWS = {
    "exercise-templates": lambda w, r: (r.template_a, r.template_b),
    "protocols": lambda w, r: (r.protocol_a, r.protocol_b),
    "patients": lambda w, r: (w.patient_a1, w.patient_b1),
    "assignments": lambda w, r: (w.assignment_a1, w.assignment_b1),
    "sessions": lambda w, r: (r.session_a1, r.session_b1),
    "checkins": lambda w, r: (r.checkin_a1, r.checkin_b1),
    "measurements": lambda w, r: (r.measurement_a1, r.measurement_b1),
    "flags": lambda w, r: (r.flag_a1, r.flag_b1),
}
# Patients read their own rows of these; every other resource is for staff and API keys only.
PATIENT_READABLE = {"assignments", "sessions", "checkins"}


def expected_read(resource: str, role: str) -> int:
    """Status of GET on clinic A's (patient A1's) row."""
    if role in ("anonymous", "revoked_key_a"):
        return 401
    if role.startswith("patient"):
        if resource not in PATIENT_READABLE:
            return 403
        return 200 if role == "patient_a1" else 404
    if role in ("therapist_b", "key_b"):
        return 404
    return 200


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("resource", list(ROWS))
def test_read_access(world, rows, api, resource, role):
    own, other = ROWS[resource](world, rows)
    client = api(role)
    detail = client.get(f"/api/v1/{resource}/{own.pk}/")
    assert detail.status_code == expected_read(resource, role), detail.content
    listing = client.get(f"/api/v1/{resource}/")
    expected_list = 200 if expected_read(resource, role) == 404 else expected_read(resource, role)
    assert listing.status_code == expected_list, listing.content
    if expected_list != 200:
        assert set(listing.json()) == {"detail"}
        return
    seen = ids(listing)
    assert (own.pk in seen) == (detail.status_code == 200)
    if role.endswith("_b") or role == "patient_b1":
        assert other.pk in seen
    else:
        assert other.pk not in seen  # never another clinic's row


def test_anonymous_gets_401_with_the_api_key_challenge(world, api):
    response = api("anonymous").get("/api/v1/patients/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_builtin_rows_are_shared_with_every_clinic(world, rows, api):
    builtin = world.assignment_a1.protocol
    assert builtin.is_builtin
    for role in ("therapist_a", "therapist_b", "key_b"):
        assert api(role).get(f"/api/v1/protocols/{builtin.pk}/").status_code == 200


@pytest.mark.parametrize("role", ["anonymous", "revoked_key_a"])
def test_invalid_credentials_get_401_on_every_endpoint(world, rows, api, role):
    client = api(role)
    for url in ["/api/v1/me/", *[f"/api/v1/{resource}/" for resource in ROWS]]:
        assert client.get(url).status_code == 401, url
        assert client.post(url, {}, format="json").status_code == 401, url


def write_requests(world, rows):
    """One write per endpoint, as (method, url, body, model whose row count must not change)."""
    a1 = world.patient_a1
    return [
        ("post", "/api/v1/protocols/", {"name": "New", "condition": "pfp"}, Protocol),
        ("patch", f"/api/v1/protocols/{rows.protocol_a.pk}/", {"name": "Renamed"}, Protocol),
        ("post", f"/api/v1/protocols/{rows.protocol_a.pk}/archive/", {}, Protocol),
        ("post", f"/api/v1/protocols/{rows.protocol_a.pk}/clone/", {}, Protocol),
        ("put", f"/api/v1/protocols/{rows.protocol_a.pk}/phases/", {"phases": []}, Protocol),
        ("post", "/api/v1/patients/", {"first_name": "N", "last_name": "P", "condition": "pfp", "side": "left"},
         Patient),
        ("patch", f"/api/v1/patients/{a1.pk}/", {"first_name": "Changed"}, Patient),
        ("post", "/api/v1/assignments/", {"patient": a1.pk, "protocol": rows.protocol_a.pk, "baseline_pain": 1},
         Assignment),
        ("post", "/api/v1/measurements/", {"patient": a1.pk, "effusion": "trace"}, Measurement),
        ("post", f"/api/v1/flags/{rows.flag_a1.pk}/acknowledge/", {}, Flag),
        ("post", f"/api/v1/flags/{rows.flag_a1.pk}/approve/", {}, Flag),
        ("post", f"/api/v1/flags/{rows.flag_a1.pk}/decline/", {}, Flag),
        ("post", f"/api/v1/flags/{rows.flag_a1.pk}/resolve/", {"note": "Seen in clinic."}, Flag),
    ]


STAFF_WRITE_REFUSED = {"anonymous": 401, "revoked_key_a": 401, "key_a": 403, "key_b": 403, "patient_a1": 403,
                       "patient_b1": 403}


@pytest.mark.parametrize("role", list(STAFF_WRITE_REFUSED))
def test_staff_writes_are_refused_to_others(world, rows, api, role):
    client = api(role)
    for method, url, body, model in write_requests(world, rows):
        before = model.objects.count()
        response = getattr(client, method)(url, body, format="json")
        assert response.status_code == STAFF_WRITE_REFUSED[role], (method, url, response.content)
        assert "detail" in response.json()
        assert model.objects.count() == before
    rows.flag_a1.refresh_from_db()
    assert rows.flag_a1.status == Flag.Status.OPEN
    assert Patient.objects.get(pk=world.patient_a1.pk).first_name == "Alma"


def test_api_key_writes_get_a_clear_403(world, api):
    response = api("key_a").post("/api/v1/patients/", {"first_name": "N"}, format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": "API keys are read-only."}


def test_staff_of_the_other_clinic_cannot_touch_clinic_a_rows(world, rows, api):
    client = api("therapist_b")
    for method, url, body, model in write_requests(world, rows):
        before = model.objects.count()
        response = getattr(client, method)(url, body, format="json")
        if url.count("/") > 4:  # a row of clinic A: not found, with no hint that it exists
            assert response.status_code == 404, (method, url, response.content)
            assert set(response.json()) == {"detail"}
        elif "patient" in body:  # a new row for a patient of clinic A: that patient is not found
            assert response.status_code == 400, (method, url, response.content)
            assert response.json()["patient"] == [f"Not found: {world.patient_a1.pk}."]
        else:  # a new row of their own clinic
            assert response.status_code == 201, (method, url, response.content)
            assert response.json()["clinic"] == world.clinic_b.pk
            continue
        assert model.objects.count() == before
    rows.flag_a1.refresh_from_db()
    rows.protocol_a.refresh_from_db()
    assert rows.flag_a1.status == Flag.Status.OPEN and not rows.protocol_a.is_archived


@pytest.mark.parametrize("role", ["therapist_a", "admin_a", "key_a", "key_b", "anonymous"])
def test_patient_writes_are_refused_to_others(world, api, role):
    exercise = world.assignment_a1.exercises.first()
    client = api(role)
    session = {"exercise": exercise.pk, "duration_min": 10, "pain_during": 1, "pain_after": 1}
    for url, body in (("/api/v1/sessions/", session), ("/api/v1/checkins/", {"pain": 2})):
        response = client.post(url, body, format="json")
        assert response.status_code == (401 if role == "anonymous" else 403), (url, response.content)
    assert not SessionLog.objects.exists() and not MorningCheckIn.objects.exists()


def test_me_is_for_patients_only(world, api):
    assert api("patient_a1").get("/api/v1/me/").status_code == 200
    for role, status in (("therapist_a", 403), ("admin_a", 403), ("key_a", 403), ("anonymous", 401),
                         ("revoked_key_a", 401)):
        response = api(role).get("/api/v1/me/")
        assert response.status_code == status, role
    assert api("therapist_a").get("/api/v1/me/").json() == {"detail": "Only patients can do this."}


def test_roleless_user_gets_403(world, api):
    from rest_framework.test import APIClient

    from tests.factories import UserFactory

    client = APIClient()
    client.force_login(UserFactory())
    response = client.get("/api/v1/patients/")
    assert response.status_code == 403
    assert response.json() == {"detail": "Your account is not linked to a clinic."}


# ---------------------------------------------------------------------------
# Query counts: lists cost the same whatever the number of rows
# ---------------------------------------------------------------------------

LIST_URLS = [f"/api/v1/{resource}/" for resource in ROWS]


def add_clinic_a_rows(world, count: int) -> None:
    """`count` more patients of clinic A, each with an assignment, sessions, a check-in, a measurement, a flag."""
    from patients.services import assignment_create, clinic_today

    today = clinic_today(world.clinic_a)
    for _ in range(count):
        protocol = make_protocol(clinic=world.clinic_a)
        patient = PatientFactory(clinic=world.clinic_a, therapist=world.therapist_a)
        assignment = assignment_create(patient=patient, protocol=protocol, start_date=today, baseline_pain=1)
        sessions_for(assignment, count=2, start=today - dt.timedelta(days=2))
        MorningCheckInFactory(patient=patient, date=today)
        MeasurementFactory(patient=patient)
        progression_flag(assignment)


@pytest.mark.parametrize("role", ["therapist_a", "key_a"])
@pytest.mark.parametrize("url", LIST_URLS)
def test_list_queries_do_not_grow_with_rows(world, api, django_assert_max_num_queries, url, role):
    client = api(role)
    add_clinic_a_rows(world, 1)
    with CaptureQueriesContext(connection) as few:
        small = client.get(url)
    assert small.status_code == 200
    add_clinic_a_rows(world, 6)
    with django_assert_max_num_queries(len(few.captured_queries)):
        large = client.get(url)
    assert large.json()["count"] > small.json()["count"]


def test_patient_lists_take_a_fixed_number_of_queries(world, api, django_assert_max_num_queries):
    client = api("patient_a1")
    sessions_for(world.assignment_a1, count=2)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/api/v1/assignments/").status_code == 200
        assert client.get("/api/v1/sessions/").status_code == 200
        assert client.get("/api/v1/me/").status_code == 200
    sessions_for(world.assignment_a1, count=8, start=world.assignment_a1.start_date)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/api/v1/assignments/")
        client.get("/api/v1/sessions/")
        client.get("/api/v1/me/")
