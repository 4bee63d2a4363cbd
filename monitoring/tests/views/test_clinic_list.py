"""The clinic's remote-monitoring page and its CSV: groups, filters, pages, the empty state, fixed queries."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clinic.clock import clinic_today
from clinic.models import AuditEvent
from monitoring.services import time_entry_create
from monitoring.tests.support import days_from, enrolled, patient_on_plan, sessions_on
from monitoring.views import ROWS_PER_PAGE
from tests.factories import make_protocol

pytestmark = pytest.mark.django_db
URL = reverse("monitoring:clinic")


@pytest.fixture
def today(world):
    return clinic_today(world.clinic_a)


@pytest.fixture
def staff(client, world):
    client.force_login(world.therapist_a)
    return client


@pytest.fixture
def groups(world, today):
    """One patient per group today, worked out from the set-up date and the days with data."""
    protocol = make_protocol()

    def patient(name, setup_back, data_back, therapist=None):
        patient, plan = patient_on_plan(world.clinic_a, therapist or world.therapist_a,
                                        start=today - dt.timedelta(days=60), first_name=name, last_name="Test",
                                        ref=name.upper(), protocol=protocol)
        enrolled(world, patient, today - dt.timedelta(days=setup_back), today=today)
        sessions_on(plan, *[today - dt.timedelta(days=n) for n in data_back])
        return patient

    return {
        # Set up 20 days ago, data on each of the last 20 days: 20 >= 16.
        "on_track": patient("Olive", 20, range(1, 21)),
        # 25 days ago, 5 days: 5 + 5 days left (today and 4 after, none today yet) < 16, 5 >= 2.
        "partial": patient("Pia", 25, range(1, 6)),
        # 10 days ago, 2 days: 2 x 30 < 16 x 10, and 14 more in the 20 days left is possible.
        "at_risk": patient("Ria", 10, (1, 2), therapist=world.admin_a),
        # 5 days ago, nothing since.
        "no_data": patient("Nell", 5, ()),
    }


def test_patients_are_grouped_neediest_first_with_words(staff, world, groups):
    response = staff.get(URL)
    body = response.content.decode()
    assert response.status_code == 200
    order = [body.index(f"{name} Test") for name in ("Ria", "Nell", "Pia", "Olive")]
    assert order == sorted(order)
    assert "Needs 14 more days with data in the 20 days left to reach 16 (2 so far)." in body
    assert "No data yet this period" in body and "2–15 days" in body and "On track for 16+ days" in body
    assert "never submits claims" in body


def test_filters_by_therapist_and_group(staff, world, groups):
    body = staff.get(URL, {"therapist": world.admin_a.pk}).content.decode()
    assert "Ria Test" in body and "Olive Test" not in body
    body = staff.get(URL, {"status": "partial"}).content.decode()
    assert "Pia Test" in body and "Ria Test" not in body
    body = staff.get(URL, {"status": "nonsense", "therapist": "x"}).content.decode()  # ignored, not an error
    assert all(f"{n} Test" in body for n in ("Ria", "Nell", "Pia", "Olive"))
    event = AuditEvent.objects.filter(route="monitoring:clinic").order_by("-id").first()
    assert event.patient_count == 4


def test_empty_states_say_what_to_do_next(staff, world, groups):
    filtered = staff.get(URL, {"status": "on_track", "therapist": world.admin_a.pk}).content.decode()
    assert "No enrolled patient matches these filters" in filtered
    staff.force_login(world.therapist_b)
    body = staff.get(URL).content.decode()
    assert "No patient is enrolled in remote monitoring yet" in body and "choose the set-up date and Enrol" in body
    assert "Test" not in body  # nobody of clinic A


def test_the_csv_has_every_row_and_neutralises_formulas(staff, world, groups, today):
    groups["on_track"].external_ref = "=HYPERLINK(1)"
    groups["on_track"].save()
    time_entry_create(patient=groups["on_track"], author=world.therapist_a, date=today, minutes=22,
                      activity="Video call", interactive=True, today=today)
    response = staff.get(reverse("monitoring:export"))
    assert response["Content-Type"].startswith("text/csv") and "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["last_name"] for r in rows] == ["Test"] * 4
    olive = next(r for r in rows if r["first_name"] == "Olive")
    assert olive["external_ref"] == "'=HYPERLINK(1)"
    assert (olive["status"], olive["days_with_data"], olive["minutes"], olive["interactive"]) == (
        "on_track", "20", "22", "yes")
    assert olive["codes_met_so_far"] == "98975 98977 98980"  # its first period: the set-up too
    assert AuditEvent.objects.filter(route="monitoring:export").get().patient_count == 4


def test_pages_of_fifty(staff, world, today):
    protocol = make_protocol()
    for n in range(ROWS_PER_PAGE + 1):
        patient, _plan = patient_on_plan(world.clinic_a, world.therapist_a, start=today, protocol=protocol,
                                         last_name=f"P{n:03d}")
        enrolled(world, patient, today, today=today)
    first = staff.get(URL).content.decode()
    second = staff.get(URL, {"page": 2}).content.decode()
    assert "Page 1 of 2" in first and "P050" not in first and "P050" in second


def test_the_page_reads_a_fixed_number_of_queries(staff, world, today, django_assert_max_num_queries):
    protocol = make_protocol()

    def add(count):
        for _n in range(count):
            patient, plan = patient_on_plan(world.clinic_a, world.therapist_a, start=today - dt.timedelta(days=9),
                                            protocol=protocol)
            enrolled(world, patient, today - dt.timedelta(days=9), today=today)
            sessions_on(plan, *days_from(today - dt.timedelta(days=9), 5))
            time_entry_create(patient=patient, author=world.therapist_a, date=today, minutes=5, activity="Review",
                              interactive=False, today=today)

    add(1)
    staff.get(URL)
    with CaptureQueriesContext(connection) as one:
        staff.get(URL)
    add(19)
    # Session, user and role; the episodes, the days (one UNION), the minutes, the rules, the staff for the
    # filter; the audit event and its patients.
    with django_assert_max_num_queries(len(one)):
        response = staff.get(URL)
    assert response.content.decode().count("98975") == 20 and len(one) <= 11
