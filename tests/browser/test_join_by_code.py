"""Joining by code or QR (issue 15): the therapist shows a code, a fresh phone opens the QR's link, sets a password
and logs a first session. (That the SVG encodes exactly this link: patients/tests/views/test_join.py.)"""

import datetime as dt
from urllib.parse import urlparse

import pytest

from patients.models import JoinCode, SessionLog
from tests.browser.conftest import check_page, screenshot
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_celery")]
NEW_PASSWORD = "rainy-treadmill-morning-42"


@pytest.fixture
def newcomer(world):
    from patients.services import assignment_create
    from tests.factories import PatientFactory

    patient = PatientFactory(clinic=world.clinic_a, therapist=world.therapist_a, email="nia@patient.test",
                             first_name="Nia", last_name="Okoro", user=None)
    assignment_create(patient=patient, protocol=world.assignment_a1.protocol,
                      start_date=dt.date.today() - dt.timedelta(days=3), baseline_pain=2)
    return patient


def show_code(page, patient) -> tuple[str, str]:
    page.goto("/accounts/login/")
    page.get_by_label("E-mail").fill("therapist@a.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Patients").wait_for()
    page.goto(f"/patients/{patient.pk}/")
    page.get_by_role("button", name="Show join code").click()
    page.get_by_role("heading", name="Join code for Nia Okoro").wait_for()
    return page.locator("#join-code").inner_text(), page.locator("#join-url").inner_text()


def test_patient_joins_by_the_qr_link_on_a_fresh_phone_and_logs_a_first_session(newcomer, open_page):
    desk, desk_watch = open_page(1366, 900)
    code, url = show_code(desk, newcomer)
    assert url.endswith(f"/join/?code={code}")
    assert desk.locator("svg[role=img] title").text_content() == "QR code to join Backstep on your phone"
    assert desk.locator("svg[role=img]").bounding_box()["width"] >= 200  # large enough for a phone camera
    check_page(desk, desk_watch, "r15b-join-code-desk", 1366)

    phone, watch = open_page(360, 740)  # a new browser context: no session, no cookies
    link = urlparse(url)
    phone.goto(f"{link.path}?{link.query}")
    assert phone.get_by_label("Your join code").input_value() == code
    check_page(phone, watch, "r15b-join-phone", 360)
    phone.get_by_role("button", name="Continue").click()
    phone.get_by_role("heading", name="Welcome, Nia").wait_for()
    check_page(phone, watch, "r15b-join-password", 360)
    phone.get_by_label("Choose a password").fill(NEW_PASSWORD)
    phone.get_by_label("Type it again").fill(NEW_PASSWORD)
    phone.get_by_role("button", name="Save and see my plan").click()
    phone.get_by_role("heading", name="Hello, Nia").wait_for()
    screenshot(phone, "r15b-join-today-360")

    phone.get_by_role("link", name="Log this session").first.click()
    phone.get_by_role("heading", name="Log a session").wait_for()
    phone.locator("label[for=id_pain_during-2]").click()
    phone.locator("label[for=id_pain_after-1]").click()
    phone.get_by_role("button", name="Save session").click()
    phone.get_by_role("heading", name="Session saved").wait_for()
    assert SessionLog.objects.filter(patient=newcomer).count() == 1
    assert JoinCode.objects.get(patient=newcomer).used_at is not None

    # The code is spent: typing it again on another phone is refused. (Another phone, not this one with its
    # cookies cleared: this phone's worker may still be keeping the patient's pages, and a page it fetched
    # before the clearing brings the old CSRF cookie back after /join/ handed out a new one.)
    other, _ = open_page(360, 740)
    other.goto("/join/")
    other.get_by_label("Your join code").fill(code)
    other.get_by_role("button", name="Continue").click()
    other.get_by_text("That code was already used").wait_for()


def test_a_typed_code_with_spaces_and_small_letters_works(newcomer, open_page):
    desk, _ = open_page(1366, 900)
    code, _url = show_code(desk, newcomer)
    phone, watch = open_page(360, 740)
    phone.goto("/join/")
    phone.get_by_label("Your join code").fill(code.lower().replace("-", " "))
    phone.get_by_role("button", name="Continue").click()
    phone.get_by_role("heading", name="Welcome, Nia").wait_for()
    assert watch.console_errors == []
