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


# ---------------------------------------------------------------------------
# A shared phone: the outbox keeps each patient's entries for that patient.
# ---------------------------------------------------------------------------

def sign_in(page, patient):
    page.goto("/accounts/login/")
    page.get_by_label("E-mail").fill(patient.user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name=f"Hello, {patient.first_name}").wait_for()


def sign_out(page):
    menu = page.get_by_role("button", name="Show menu")
    if menu.is_visible():  # phones: the navigation is folded behind the menu button
        menu.click()
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in").wait_for()


def outbox_length(page) -> int:
    return page.evaluate("JSON.parse(localStorage.getItem('backstep-outbox') || '[]').length")


@pytest.fixture
def two_patients(world):
    """Two patients of one clinic who share a phone (each has their own plan and password)."""
    for patient in (world.patient_a1, world.patient_a2):
        patient.user.set_password(PASSWORD)
        patient.user.save()
    return world.patient_a1, world.patient_a2


def fail_posts_to_the_log(page):
    """The network drops every post of a logged session from this tab (the browser reports it in the console)."""
    page.route("**/log/", lambda route: route.abort() if route.request.method == "POST" else route.continue_())


def queue_while_the_network_fails(page, watch, pain):
    """Log a session that cannot reach the server (the outbox keeps it), then let the network back."""
    page.goto("/log/")
    fail_posts_to_the_log(page)
    fill_session(page, pain=pain)
    with page.expect_console_message(lambda message: "net::ERR_FAILED" in message.text):
        page.get_by_role("button", name="Save session").click()
    page.get_by_text("Saved on this phone — will send when online.").wait_for()
    page.unroute("**/log/")
    assert watch.console_errors == ["Failed to load resource: net::ERR_FAILED"]  # the failure we made
    watch.console_errors.clear()


def test_entry_of_one_patient_is_never_sent_as_another(two_patients, open_page):
    alma, arlo = two_patients
    page, watch = open_page(360, 740)
    sign_in(page, alma)
    queue_while_the_network_fails(page, watch, pain="9")
    sign_out(page)
    # Written by outbox.js once the page's scripts (and the language's catalog) have run: wait for it.
    page.get_by_text("1 entry saved on this phone is waiting").wait_for()
    check_page(page, watch, "phone-outbox-signed-out", 360)

    sign_in(page, arlo)
    notice = page.get_by_text("1 entry saved on this phone by another account is waiting")
    notice.wait_for()
    page.wait_for_load_state("networkidle")
    assert not SessionLog.objects.exists()
    assert outbox_length(page) == 1
    assert "9" not in page.locator(".bs-outbox-aside").inner_text()
    assert alma.first_name not in page.locator(".bs-outbox-aside").inner_text()
    check_page(page, watch, "phone-outbox-other-account", 360)
    page.goto("/log/")  # every page of the other patient keeps it aside
    notice.wait_for()
    page.wait_for_load_state("networkidle")
    assert not SessionLog.objects.exists()

    sign_out(page)
    sign_in(page, alma)
    page.get_by_text("Sent. Your entries are with your clinic.").wait_for()
    assert list(SessionLog.objects.values_list("patient", "pain_during")) == [(alma.pk, 9)]
    assert not page.locator(".bs-outbox-aside").is_visible()
    page.reload()
    page.wait_for_load_state("networkidle")
    assert SessionLog.objects.count() == 1 and outbox_length(page) == 0


def test_another_accounts_entry_can_be_discarded(two_patients, open_page):
    alma, arlo = two_patients
    page, watch = open_page(360, 740)
    sign_in(page, alma)
    queue_while_the_network_fails(page, watch, pain="9")
    sign_out(page)
    sign_in(page, arlo)
    aside = page.locator(".bs-outbox-aside")
    aside.get_by_text("by another account").wait_for()
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    aside.get_by_role("button", name="Delete from this phone").click()
    assert outbox_length(page) == 1 and aside.is_visible()  # asked first; "cancel" keeps it
    assert asked == ["Delete these entries from this phone? They will never reach the clinic."]
    page.once("dialog", lambda dialog: dialog.accept())
    aside.get_by_role("button", name="Delete from this phone").click()
    aside.wait_for(state="hidden")
    assert outbox_length(page) == 0
    sign_out(page)
    sign_in(page, alma)
    page.wait_for_load_state("networkidle")
    assert not SessionLog.objects.exists()


def test_a_stale_page_cannot_send_its_entry_as_the_patient_signed_in_since(two_patients, open_page):
    """A's page is still open in one tab while B signs in in another: the server refuses A's entry."""
    alma, arlo = two_patients
    page, watch = open_page(360, 740)
    sign_in(page, alma)
    queue_while_the_network_fails(page, watch, pain="9")
    other_tab = page.context.new_page()
    fail_posts_to_the_log(other_tab)  # A's page in this tab cannot send it either
    other_tab.goto("/today/")
    other_tab.get_by_text("Saved on this phone — will send when online.").wait_for()
    sign_out(other_tab)
    sign_in(other_tab, arlo)
    other_tab.get_by_text("by another account").wait_for()
    with page.expect_response(lambda response: response.request.method == "POST") as posted:
        page.evaluate("window.dispatchEvent(new Event('online'))")  # A's old tab tries to send
    assert posted.value.status == 409
    page.get_by_text("Sign in again to send it to your clinic.").wait_for()
    assert not SessionLog.objects.exists()
    assert outbox_length(page) == 1


def test_double_tap_offline_queues_one_entry(invited, open_page):
    patient, link = invited
    page, watch = open_page(360, 740)
    sign_up(page, link)
    page.goto("/log/")
    page.context.set_offline(True)
    fill_session(page, pain="3")
    page.get_by_role("button", name="Save session").dblclick()
    page.get_by_text("Saved on this phone — will send when online.").wait_for()
    assert outbox_length(page) == 1
    # A second session logged on the same page is a new entry, when the patient asks for a new form.
    page.get_by_role("button", name="Log another session").click()
    fill_session(page, pain="4")
    page.get_by_role("button", name="Save session").click()
    page.wait_for_function("JSON.parse(localStorage.getItem('backstep-outbox')).length === 2")
    screenshot(page, "phone-offline-queued-360")
    page.context.set_offline(False)
    page.get_by_text("Sent. Your entries are with your clinic.").wait_for()
    assert sorted(SessionLog.objects.filter(patient=patient).values_list("pain_during", flat=True)) == [3, 4]


def test_double_tap_on_the_checkin_offline_sends_one_answer(invited, open_page):
    patient, link = invited
    page, watch = open_page(360, 740)
    sign_up(page, link)
    page.goto("/checkin/")
    page.context.set_offline(True)
    page.get_by_role("button", name="6", exact=True).dblclick()
    page.get_by_text("Saved on this phone — will send when online.").wait_for()
    page.get_by_role("button", name="5", exact=True).click()  # a change of mind before it was sent
    assert outbox_length(page) == 1
    page.context.set_offline(False)
    page.get_by_text("Sent. Your entries are with your clinic.").wait_for()
    assert list(MorningCheckIn.objects.filter(patient=patient).values_list("pain", flat=True)) == [5]
