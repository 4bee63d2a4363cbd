"""Issue 21: pages and the one-year report do not grow with years of history.

The bench's own builder (bench.data.build, `manage.py bench --years N`) makes
the Bench Clinic at a tiny scale with one year of history per patient, then
again with three (two earlier plans per patient, completed, with their
sessions, check-ins, measurements, resolved flags and audit trail). Each page
is asked for at one year to count its queries; at three years it must not
take more (django_assert_max_num_queries), and the one-year report must give
the same figures (the earlier plans end before the window). Speed is measured
by `make bench BENCH_COMPARE_YEARS=1,5`, never here.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.data import build
from bench.progress import Progress
from clinic.models import User
from patients.models import Assignment, Patient

pytestmark = [pytest.mark.bench, pytest.mark.django_db]

SCALE = 0.005  # 20 patients


def _build(years: int):
    return build(scale=SCALE, years=years, progress=Progress(1, stream=io.StringIO()))


def _signed_in(user_id: int) -> Client:
    client = Client()
    client.force_login(User.objects.get(pk=user_id))
    return client


def _pages(data) -> dict[str, tuple[Client, str, dict]]:
    """The pages of the bench's years comparison, with who asks for them."""
    patient_id = data.today_patient_id
    therapist_id = Patient.objects.values_list("therapist_id", flat=True).get(pk=patient_id)
    key = {"HTTP_AUTHORIZATION": f"Api-Key {data.api_key_raw}"}
    start = data.today - dt.timedelta(days=364)
    return {
        "patient list": (_signed_in(data.dashboard_therapist_id), "/patients/", {}),
        "patient page": (_signed_in(therapist_id), f"/patients/{patient_id}/", {}),
        "today": (_signed_in(data.today_user_id), "/today/", {}),
        "report": (Client(), f"/api/v1/reports/adherence/?start={start}&end={data.today}", key),
        "FHIR Observations": (Client(), f"/fhir/R4/Observation?patient={patient_id}", key),
        "API sessions": (Client(), f"/api/v1/sessions/?patient={patient_id}", key),
    }


def _get(client: Client, path: str, headers: dict):
    response = client.get(path, **headers)
    assert response.status_code == 200, (path, response.status_code)
    return response


def _report_figures(response) -> dict[str, tuple]:
    """The report's figures by patient (ids differ between builds; the external reference does not)."""
    return {row["external_ref"]: (row["prescribed"], row["completed_days"], row["adherence_pct"],
                                  row["mean_pain_during"], row["last_session_date"], row["current_step"],
                                  row["open_flags"])
            for row in response.json()["rows"]}


def test_pages_and_the_one_year_report_do_not_grow_with_years_of_history(django_assert_max_num_queries):
    one = _build(years=1)
    counts, report = {}, None
    for name, (client, path, headers) in _pages(one).items():
        _get(client, path, headers)  # warm-up: the first visit of a page records it
        with CaptureQueriesContext(connection) as captured:
            response = _get(client, path, headers)
        counts[name] = len(captured)
        if name == "report":
            report = _report_figures(response)

    three = _build(years=3)
    assert Assignment.objects.filter(patient__clinic=three.clinic).count() == 3 * three.sizes.patients
    for name, (client, path, headers) in _pages(three).items():
        _get(client, path, headers)
        with django_assert_max_num_queries(counts[name]):
            response = _get(client, path, headers)
        if name == "report":
            # The earlier plans end before the window: the same rows, the same figures.
            assert _report_figures(response) == report


def test_the_patient_page_weeks_and_the_report_by_week_agree_after_years_of_history():
    """Adherence means the same on every page: the patient page's weekly chart (current plan) and the API's
    report by week over that plan give the same weeks, active days and completed days, with earlier plans
    behind them."""
    data = _build(years=2)
    client, path, _headers = _pages(data)["patient page"]
    overview = _get(client, path, {}).context["overview"]
    plan = overview.assignment
    assert plan.status == Assignment.Status.ACTIVE
    assert Assignment.objects.filter(patient_id=data.today_patient_id).count() == 2
    response = Client().get("/api/v1/reports/adherence/", {
        "start": plan.start_date, "end": data.today, "patient": data.today_patient_id, "group_by": "week"},
        HTTP_AUTHORIZATION=f"Api-Key {data.api_key_raw}")
    assert response.status_code == 200
    rows = [row for row in response.json()["rows"] if row["assignment_id"] == plan.pk]
    page = [(week.week_start.isoformat(), week.active_days, week.done) for week in overview.weeks]
    report = [(row["week_start"], row["active_days"], row["completed_days"]) for row in rows]
    assert page and report == page
    assert sum(done for _w, _a, done in page) > 0


def test_the_patient_page_weeks_and_the_report_totals_agree():
    """The report's totals (one SQL statement, issue 21) over the current plan are the sums of the patient page's
    weekly chart: the same prescribed days, completed days and adherence, with earlier plans behind them."""
    from patients.adherence import adherence_pct, prescribed_days

    data = _build(years=2)
    client, path, _headers = _pages(data)["patient page"]
    overview = _get(client, path, {}).context["overview"]
    plan = overview.assignment
    response = Client().get("/api/v1/reports/adherence/", {
        "start": plan.start_date, "end": data.today, "patient": data.today_patient_id},
        HTTP_AUTHORIZATION=f"Api-Key {data.api_key_raw}")
    assert response.status_code == 200
    [row] = [row for row in response.json()["rows"] if row["assignment_id"] == plan.pk]
    weeks = overview.weeks
    assert sum(week.done for week in weeks) > 0
    assert (row["prescribed"], row["completed_days"], row["adherence_pct"]) == (
        float(prescribed_days(sum(week.prescribed_sevenths for week in weeks))), sum(week.done for week in weeks),
        float(adherence_pct(weeks)))
