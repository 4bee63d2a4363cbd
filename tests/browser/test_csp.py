"""The Content-Security-Policy in Chromium: Swagger UI and Django's admin still work with no inline code.

A CSP violation is reported as a console error, so "no console errors" here
means the pages load every script and style they need from our own files.
"""

import pytest
from django.conf import settings as django_settings
from django.test import Client

from clinic.headers import CONTENT_SECURITY_POLICY
from tests.browser.test_sign_in import sign_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def assert_clean(watch):
    assert watch.console_errors == [], watch.console_errors
    assert watch.foreign_requests == [], watch.foreign_requests


def test_swagger_ui_renders_the_operations_under_the_csp(world, open_page):
    page, watch = open_page(1280, 900)
    sign_in(page, "therapist@a.test")
    page.get_by_role("heading", name="Patients").wait_for()
    response = page.goto("/api/docs/")
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    page.locator(".opblock").first.wait_for()
    assert page.locator(".opblock").count() > 10
    assert page.locator(".opblock-summary-path", has_text="/api/v1/patients/").count() >= 1
    # Expanding an operation renders its parameters and responses (more of Swagger UI's DOM work).
    page.locator(".opblock-summary-control").first.click()
    page.locator(".opblock-body").first.wait_for()
    assert_clean(watch)


def admin_session(context, live_server):
    """A signed-in Django admin session, handed to the browser as its cookie."""
    from clinic.models import User

    user = User.objects.create_superuser(email="root@backstep.test", password=PASSWORD)
    client = Client()
    client.force_login(user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def test_admin_login_page_under_the_csp(db, open_page):
    """/admin/login/ is Backstep's own sign-in (one form, one lockout), under the same CSP."""
    page, watch = open_page(1280, 800)
    response = page.goto("/admin/login/")
    assert response.status == 200
    assert "content-security-policy" in response.headers
    page.get_by_role("heading", name="Sign in").wait_for()
    page.get_by_label("Password").wait_for()
    assert_clean(watch)


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/patients/patient/",
        "/admin/patients/patient/{patient}/change/",
        "/admin/patients/sessionlog/",
        "/admin/clinic/membership/add/",
    ],
)
def test_admin_pages_under_the_csp(world, open_page, live_server, path):
    page, watch = open_page(1280, 900)
    admin_session(page.context, live_server)
    response = page.goto(path.format(patient=world.patient_a1.pk))
    assert response.status == 200, response.status
    page.locator("#content").wait_for()
    page.wait_for_load_state("load")
    assert_clean(watch)
