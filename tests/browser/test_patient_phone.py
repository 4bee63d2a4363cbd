"""The patient's phone in Debian's Chromium at 390x844 and 360x740."""

import datetime as dt

import pytest

from patients.models import MorningCheckIn, SessionLog
from tests.browser.conftest import check_page, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_celery")]
PHONES = [(390, 844), (360, 740)]
PASSWORD = "rainy-treadmill-morning-42"


@pytest.fixture
def invited(world):
    from patients.services import assignment_create, invitation_create
    from tests.factories import PatientFactory

    patient = PatientFactory(clinic=world.clinic_a, therapist=world.therapist_a, email="nia@patient.test",
                             first_name="Nia", last_name="Okoro")
    assignment_create(patient=patient, protocol=world.assignment_a1.protocol,
                      start_date=dt.date.today() - dt.timedelta(days=3), baseline_pain=2)
    _invitation, link = invitation_create(patient=patient, send=False)
    return patient, "/invite/" + link.split("/invite/")[1]


def sign_up(page, link):
    page.goto(link)
    page.get_by_label("Choose a password").fill(PASSWORD)
    page.get_by_label("Type it again").fill(PASSWORD)
    page.get_by_role("button", name="Save and see my plan").click()
    page.get_by_role("heading", name="Hello, Nia").wait_for()


def fill_session(page, pain="2"):
    page.locator(f"label[for=id_pain_during-{pain}]").click()
    page.locator("label[for=id_pain_after-1]").click()


@pytest.mark.parametrize(("width", "height"), PHONES)
def test_invitation_plan_log_and_history(invited, open_page, width, height):
    patient, link = invited
    page, watch = open_page(width, height)
    page.goto(link)
    check_page(page, watch, "phone-invitation", width)
    sign_up(page, link)
    assert page.get_by_text("Walk backwards at 2.5 km/h on a 0 % incline for 10 minutes").is_visible()
    check_page(page, watch, "phone-today", width)

    page.get_by_role("link", name="Log this session").first.click()
    page.get_by_role("heading", name="Log a session").wait_for()
    check_page(page, watch, "phone-log", width)
    page.get_by_role("button", name="More: Minutes").click()
    assert page.get_by_role("spinbutton", name="Minutes").input_value() == "11"
    fill_session(page)
    page.get_by_role("button", name="Save session").click()
    page.get_by_role("heading", name="Session saved").wait_for()
    assert page.get_by_text("2/10").is_visible()
    check_page(page, watch, "phone-saved", width)
    assert SessionLog.objects.filter(patient=patient).count() == 1

    page.goto("/history/")
    assert page.get_by_text("Pain during 2/10 · right after 1/10").is_visible()
    check_page(page, watch, "phone-history", width)

    page.goto("/checkin/")
    page.get_by_role("button", name="1", exact=True).click()
    page.get_by_text("morning answer is saved").wait_for()
    assert MorningCheckIn.objects.get(patient=patient).pain == 1
    check_page(page, watch, "phone-after-checkin", width)


@pytest.mark.parametrize("javascript", [True, False], ids=["with scripts", "without scripts"])
def test_invitation_to_an_address_with_an_account_asks_for_its_existing_password(invited, open_page, javascript):
    """The invitation never sets an existing account's password: its owner types the one they have (360 px)."""
    from tests.factories import UserFactory

    patient, link = invited
    owner = UserFactory(email="nia@patient.test")
    owner.set_password(PASSWORD)
    owner.save()
    hash_before = owner.password
    page, watch = open_page(360, 740, javascript=javascript)
    page.goto(link)
    page.get_by_text("This e-mail address already has a Backstep account.").wait_for()
    assert page.get_by_label("Choose a password").count() == 0
    if javascript:
        check_page(page, watch, "phone-invitation-existing-account", 360)
    page.get_by_label("Your existing Backstep password").fill("not-the-right-one-1")
    page.get_by_role("button", name="Sign in and see my plan").click()
    page.get_by_text("That password is not right.").wait_for()
    if javascript:
        check_page(page, watch, "phone-invitation-wrong-password", 360)
    page.get_by_label("Your existing Backstep password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in and see my plan").click()
    page.get_by_role("heading", name="Hello, Nia").wait_for()
    patient.refresh_from_db()
    owner.refresh_from_db()
    assert patient.user == owner and owner.password == hash_before


def test_double_tap_saves_one_row(invited, open_page):
    patient, link = invited
    page, watch = open_page(390, 844)
    sign_up(page, link)
    page.goto("/log/")
    fill_session(page)
    page.get_by_role("button", name="Save session").dblclick()
    page.get_by_role("heading", name="Session saved").wait_for()
    assert SessionLog.objects.filter(patient=patient).count() == 1


def test_offline_entry_waits_on_the_phone_and_arrives_once(invited, open_page):
    patient, link = invited
    page, watch = open_page(390, 844)
    sign_up(page, link)
    page.goto("/log/")
    page.context.set_offline(True)
    fill_session(page, pain="3")
    page.get_by_role("button", name="Save session").click()
    page.get_by_text("Saved on this phone — will send when online.").wait_for()
    assert SessionLog.objects.filter(patient=patient).count() == 0
    page.context.set_offline(False)
    page.get_by_text("Sent. Your entries are with your clinic.").wait_for()
    assert SessionLog.objects.filter(patient=patient).count() == 1
    assert SessionLog.objects.get(patient=patient).pain_during == 3
    # Coming back to the page later sends nothing again.
    page.reload()
    page.wait_for_load_state("networkidle")
    assert SessionLog.objects.filter(patient=patient).count() == 1
    assert page.evaluate("localStorage.getItem('backstep-outbox')") == "[]"
    screenshot(page, "phone-offline-sent-390")


def test_entry_queued_while_signed_out_waits_for_sign_in(invited, open_page):
    patient, link = invited
    page, watch = open_page(390, 844)
    sign_up(page, link)
    page.goto("/log/")
    page.context.set_offline(True)
    fill_session(page, pain="2")
    page.get_by_role("button", name="Save session").click()
    page.get_by_text("Saved on this phone — will send when online.").wait_for()
    page.context.clear_cookies()  # the session ended while the phone was offline
    page.context.set_offline(False)
    page.get_by_text("Sign in again to send it to your clinic.").wait_for()
    assert SessionLog.objects.filter(patient=patient).count() == 0
    assert page.evaluate("JSON.parse(localStorage.getItem('backstep-outbox')).length") == 1
    page.goto("/accounts/login/")
    page.get_by_label("E-mail").fill(patient.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Sent. Your entries are with your clinic.").wait_for()
    assert SessionLog.objects.filter(patient=patient).count() == 1
