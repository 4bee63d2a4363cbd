"""GET /api/v1/reports/rtm/: JSON and CSV agree, API keys and clinic scoping as the adherence report, fixed
queries whatever the number of patients, and the refusals (anonymous, another clinic's key, a patient)."""

from __future__ import annotations

import csv
import io

import pytest

from clinic.models import AuditEvent
from clinic.services import api_key_create, api_key_revoke
from monitoring.services import time_entry_create
from monitoring.tests.support import D, checkins_on, days_from, enrolled, patient_on_plan, sessions_on
from tests.api.support import forget_throttle_history
from tests.factories import make_protocol

pytestmark = pytest.mark.django_db
URL = "/api/v1/reports/rtm/"
WINDOW = {"start": "2026-01-01", "end": "2026-02-28"}


@pytest.fixture
def key(world):
    forget_throttle_history()
    _key, raw = api_key_create(clinic=world.clinic_a, name="Billing")
    return {"HTTP_AUTHORIZATION": f"Api-Key {raw}"}


@pytest.fixture
def eve(world):
    """Set up 10 Jan 2026 (periods 10 Jan-8 Feb, 9 Feb-10 Mar): 16 days then 3; 24 minutes in January, one call."""
    patient, plan = patient_on_plan(world.clinic_a, world.therapist_a, start=D(2026, 1, 1), ref="=EVE")
    enrolled(world, patient, D(2026, 1, 10))
    sessions_on(plan, *days_from(D(2026, 1, 10), 16))
    checkins_on(patient, D(2026, 2, 9), D(2026, 2, 10), D(2026, 2, 11))
    for day, minutes, call in ((D(2026, 1, 12), 14, True), (D(2026, 1, 20), 10, False)):
        time_entry_create(patient=patient, author=world.therapist_a, date=day, minutes=minutes, activity="Review",
                          interactive=call, today=D(2026, 3, 1))
    return patient


def test_json_rows_per_patient_and_period(client, world, key, eve):
    body = client.get(URL, WINDOW, **key).json()
    assert "never submits claims" in body["notice"]
    rows = [(r["patient_id"], r["period"], r["period_start"], r["period_end"], r["days_with_data"],
             [c["code"] for c in r["codes"]]) for r in body["rows"]]
    # January's 24 minutes with a call (98980) are listed on period 1, the last period touching January.
    assert rows == [
        (eve.pk, 1, "2026-01-10", "2026-02-08", 16, ["98975", "98977", "98980"]),
        (eve.pk, 2, "2026-02-09", "2026-03-10", 3, ["98985"]),
    ]
    first = body["rows"][0]
    assert first["months"] == [
        {"month": "2026-01", "minutes": 24, "interactive": True, "codes": [{"code": "98980", "units": 1}],
         "listed_here": True},
        {"month": "2026-02", "minutes": 0, "interactive": False, "codes": [], "listed_here": False},
    ]
    assert [c["code"] for c in first["codes"]] == ["98975", "98977", "98980"]
    assert (first["period_days"], first["period_end_reason"], first["external_ref"]) == (30, None, "=EVE")


def test_csv_by_format_or_accept_agrees_with_json(client, world, key, eve):
    body = client.get(URL, WINDOW, **key).json()
    for extra, headers in (({"format": "csv"}, {}), ({}, {"HTTP_ACCEPT": "text/csv"})):
        response = client.get(URL, {**WINDOW, **extra}, **key, **headers)
        assert response["Content-Type"].startswith("text/csv")
        assert 'filename="rtm-2026-01-01-2026-02-28.csv"' in response["Content-Disposition"]
        rows = list(csv.DictReader(io.StringIO(response.content.decode())))
        assert [(r["period"], r["days_with_data"], r["codes"]) for r in rows] == [
            (str(r["period"]), str(r["days_with_data"]), " ".join(c["code"] for c in r["codes"]))
            for r in body["rows"]]
        assert rows[0]["external_ref"] == "'=EVE"  # a cell that would run as a formula stays text
        assert (rows[0]["month_1"], rows[0]["minutes_1"], rows[0]["interactive_1"], rows[0]["month_3"]) == (
            "2026-01", "24", "yes", "")
        assert rows[0]["months_listed_here"] == "2026-01"


def test_the_pull_is_audited_with_its_patients(client, world, key, eve):
    client.get(URL, {**WINDOW, "format": "csv"}, **key)
    event = AuditEvent.objects.get(route="report-rtm")
    assert (event.actor_role, event.patient_count, event.detail["format"], event.detail["rows"]) == (
        "api_key", 1, "csv", 2)
    assert event.label == "pulled the remote-monitoring report"


def test_refusals_and_scoping(client, world, key, eve):
    assert client.get(URL, WINDOW).status_code == 401  # anonymous
    _other, raw_b = api_key_create(clinic=world.clinic_b, name="Other clinic")
    other = client.get(URL, {**WINDOW, "patient": eve.pk}, HTTP_AUTHORIZATION=f"Api-Key {raw_b}")
    assert other.status_code == 200 and other.json()["rows"] == []  # clinic A's patient is not found
    revoked, raw = api_key_create(clinic=world.clinic_a, name="Old")
    api_key_revoke(key=revoked)
    assert client.get(URL, WINDOW, HTTP_AUTHORIZATION=f"Api-Key {raw}").status_code == 401
    client.force_login(world.patient_a1.user)
    assert client.get(URL, WINDOW).status_code == 403  # a patient's own session
    client.force_login(world.therapist_b)
    assert client.get(URL, WINDOW).json()["rows"] == []
    client.force_login(world.therapist_a)
    assert len(client.get(URL, WINDOW).json()["rows"]) == 2


@pytest.mark.parametrize("params, field", [
    ({"start": "2026-02-01", "end": "2026-01-01"}, "end"),
    ({"start": "2024-01-01", "end": "2026-01-01"}, "end"),
    ({"start": "1900-01-01"}, "start"),
    ({"therapist": "45168445360823369728"}, "therapist"),
    ({"patient": "x"}, "patient"),
])
def test_bad_parameters_are_a_400_naming_them(client, world, key, params, field):
    response = client.get(URL, params, **key)
    assert response.status_code == 400 and field in response.json()


def test_the_query_count_does_not_grow_with_patients(client, world, key, django_assert_max_num_queries):
    protocol = make_protocol()

    def add(count):
        for n in range(count):
            patient, plan = patient_on_plan(world.clinic_a, world.therapist_a, start=D(2026, 1, 1),
                                            protocol=protocol)
            enrolled(world, patient, D(2026, 1, 2 + n))
            sessions_on(plan, *days_from(D(2026, 1, 2 + n), 3))
            time_entry_create(patient=patient, author=world.therapist_a, date=D(2026, 1, 25), minutes=20,
                              activity="Call", interactive=True, today=D(2026, 3, 1))

    add(1)
    client.get(URL, WINDOW, **key)  # the key's "last used" is written once
    with django_assert_max_num_queries(99) as one:
        client.get(URL, WINDOW, **key)
    add(19)
    # The key; the episodes, the days (one UNION), the minutes, the rules; the audit event and its patients.
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(URL, WINDOW, **key)
    assert len(response.json()["rows"]) == 40 and len(one.captured_queries) <= 8
