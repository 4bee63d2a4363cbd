"""Sign-in and landing pages in a real browser, at desktop and phone widths."""

import pytest

from tests.browser.conftest import has_horizontal_scroll, screenshot
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, email, password=PASSWORD):
    page.goto("/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_therapist_signs_in_and_sees_patient_list(world, open_page):
    page, watch = open_page(1280, 800)
    sign_in(page, "therapist@a.test")
    page.get_by_role("heading", name="Patients").wait_for()
    assert page.get_by_role("rowheader", name="Alma Ashby").is_visible()
    assert page.get_by_text("2.5 km/h · 0 % · 10 min").first.is_visible()
    screenshot(page, "therapist-patient-list")
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in").wait_for()
    assert watch.console_errors == []
    assert watch.foreign_requests == []


@pytest.mark.parametrize(("width", "height"), [(390, 844), (360, 740)])
def test_patient_signs_in_on_a_phone_and_sees_today(world, open_page, width, height):
    page, watch = open_page(width, height)
    sign_in(page, "a1@a.test")
    page.get_by_role("heading", name="Hello, Alma").wait_for()
    assert page.get_by_text("Walk backwards at 2.5 km/h on a 0 % incline for 10 minutes").is_visible()
    # Never logged yet: the safety notes are shown in full, without a tap.
    assert page.get_by_text("Clip on the safety key").first.is_visible()
    assert not has_horizontal_scroll(page)
    screenshot(page, f"patient-today-{width}")
    assert watch.console_errors == []
    assert watch.foreign_requests == []


def test_wrong_password_shows_a_clear_message(world, open_page):
    page, watch = open_page(390, 844)
    sign_in(page, "a1@a.test", "wrong-password-here")
    assert page.get_by_role("alert").get_by_text("do not match an account").is_visible()
    assert not has_horizontal_scroll(page)
    assert watch.foreign_requests == []
