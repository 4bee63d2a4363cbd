"""Safety messages and the printed plan in Debian's Chromium at 1366, 768 and 360 px (issue 13, points 7-8):
after a red-pain session the phone shows how to reach the clinic and a one-column step-down box; the handout
reads at every width and prints with its inline QR code."""

import pytest

from clinic.models import ClinicSettings
from tests.browser.conftest import check_page, screenshot, serious_axe_violations
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_celery")]
WIDTHS = [(1366, 900), (768, 1024), (360, 740)]
PHONE = "+44 20 7946 0000"


@pytest.fixture
def contact(world):
    ClinicSettings.objects.filter(clinic=world.clinic_a).update(
        contact_phone=PHONE, contact_email="desk@clinic-a.test", contact_hours="Mon–Fri 8:00–18:00")


def sign_in(page, email):
    page.goto("/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


@pytest.mark.parametrize(("width", "height"), WIDTHS)
def test_phone_after_a_red_pain_session_shows_the_clinic_contact(world, contact, open_page, width, height):
    page, watch = open_page(width, height)
    sign_in(page, "a1@a.test")
    page.get_by_role("heading", name="Hello, Alma").wait_for()
    assert page.get_by_text("Pain during your latest session passed").count() == 0
    page.get_by_role("link", name="Log this session").first.click()
    page.locator("label[for=id_pain_during-7]").click()
    page.locator("label[for=id_pain_after-6]").click()
    page.get_by_role("button", name="Save session").click()
    page.get_by_role("heading", name="Session saved").wait_for()
    notice = page.locator(".bs-red-notice")
    assert notice.get_by_text("Pain during your latest session passed 5 out of 10").is_visible()
    assert notice.get_by_role("link", name=PHONE).is_visible()
    assert page.locator("main .bs-stop-rule").get_by_text("Stop and contact your clinic if pain during exercise "
                                                          "passes 5 out of 10").is_visible()
    check_page(page, watch, "safety-saved-red", width)

    page.goto("/today/")
    page.get_by_role("heading", name="Hello, Alma").wait_for()
    assert page.locator(".bs-red-notice").get_by_text("Mon–Fri 8:00–18:00").is_visible()
    box = page.locator(".bs-check-result").first
    box.wait_for()
    title, reason = box.locator("strong").bounding_box(), box.locator("div").bounding_box()
    assert reason["y"] >= title["y"] + title["height"] - 1, "the step-down box reads in two columns"
    assert abs(reason["x"] - title["x"]) < 2
    assert "Stay at the easiest level next time." in box.inner_text()  # at level 1 of 3 there is no step down
    check_page(page, watch, "safety-today-red", width)


@pytest.mark.parametrize(("width", "height"), WIDTHS)
def test_handout_reads_at_every_width_and_prints_with_its_qr_code(world, contact, open_page, width, height):
    page, watch = open_page(width, height)
    sign_in(page, "therapist@a.test")
    page.get_by_role("heading", name="Patients").wait_for()
    page.goto(f"/patients/{world.patient_a1.pk}/handout/")
    page.get_by_role("heading", name="Your plan, Alma Ashby").wait_for()
    assert page.get_by_text("Walk backwards at 2.5 km/h on a 0 % incline for 10 minutes").is_visible()
    assert page.get_by_role("img", name="QR code: the Backstep sign-in page").is_visible()
    assert page.get_by_role("link", name=PHONE).is_visible()
    # The staff navigation bar overflows at 768 px today (its own fix is another part of this issue), so the
    # handout itself is what must fit: nothing in it wider than the window.
    overflow = page.evaluate("""() => [...document.querySelectorAll('.bs-handout, .bs-handout *')]
        .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1).length""")
    assert overflow == 0, f"the handout is wider than {width}px"
    assert watch.console_errors == [] and watch.foreign_requests == []
    assert serious_axe_violations(page) == []
    screenshot(page, f"handout-{width}")

    page.emulate_media(media="print")
    assert not page.locator(".bs-navbar").is_visible() and not page.get_by_role("button", name="Print").is_visible()
    assert page.get_by_role("img", name="QR code: the Backstep sign-in page").is_visible()
    assert page.locator(".bs-handout .bs-stop-rule").is_visible()
    screenshot(page, f"handout-print-{width}")
    assert watch.foreign_requests == []
