"""Clinic administration in a real browser at 1280x800: settings, API keys and staff."""

import re

import pytest
from django.core import mail

from clinic.models import ApiKey, ClinicSettings, Membership, Notification
from tests.browser.conftest import check_page
from tests.browser.test_sign_in import sign_in

# Staff e-mails are sent by a task after commit: run it in the server thread, even where CI sets REDIS_URL.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_celery")]

WIDTH = 1280


def _settings_step(page, watch, world):
    """Clinic settings: the engine refuses an inconsistent threshold, then a good one is saved."""
    page.goto("/clinic/settings/")
    page.get_by_role("heading", name="Clinic settings").wait_for()
    check_page(page, watch, "clinic-settings", WIDTH)
    green = page.get_by_label("Green zone: highest pain during exercise")
    green.fill("6")
    page.get_by_role("button", name="Save settings").click()
    page.get_by_text("green_max must not be above red_above.").wait_for()
    check_page(page, watch, "clinic-settings-error", WIDTH)
    page.get_by_label("Green zone: highest pain during exercise").fill("2")
    page.get_by_label("Apply progressions automatically").check()
    page.get_by_role("button", name="Save settings").click()
    page.get_by_role("alert").get_by_text("Clinic settings saved").wait_for()
    assert page.get_by_text(re.compile(r"Last changed on .* by ")).is_visible()
    row = ClinicSettings.objects.get(clinic=world.clinic_a)
    assert row.engine_overrides == {"green_max": 2} and row.auto_apply_progressions
    assert row.updated_by == world.admin_a


def _api_key_step(page, watch):
    """API keys: empty state, create, see the key once, revoke."""
    page.get_by_role("link", name="API keys").click()
    page.get_by_role("heading", name="No API keys yet").wait_for()
    check_page(page, watch, "clinic-api-keys-empty", WIDTH)
    page.get_by_role("link", name="Create an API key").first.click()
    page.get_by_role("heading", name="Create an API key").wait_for()
    check_page(page, watch, "clinic-api-key-create", WIDTH)
    page.get_by_label("Name").fill("EHR nightly sync")
    page.get_by_label("Expires after (days)").fill("30")
    page.get_by_role("button", name="Create the key").click()
    page.get_by_role("heading", name="API key “EHR nightly sync” created").wait_for()
    assert page.get_by_text("Copy the key now: it will not be shown again.").is_visible()
    raw = page.get_by_label("API key", exact=True).input_value()
    assert raw.startswith("bsk_")
    page.get_by_role("button", name="Copy").click()
    page.get_by_role("status").filter(has_text=re.compile(r"Copied|Ctrl\+C")).wait_for()
    check_page(page, watch, "clinic-api-key-created", WIDTH)
    page.get_by_role("link", name="I have copied it — back to API keys").click()
    page.get_by_role("rowheader", name="EHR nightly sync").wait_for()
    assert raw not in page.content()
    key = ApiKey.objects.get(name="EHR nightly sync")
    assert page.get_by_text(f"bsk_{key.prefix}_…").is_visible()
    check_page(page, watch, "clinic-api-keys", WIDTH)
    page.get_by_role("link", name="Revoke EHR nightly sync").click()
    page.get_by_role("heading", name="Revoke “EHR nightly sync”?").wait_for()
    check_page(page, watch, "clinic-api-key-revoke", WIDTH)
    page.get_by_role("button", name="Revoke the key").click()
    page.get_by_role("alert").get_by_text("is revoked").wait_for()
    assert page.get_by_role("row", name=re.compile("EHR nightly sync")).get_by_text("Revoked").is_visible()
    key.refresh_from_db()
    assert key.revoked_at is not None


def _staff_step(page, watch, world):
    """Staff: invite a therapist, copy their link, then deactivate a colleague."""
    page.get_by_role("link", name="Staff", exact=True).click()
    page.get_by_role("heading", name="Staff").wait_for()
    check_page(page, watch, "clinic-staff", WIDTH)
    page.get_by_role("link", name="Invite a therapist").click()
    page.get_by_role("heading", name="Invite a therapist").wait_for()
    check_page(page, watch, "clinic-staff-invite", WIDTH)
    page.get_by_label("E-mail").fill("nia@a.test")
    page.get_by_label("First name").fill("Nia")
    page.get_by_label("Last name").fill("Novak")
    page.get_by_label("Role").select_option("therapist")
    page.get_by_role("button", name="Send the invitation").click()
    page.get_by_role("heading", name="Invitation sent").wait_for()
    link = page.get_by_label("Password link").input_value()
    assert "/accounts/reset/" in link
    assert any(link in message.body for message in mail.outbox if message.to == ["nia@a.test"])
    check_page(page, watch, "clinic-staff-invited", WIDTH)
    page.get_by_role("link", name="Back to staff").click()
    invited = page.get_by_role("row", name=re.compile("nia@a.test"))
    invited.wait_for()
    assert invited.get_by_text("Invited").is_visible()

    page.get_by_role("link", name="Deactivate therapist@a.test").click()
    page.get_by_role("heading", name=re.compile(r"^Deactivate .*\?$")).wait_for()
    check_page(page, watch, "clinic-staff-deactivate", WIDTH)
    page.get_by_role("button", name="Deactivate").click()
    page.get_by_role("alert").get_by_text("deactivated and signed out everywhere").wait_for()
    assert page.get_by_role("row", name=re.compile("therapist@a.test")).get_by_text("Deactivated").is_visible()
    world.therapist_a.refresh_from_db()
    assert not world.therapist_a.is_active
    assert Membership.objects.filter(clinic=world.clinic_a, user__email="nia@a.test").exists()


def test_admin_changes_a_setting_manages_an_api_key_and_invites_a_therapist(world, open_page):
    page, watch = open_page(WIDTH, 800)
    sign_in(page, "admin@a.test")
    page.get_by_role("heading", name="Patients").wait_for()

    _settings_step(page, watch, world)
    _api_key_step(page, watch)
    _staff_step(page, watch, world)
    assert watch.console_errors == [] and watch.foreign_requests == []


def test_therapist_is_refused_the_admin_pages(world, open_page):
    page, watch = open_page(WIDTH, 800)
    sign_in(page, "therapist@a.test")
    page.get_by_role("heading", name="Patients").wait_for()
    response = page.goto("/clinic/staff/")
    assert response.status == 403


def test_admin_sees_a_failed_email_and_sends_it_again(world, open_page):
    Notification.objects.create(
        clinic=world.clinic_a, kind=Notification.Kind.URGENT_FLAG, recipient=world.therapist_a,
        subject="Backstep: urgent flag for patient EHR-42", body="Please review it in Backstep.",
        status=Notification.Status.FAILED, attempts=5, last_error="SMTPServerDisconnected")
    page, watch = open_page(WIDTH, 800)
    sign_in(page, "admin@a.test")
    page.get_by_role("heading", name="Patients").wait_for()
    page.get_by_role("link", name="Clinic 1 e-mail not sent").click()  # the count beside "Clinic"
    page.get_by_role("link", name="Notifications 1 e-mail not sent").click()
    page.get_by_role("heading", name="Notifications").wait_for()
    row = page.get_by_role("row", name=re.compile("Urgent flag"))
    assert row.get_by_text("Failed").is_visible() and row.get_by_text("therapist@a.test").is_visible()
    assert "EHR-42" not in page.content()
    check_page(page, watch, "clinic-notifications-failed", WIDTH)
    row.get_by_role("button", name=re.compile("^Retry now")).click()
    page.get_by_role("alert").get_by_text("Sending the e-mail to").wait_for()
    page.get_by_role("heading", name="Every e-mail was delivered").wait_for()
    check_page(page, watch, "clinic-notifications-empty", WIDTH)
    assert any(message.to == ["therapist@a.test"] for message in mail.outbox)
    assert Notification.objects.get().status == Notification.Status.SENT
