"""Remote monitoring in Debian's Chromium at 1366 and 360 px: the timer starts on the patient page, is still running
after a reload (the server keeps it), stops with what was done, and the clinic page shows the patient's group."""

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.utils import timezone

from monitoring.models import RunningTimer, TimeEntry
from monitoring.services import enrolment_start
from patients.services import clinic_today
from tests.browser.conftest import check_page
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_celery")]


@pytest.fixture
def billing_codes():
    """The codes of the data migration: a transactional test's database was emptied by the one before it."""
    load = importlib.import_module("monitoring.migrations.0002_billing_codes").load
    load(apps, None)


@pytest.fixture
def enrolled(world, billing_codes):
    today = clinic_today(world.clinic_a)
    enrolment_start(patient=world.patient_a1, setup_date=today - dt.timedelta(days=3), enrolled_by=world.therapist_a,
                    today=today)


def sign_in(page):
    page.goto("/")
    page.get_by_label("E-mail").fill("therapist@a.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Patients").wait_for()


@pytest.mark.parametrize(("width", "height"), [(1366, 900), (360, 740)])
def test_timer_survives_a_reload_and_the_clinic_page_shows_the_group(world, enrolled, open_page, width, height):
    page, watch = open_page(width, height)
    sign_in(page)
    page.goto(f"/patients/{world.patient_a1.pk}/")
    panel = page.locator("#monitoring")
    panel.get_by_role("heading", name="Remote monitoring (RTM)").wait_for()
    check_page(page, watch, "rtm-panel", width)
    panel.get_by_role("button", name="Start the timer").click()
    page.get_by_text("Timer started.").wait_for()
    clock = page.locator("#monitoring [data-rtm-elapsed]")
    first = clock.inner_text()
    page.wait_for_function(f"() => document.querySelector('[data-rtm-elapsed]').textContent !== '{first}'")

    # As if the page had stayed open for five minutes: the server's start time decides what a reload shows.
    RunningTimer.objects.update(started_at=timezone.now() - dt.timedelta(minutes=5))
    page.reload()
    assert page.locator("#monitoring").get_by_text("Timer running:").is_visible()
    assert clock.inner_text().startswith("0:05:")
    check_page(page, watch, "rtm-timer-running", width)

    panel.get_by_label("What was done").first.fill("Video call about the next step")
    panel.locator("label[for=id_rtm-stop-interactive_1]").click()
    panel.get_by_role("button", name="Stop the timer and save").click()
    page.get_by_text("Timer stopped: 5 minutes saved.").wait_for()
    entry = TimeEntry.objects.get()
    assert (entry.minutes, entry.interactive, entry.activity) == (5, True, "Video call about the next step")
    assert not RunningTimer.objects.exists()

    if width < 992:  # the navigation folds away on a narrow screen
        page.get_by_role("button", name="Show menu").click()
    page.get_by_role("link", name="Monitoring", exact=True).click()
    page.get_by_role("heading", name="Remote monitoring").wait_for()
    row = page.locator("tr", has_text="Alma Ashby")
    assert row.is_visible() and "5" in row.inner_text()
    group = page.locator("tr.table-light").first.inner_text()
    assert group in ("No data", "At risk", "On track for 16+ days", "2–15 days")
    assert page.get_by_text("never submits claims").is_visible()
    check_page(page, watch, "rtm-clinic", width)
