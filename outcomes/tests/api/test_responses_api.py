"""GET /api/v1/outcomes/responses/: clinic-scoped, staff and API keys only, filtered by patient, paginated, and a
fixed number of queries however many responses there are."""

import datetime as dt

import pytest

from tests.api.support import api  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db
URL = "/api/v1/outcomes/responses/"


@pytest.fixture
def answered(world, ask, submit):
    ask("sane")
    ask("sane", assignment=world.assignment_b1)
    start = world.assignment_a1.start_date
    for week in range(3):
        submit("sane", {"SANE": 40 + 10 * week}, day=start + dt.timedelta(weeks=week))
    submit("sane", {"SANE": 50}, patient=world.patient_b1, day=world.assignment_b1.start_date)
    ask("sane", assignment=world.assignment_a2)
    submit("sane", {"SANE": 90}, patient=world.patient_a2, day=world.assignment_a2.start_date)


def test_staff_and_keys_read_their_clinics_responses_with_every_scale(api, world, answered):  # noqa: F811
    for role in ("therapist_a", "admin_a", "key_a"):
        body = api(role).get(URL).json()
        assert body["count"] == 4, role
        assert {r["patient"] for r in body["results"]} == {world.patient_a1.pk, world.patient_a2.pk}
    first = api("key_a").get(URL, {"patient": world.patient_a1.pk}).json()["results"][-1]
    assert first["instrument_id"] == "sane" and first["instrument_version"] == "1"
    assert first["answers"] == {"SANE": 40} and first["primary_score"] == "40.0"
    assert first["scales"] == [{"scale": "sane", "title": "Knee, % of normal", "value": "40.0", "reason": None,
                                "answered": 1, "required": 1}]
    assert api("therapist_b").get(URL).json()["count"] == 1


def test_negatives_anonymous_patients_other_clinic_bad_filters(api, world, answered):  # noqa: F811
    assert api("anonymous").get(URL).status_code == 401
    assert api("revoked_key_a").get(URL).status_code == 401
    assert api("patient_a1").get(URL).status_code == 403
    # Another clinic's patient is simply not there; a bad id is a 400 naming the parameter.
    assert api("therapist_a").get(URL, {"patient": world.patient_b1.pk}).json()["count"] == 0
    assert api("key_b").get(URL, {"patient": world.patient_a1.pk}).json()["count"] == 0
    bad = api("therapist_a").get(URL, {"patient": "x"})
    assert bad.status_code == 400 and "patient" in bad.content.decode()
    other = api("therapist_b").get(URL, {"patient": world.patient_a1.pk}).json()
    assert other["count"] == 0


def test_a_fixed_number_of_queries_whatever_the_page_length(api, world, ask, submit,  # noqa: F811
                                                              django_assert_max_num_queries):
    ask("sane")
    start = world.assignment_a1.start_date
    client = api("therapist_a")
    submit("sane", {"SANE": 10}, day=start)
    client.get(URL)
    with django_assert_max_num_queries(12) as few:
        client.get(URL)
    for week in range(1, 3):
        submit("sane", {"SANE": 10 + week}, day=start + dt.timedelta(weeks=week))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(URL).json()["count"] == 3
