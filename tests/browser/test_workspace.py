"""The therapist's workspace in Chromium: add and assign a patient, the patient page's charts, the inbox."""

import datetime as dt

import pytest

from patients.models import Assignment, Flag
from tests.browser.conftest import check_page
from tests.factories import PASSWORD, MorningCheckInFactory, SessionLogFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_celery")]
TODAY = dt.date.today()


def sign_in(page, email="therapist@a.test"):
    page.goto("/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Patients").wait_for()


def test_add_assign_and_follow_a_patient(world, open_page):
    page, watch = open_page(1280, 800)
    sign_in(page)
    check_page(page, watch, "workspace-list", 1280)
    page.get_by_role("link", name="Add a patient").click()
    page.get_by_label("First name").fill("Iris")
    page.get_by_label("Last name").fill("Quill")
    page.get_by_label("E-mail").fill("iris@patient.test")
    page.get_by_label("Condition").select_option("pfp")
    page.get_by_label("Affected side").select_option("right")
    check_page(page, watch, "workspace-new-patient", 1280)
    page.get_by_role("button", name="Add patient").click()
    page.get_by_role("heading", name="Assign a protocol to Iris Quill").wait_for()
    page.get_by_label("Protocol").select_option(index=1)
    page.locator("label[for=id_baseline_pain-3]").click()
    check_page(page, watch, "workspace-assign", 1280)
    page.get_by_role("button", name="Assign").click()
    page.get_by_role("heading", name="Iris Quill").wait_for()
    assert Assignment.objects.get(patient__first_name="Iris").baseline_pain == 3
    page.goto("/patients/")
    assert page.get_by_role("link", name="Iris Quill").is_visible()


def test_patient_page_draws_both_charts(world, open_page):
    exercise = world.assignment_a1.exercises.get(order=0, phase__order=0)
    for back, pain in ((9, 3), (6, 2), (2, 1)):
        SessionLogFactory(exercise=exercise, date=TODAY - dt.timedelta(days=back), pain_during=pain)
        MorningCheckInFactory(patient=world.patient_a1, date=TODAY - dt.timedelta(days=back - 1), pain=1)
    page, watch = open_page(1280, 900)
    sign_in(page)
    page.get_by_role("link", name="Alma Ashby").click()
    page.get_by_role("heading", name="Pain over time").wait_for()
    page.wait_for_function("() => window.Chart && Chart.getChart('pain-chart') && Chart.getChart('adherence-chart')")
    points = page.evaluate("Chart.getChart('pain-chart').data.datasets[0].data.filter(v => v !== null).length")
    bars = page.evaluate("Chart.getChart('adherence-chart').data.datasets[0].data.length")
    assert points == 3 and bars >= 3
    check_page(page, watch, "workspace-patient", 1280)


def test_approve_a_suggestion_in_the_inbox(world, open_page):
    from patients.services import assignments_check

    exercise = world.assignment_a1.exercises.get(order=0, phase__order=0)
    for back in (3, 1):
        SessionLogFactory(exercise=exercise, date=TODAY - dt.timedelta(days=back), pain_during=1)
        MorningCheckInFactory(patient=world.patient_a1, date=TODAY - dt.timedelta(days=back - 1), pain=1)
    assignments_check(assignment_ids=[world.assignment_a1.pk], today=TODAY)
    assert Flag.objects.filter(kind="progression", status="open").exists()
    page, watch = open_page(1280, 800)
    sign_in(page)
    page.get_by_role("link", name="Flags").click()
    page.get_by_role("heading", name="Flags").wait_for()
    check_page(page, watch, "workspace-inbox", 1280)
    page.get_by_role("button", name="Approve step up").click()
    page.get_by_text("Approved: the new step applies from today.").wait_for()
    exercise.refresh_from_db()
    assert exercise.current_step == 1
