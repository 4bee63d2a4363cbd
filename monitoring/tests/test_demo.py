"""The demo: every group of the monitoring page is there, and the report agrees with the data the API lists."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from clinic.clock import clinic_today
from clinic.models import Clinic, User
from monitoring import periods
from monitoring.models import Enrolment, TimeEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def fetch_all(client, url, auth, params) -> list[dict]:
    rows, page = [], 1
    while True:
        body = client.get(url, {**params, "page": page, "page_size": 500}, **auth).json()
        rows += body["results"]
        if not body["next"]:
            return rows
        page += 1


def test_the_demo_shows_every_group(client, demo):
    assert "6 enrolled in remote monitoring" in demo
    clinic = Clinic.objects.get(slug="demo-clinic")
    assert TimeEntry.objects.filter(patient__clinic=clinic, interactive=True).exists()
    client.force_login(User.objects.get(email="therapist@demo.clinic"))
    response = client.get(reverse("monitoring:clinic"))
    statuses = {row.status.status for row in response.context["page"].object_list}
    assert {periods.ON_TRACK, periods.PARTIAL, periods.AT_RISK, periods.NO_DATA} <= statuses
    # The patient who signs in on the demo is among them, and Northside is left to show the empty page.
    assert Enrolment.objects.filter(patient__external_ref="DC-001").exists()
    client.force_login(User.objects.get(email="therapist@northside.clinic"))
    assert "No patient is enrolled" in client.get(reverse("monitoring:clinic")).content.decode()


def test_the_demo_report_agrees_with_the_sessions_and_check_ins_the_api_lists(client, demo):
    out = io.StringIO()
    call_command("create_api_key", "--clinic", "Demo Clinic", "--name", "Billing", stdout=out)
    auth = {"HTTP_AUTHORIZATION": f"Api-Key {out.getvalue().strip().splitlines()[-1]}"}
    today = clinic_today(Clinic.objects.get(slug="demo-clinic"))
    start = today - dt.timedelta(days=90)
    report = client.get("/api/v1/reports/rtm/", {"start": start, "end": today}, **auth)
    assert report.status_code == 200
    rows = report.json()["rows"]
    assert {r["patient_id"] for r in rows} == set(Enrolment.objects.values_list("patient_id", flat=True))
    window = {"date_from": start - dt.timedelta(days=31), "date_to": today}
    days: dict[int, set[str]] = {}
    for item in fetch_all(client, "/api/v1/sessions/", auth, window) + fetch_all(client, "/api/v1/checkins/",
                                                                                 auth, window):
        days.setdefault(item["patient"], set()).add(item["date"])
    for row in rows:
        # Written out again: period n starts 30 x (n - 1) days after the set-up and lasts 30 days.
        setup = dt.date.fromisoformat(row["setup_date"])
        first = setup + dt.timedelta(days=30 * (row["period"] - 1))
        assert row["period_start"] == first.isoformat()
        assert row["period_end"] == (first + dt.timedelta(days=29)).isoformat()
        last = min(first + dt.timedelta(days=29), today)
        counted = {d for d in days.get(row["patient_id"], set()) if first.isoformat() <= d <= last.isoformat()}
        assert row["days_with_data"] == len(counted), row
        device = "98977" if len(counted) >= 16 else "98985" if len(counted) >= 2 else None
        expected = (["98975"] if row["period"] == 1 else []) + ([device] if device else [])
        got = [c["code"] for c in row["codes"] if c["code"] in ("98975", "98977", "98985")]
        assert got == sorted(expected), row
