"""Two-factor sign-in in a real browser: set up from the QR page, recovery codes, then sign in with a code."""

import time
from base64 import b32decode

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.models import ClinicSettings
from tests.browser.conftest import check_page
from tests.browser.test_sign_in import sign_in
from tests.support import code_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def app_code(secret_shown: str) -> str:
    """What an authenticator app shows for the key typed in by hand from the set-up page."""
    totp = TOTP(b32decode(secret_shown.replace(" ", "")))
    totp.time = time.time()
    return f"{totp.token():06d}"


def test_therapist_sets_up_two_factor_then_signs_in_with_a_code(world, open_page):
    ClinicSettings.objects.filter(clinic=world.clinic_a).update(require_two_factor=True)
    width = 1280
    page, watch = open_page(width, 800)
    sign_in(page, "therapist@a.test")

    # The clinic requires it and there is no authenticator yet: the set-up page, before any patient.
    page.get_by_role("heading", name="Set up two-factor sign-in").wait_for()
    assert "/accounts/two-factor/setup/" in page.url
    assert page.get_by_role("img", name="QR code for your authenticator app").is_visible()
    assert page.get_by_role("link", name="Patients").count() == 0
    check_page(page, watch, "two-factor-setup", width)
    secret = page.locator("#totp-secret").inner_text()
    page.get_by_label("6-digit code from the app").fill("000000")
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    page.get_by_text("That code is not right").wait_for()
    TOTPDevice.objects.filter(user=world.therapist_a).update(throttling_failure_count=0,
                                                             throttling_failure_timestamp=None)
    page.get_by_label("6-digit code from the app").fill(app_code(secret))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()

    # Recovery codes, shown once.
    page.get_by_role("heading", name="Your recovery codes").wait_for()
    codes = page.get_by_role("list", name="Recovery codes").get_by_role("listitem").all_inner_texts()
    assert len(codes) == 10
    check_page(page, watch, "two-factor-recovery-codes", width)
    page.get_by_role("link", name="I have saved them — continue").click()
    page.get_by_role("heading", name="Patients").wait_for()

    # Signing in again asks for a code after the password.
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in").wait_for()
    sign_in(page, "therapist@a.test")
    page.get_by_role("heading", name="Enter your code").wait_for()
    check_page(page, watch, "two-factor-verify", width)
    page.goto("/patients/")  # not before the code
    page.get_by_role("heading", name="Enter your code").wait_for()
    page.get_by_label("Code").fill(code_for(TOTPDevice.objects.get(user=world.therapist_a, confirmed=True)))
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Patients").wait_for()
    assert page.url.endswith("/patients/")

    # The account page shows it on, with the codes left.
    page.get_by_role("link", name="Account security").click()
    page.get_by_role("heading", name="Account security").wait_for()
    assert page.get_by_text("10 recovery codes left.").is_visible()
    check_page(page, watch, "account-security", width)


def test_on_a_phone_the_qr_page_fits_and_a_recovery_code_signs_in(world, open_page):
    from clinic.security import authenticator_pending, two_factor_confirm

    width = 360
    page, watch = open_page(width, 740)
    ClinicSettings.objects.filter(clinic=world.clinic_a).update(require_two_factor=True)
    sign_in(page, "admin@a.test")
    page.get_by_role("heading", name="Set up two-factor sign-in").wait_for()
    check_page(page, watch, "two-factor-setup", width)
    page.get_by_role("button", name="Show menu").click()
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in").wait_for()

    # Set up elsewhere; on this phone only a recovery code is at hand.
    pending = authenticator_pending(user=world.therapist_a)
    _device, codes = two_factor_confirm(user=world.therapist_a, code=code_for(pending))
    sign_in(page, "therapist@a.test")
    page.get_by_role("heading", name="Enter your code").wait_for()
    check_page(page, watch, "two-factor-verify", width)
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Patients").wait_for()
    assert page.get_by_role("alert").get_by_text("You signed in with a recovery code").is_visible()


def test_a_site_admin_opens_django_admin_only_after_setting_up_two_factor(db, open_page, settings):
    """In production Django's admin asks its superusers for a second factor, through Backstep's own pages."""
    from clinic.models import User
    from tests.factories import PASSWORD

    settings.PRODUCTION = True
    User.objects.create_superuser(email="root@backstep.test", password=PASSWORD)
    width = 1280
    page, watch = open_page(width, 800)
    page.goto("/admin/patients/patient/")
    page.get_by_role("heading", name="Sign in").wait_for()  # Backstep's sign-in, not the admin's own form
    page.get_by_label("E-mail").fill("root@backstep.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.get_by_role("heading", name="Set up two-factor sign-in").wait_for()
    assert page.get_by_text("The site administration shows every clinic's patients").is_visible()
    check_page(page, watch, "two-factor-setup-site-admin", width)
    page.goto("/admin/")  # not before the code
    page.get_by_role("heading", name="Set up two-factor sign-in").wait_for()
    secret = page.locator("#totp-secret").inner_text()
    page.get_by_label("6-digit code from the app").fill(app_code(secret))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    page.get_by_role("heading", name="Your recovery codes").wait_for()
    page.get_by_role("link", name="I have saved them — continue").click()
    page.locator("#content").wait_for()
    assert page.url.endswith("/admin/")
    assert page.get_by_role("link", name="Patients").first.is_visible()
