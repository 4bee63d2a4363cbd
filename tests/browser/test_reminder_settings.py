"""The patient's reminder settings on a 360 px phone: choose, save, and the notifications panel's honest states."""

import datetime as dt

import pytest

from reminders.models import ReminderPreference
from tests.browser.conftest import check_page
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_celery")]


def sign_in_patient(page, world):
    page.goto("/accounts/login/")
    page.get_by_label("E-mail").fill(world.patient_a1.user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/today/")


def test_patient_chooses_reminders_on_the_phone(world, open_page, settings):
    settings.WEBPUSH_VAPID_PUBLIC_KEY, settings.WEBPUSH_VAPID_PRIVATE_KEY = "BTestKey", "private"
    user = world.patient_a1.user
    user.set_password(PASSWORD)
    user.save()
    page, watch = open_page(360, 740)
    sign_in_patient(page, world)
    page.get_by_role("button", name="Show menu").click()
    page.get_by_role("link", name="Reminders").click()
    page.get_by_role("heading", name="Reminders", exact=True).wait_for()
    # No service worker registered (the app not installed/opened yet): said plainly, no button that would fail.
    assert page.locator("#push-status").inner_text() == "Install/open the app to enable notifications."
    assert page.get_by_role("button", name="Turn on notifications on this phone").is_hidden()
    check_page(page, watch, "r15b-reminders", 360)

    page.get_by_label("Training reminder at").fill("07:15")
    page.get_by_label("Tue").check()
    page.get_by_label("E-mail", exact=True).check()
    page.get_by_role("button", name="Save reminder settings").click()
    page.get_by_text("Your reminder settings are saved.").wait_for()
    saved = ReminderPreference.objects.get(patient=world.patient_a1)
    assert (saved.training_time, "1" in saved.training_weekdays, saved.email_enabled) == (dt.time(7, 15), True, True)
