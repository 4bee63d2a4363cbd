"""A questionnaire on the phone at 360 px: one question per screen, the connection lost half way, answers kept
and sent when it is back, and exactly one response with the right score."""

from decimal import Decimal

import pytest

from outcomes.models import QuestionnaireResponse
from outcomes.plan_questionnaires import plan_questionnaire_add
from tests.browser.conftest import check_page, screenshot
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_celery")]


def sign_in(page, email):
    page.goto("/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def tap(page, activity: str, value: int):
    screen = page.locator("fieldset.bs-q-current")
    assert activity in screen.inner_text()
    screen.locator("label.bs-q-choice", has_text=str(value)).first.click()


def test_psfs_survives_a_lost_connection_and_is_submitted_once(world, open_page):
    plan_questionnaire_add(assignment=world.assignment_a1, instrument_id="psfs", user=world.therapist_a)
    page, watch = open_page(360, 740)
    sign_in(page, "a1@a.test")
    page.get_by_role("link", name="PSFS (Patient-Specific Functional Scale)").click()
    page.get_by_role("heading", name="PSFS (Patient-Specific Functional Scale)").wait_for()
    for n, activity in enumerate(["Stairs down", "Squatting", "Running"], start=1):
        page.get_by_placeholder(f"Activity {n}").fill(activity)
    page.get_by_role("button", name="Continue").click()
    page.locator("fieldset.bs-q-current").wait_for()
    assert page.get_by_text("Question 1 of 3").is_visible()
    check_page(page, watch, "o17b-psfs-question", 360)

    tap(page, "Stairs down", 2)  # saved to the server
    page.get_by_text("Question 2 of 3").wait_for()
    page.wait_for_function("() => document.querySelector('.bs-q-status').textContent.includes('Saved')")
    page.context.set_offline(True)
    tap(page, "Squatting", 5)
    page.get_by_text("Question 3 of 3").wait_for()
    page.get_by_text("Offline: your answers are kept on this phone").wait_for()
    # Back and next keep what was answered.
    page.locator("fieldset.bs-q-current").get_by_role("button", name="Back").click()
    assert page.locator("fieldset.bs-q-current input:checked").get_attribute("value") == "5"
    page.locator("fieldset.bs-q-current").get_by_role("button", name="Next").click()
    tap(page, "Running", 8)
    page.get_by_role("button", name="Send answers").click()
    page.get_by_text("will be sent as soon as you are back online").wait_for()
    screenshot(page, "o17b-psfs-offline-360")
    assert QuestionnaireResponse.objects.get().status == "draft"
    assert QuestionnaireResponse.objects.get().answers == {"A1": 2}

    page.context.set_offline(False)
    page.get_by_role("heading", name="Thank you — your answers are with your therapist.").wait_for()
    response = QuestionnaireResponse.objects.get()
    assert response.status == "submitted" and response.answers == {"A1": 2, "A2": 5, "A3": 8}
    assert response.activities == ["Stairs down", "Squatting", "Running"]
    assert response.primary_score == Decimal("5.0")
    # The browser logs each request refused while offline; those were expected, nothing else may be there.
    watch.console_errors = [e for e in watch.console_errors if "ERR_INTERNET_DISCONNECTED" not in e]
    check_page(page, watch, "o17b-psfs-done", 360)
    # The phone forgot its copy; the today page no longer asks.
    assert page.evaluate("() => Object.keys(localStorage).filter(k => k.startsWith('bs-q:')).length") == 0
    page.goto("/today/")
    assert page.get_by_text("PSFS (Patient-Specific Functional Scale)").count() == 0
    assert QuestionnaireResponse.objects.count() == 1


def test_therapist_sees_scores_next_to_pain_and_the_clinic_page(world, open_page):
    import datetime as dt

    from outcomes.answering import response_submit
    from tests.factories import SessionLogFactory

    plan_questionnaire_add(assignment=world.assignment_a1, instrument_id="sane", user=world.therapist_a,
                           every_weeks=1)
    start = world.assignment_a1.start_date
    walk = world.assignment_a1.exercises.get(order=0, phase__order=0)
    for week, value in enumerate((40, 48, 62)):
        SessionLogFactory(exercise=walk, date=start + dt.timedelta(weeks=week, days=1), pain_during=3 - week)
        response_submit(patient=world.patient_a1, instrument_id="sane", today=start + dt.timedelta(weeks=week),
                        answers={"SANE": value})
    page, watch = open_page(1280, 900)
    sign_in(page, "therapist@a.test")
    page.goto(f"/patients/{world.patient_a1.pk}/")
    panel = page.locator("#outcomes")
    panel.get_by_text("+22.0").wait_for()
    assert panel.get_by_text("Improved").is_visible()
    page.wait_for_function("() => window.Chart && Chart.getChart(document.querySelector('canvas.bs-outcome-chart'))")
    panel.scroll_into_view_if_needed()
    check_page(page, watch, "o17b-patient-outcomes", 1280)
    page.goto("/outcomes/")
    page.get_by_role("heading", name="Outcomes").wait_for()
    assert page.locator("table.bs-outcomes-clinic").get_by_text("+22.0").is_visible()
    check_page(page, watch, "o17b-clinic-outcomes", 1280)
