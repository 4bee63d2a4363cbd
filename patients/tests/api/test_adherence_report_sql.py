"""The report API's totals come from one statement (issue 21): the same rows, the same serialised fields, the same
few queries whatever the number of plans, JSON and CSV alike."""

import csv
import datetime as dt
import io

import pytest

from clinic.services import api_key_create
from clinic.tenancy import resolve_actor
from patients.adherence_report import adherence_report, adherence_totals_report
from patients.api.reports import AdherenceRowSerializer, row_dicts, totals_representation
from patients.models import Flag
from patients.services import assignment_create
from patients.tests.api.test_adherence_report import report_queries
from tests.factories import PatientFactory, SessionLogFactory, make_protocol

pytestmark = pytest.mark.django_db
D = dt.date
URL = "/api/v1/reports/adherence/"
START, END, TODAY = D(2026, 3, 4), D(2026, 3, 17), D(2026, 3, 31)


@pytest.fixture
def plans(world):
    """Plans with and without a therapist's name, sessions, a ladder step moved on and an open flag."""
    protocol = make_protocol()
    world.admin_a.first_name, world.admin_a.last_name = "", ""
    world.admin_a.save()  # a therapist without a name is shown by e-mail
    made = []
    for n, therapist in enumerate((world.therapist_a, world.admin_a, None)):
        patient = PatientFactory(clinic=world.clinic_a, therapist=therapist, external_ref=f"SQL-{n}")
        plan = assignment_create(patient=patient, protocol=protocol, start_date=D(2026, 3, 1 + 3 * n),
                                 baseline_pain=2, sessions_per_week=2 + n)
        walk = plan.exercises.get(order=0)
        walk.current_step = n % 3
        walk.save(update_fields=["current_step"])
        for day in range(n, 14, 2):
            SessionLogFactory(exercise=walk, date=START + dt.timedelta(days=day), pain_during=day % 5,
                              completed=day % 3 != 0)
        if n == 1:
            Flag.objects.create(patient=patient, exercise=walk, kind="pain_red", severity="urgent")
        made.append(plan)
    return made


def test_totals_rows_are_written_as_the_serializer_writes_them(world, plans):
    actor = resolve_actor(world.admin_a)
    totals = adherence_totals_report(actor=actor, start=START, end=END, today=TODAY)
    orm = adherence_report(actor=actor, start=START, end=END, today=TODAY)
    assert len(totals) == len(orm) >= 3
    expected = AdherenceRowSerializer([d for row in orm for d in row_dicts(row, by_week=False)], many=True).data
    written = [totals_representation(row, START.isoformat(), END.isoformat()) for row in totals]
    assert written == [dict(row) for row in expected]
    assert [list(row) for row in written] == [list(row) for row in expected]  # the same keys in the same order
    by_ref = {row["external_ref"]: row for row in written}
    assert by_ref["SQL-1"]["therapist"] == world.admin_a.email and by_ref["SQL-2"]["therapist"] is None
    assert by_ref["SQL-1"]["open_flags"] == 1 and by_ref["SQL-1"]["current_level"] == 2
    assert by_ref["SQL-0"]["current_step_load"] == "2.5 km/h · 0 % · 10 min"


@pytest.mark.parametrize("fmt", ["json", "csv"])
@pytest.mark.parametrize("size", [2, 40])
def test_the_report_is_the_same_few_queries_whatever_the_plans(client, world, fmt, size, django_assert_num_queries):
    """The guard runs on SQLite and, with DATABASE_URL, on PostgreSQL: the count is the same on both."""
    protocol = make_protocol()
    for n in range(size):
        patient = PatientFactory(clinic=world.clinic_a, therapist=world.therapist_a)
        plan = assignment_create(patient=patient, protocol=protocol, start_date=D(2026, 2, 1), baseline_pain=1)
        SessionLogFactory(exercise=plan.exercises.get(order=0), date=D(2026, 3, 5 + n % 7))
    _key, raw = api_key_create(clinic=world.clinic_a, name="EHR")
    auth = {"HTTP_AUTHORIZATION": f"Api-Key {raw}"}
    params = {"start": START, "end": END, "format": fmt}
    client.get(URL, params, **auth)  # warm the key's last-used
    with django_assert_num_queries(report_queries()):
        response = client.get(URL, params, **auth)
    assert response.status_code == 200
    rows = (response.json()["rows"] if fmt == "json"
            else list(csv.DictReader(io.StringIO(response.content.decode()))))
    assert len(rows) == size + 2


@pytest.mark.parametrize("params", [{}, {"condition": "pfp"}, {"condition": "acl"}, {"therapist": "mine"},
                                    {"patient": "first"}])
def test_filters_give_the_orm_reports_rows(client, world, plans, params):
    """Every filter of the API narrows the one-statement report exactly as the ORM report (still used by week)."""
    params = dict(params)
    if params.get("therapist") == "mine":
        params["therapist"] = world.therapist_a.pk
    if params.get("patient") == "first":
        params["patient"] = plans[0].patient_id
    client.force_login(world.admin_a)
    body = client.get(URL, {"start": START, "end": END, **params}).json()
    orm = adherence_report(actor=resolve_actor(world.admin_a), start=START, end=END, today=TODAY,
                           therapist_id=params.get("therapist"), patient_id=params.get("patient"),
                           condition=params.get("condition"))
    assert [row["assignment_id"] for row in body["rows"]] == [row.assignment.pk for row in orm]
