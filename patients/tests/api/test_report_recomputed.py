"""Done-when of the API issue: on the demo data, a key made by the command pulls the adherence report as JSON
and CSV, and the figures agree with product.md's definition recomputed from the sessions the API lists."""

import csv
import datetime as dt
import io
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from django.core.management import call_command

from clinic.models import Clinic
from patients.services import clinic_today

pytestmark = pytest.mark.django_db


def fetch_all(client, url, auth, params):
    rows, page = [], 1
    while True:
        body = client.get(url, {**params, "page": page, "page_size": 500}, **auth).json()
        rows += body["results"]
        if not body["next"]:
            return rows
        page += 1


def recompute(assignment: dict, sessions: list[dict], start: dt.date, end: dt.date, today: dt.date):
    """product.md, written out again from scratch: weeks, prescribed, distinct completed days, min, sum."""
    first = max(dt.date.fromisoformat(assignment["start_date"]), start)
    last = min(dt.date.fromisoformat(assignment["end_date"]) if assignment["end_date"] else today, end)
    if first > last:
        return Fraction(0), 0, None
    days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    completed = {dt.date.fromisoformat(s["date"]) for s in sessions if s["completed"]}
    weeks: dict[tuple, list[dt.date]] = {}
    for day in days:
        weeks.setdefault(day.isocalendar()[:2], []).append(day)
    prescribed = credited = Fraction(0)
    done_days = 0
    for week_days in weeks.values():
        p = Fraction(assignment["sessions_per_week"] * len(week_days), 7)
        done = sum(1 for d in week_days if d in completed)
        prescribed += p
        credited += min(Fraction(done), p)
        done_days += done
    if prescribed == 0:
        return prescribed, done_days, None
    pct = Decimal(credited.numerator * 100) / Decimal(credited.denominator) / (
        Decimal(prescribed.numerator) / Decimal(prescribed.denominator))
    return prescribed, done_days, pct.quantize(Decimal("0.1"), ROUND_HALF_UP)


def test_demo_report_agrees_with_the_definition(client):
    call_command("seed_demo", stdout=io.StringIO())
    out = io.StringIO()
    call_command("create_api_key", "--clinic", "Demo Clinic", "--name", "EHR", stdout=out)
    auth = {"HTTP_AUTHORIZATION": f"Api-Key {out.getvalue().strip().splitlines()[-1]}"}
    today = clinic_today(Clinic.objects.get(slug="demo-clinic"))
    start, end = today - dt.timedelta(days=55), today
    report = client.get("/api/v1/reports/adherence/", {"start": start, "end": end}, **auth)
    assert report.status_code == 200
    rows = report.json()["rows"]
    assert len(rows) == 13  # Demo Clinic's patients, Lucía (in Spanish) included
    assignments = {a["id"]: a for a in fetch_all(client, "/api/v1/assignments/", auth, {})}
    sessions = fetch_all(client, "/api/v1/sessions/", auth, {"date_from": start, "date_to": end})
    for row in rows:
        mine = [s for s in sessions if s["assignment"] == row["assignment_id"]]
        prescribed, done_days, pct = recompute(assignments[row["assignment_id"]], mine, start, end, today)
        assert round(float(prescribed), 2) == row["prescribed"], row["external_ref"]
        assert done_days == row["completed_days"], row["external_ref"]
        assert (None if pct is None else float(pct)) == row["adherence_pct"], row["external_ref"]
    csv_rows = list(csv.DictReader(io.StringIO(
        client.get("/api/v1/reports/adherence/", {"start": start, "end": end, "format": "csv"}, **auth)
        .content.decode())))
    assert [(r["assignment_id"], r["adherence_pct"]) for r in csv_rows] == [
        (str(r["assignment_id"]), "" if r["adherence_pct"] is None else f"{r['adherence_pct']:.1f}") for r in rows]
