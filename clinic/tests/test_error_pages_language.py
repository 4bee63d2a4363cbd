"""The error pages in the visitor's language (German and Spanish here): 400, 403, CSRF 403, 404, 429 and 500."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from django.utils import translation

from clinic.security.lockout import sign_in_locked_out
from clinic.tests.test_error_logging import URLS

pytestmark = pytest.mark.django_db


def german(body: bytes) -> str:
    text = body.decode()
    assert '<html lang="de">' in text
    return text


def test_404_in_german(client):
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 404
    body = german(response.content)
    assert "Wir konnten diese Seite nicht finden" in body and "Zu Ihrer Startseite" in body


def test_404_in_spanish_by_the_language_cookie(client):
    client.cookies["django_language"] = "es"
    body = client.get("/no-such-page/").content.decode()
    assert '<html lang="es">' in body and "No encontramos esa página" in body


def test_403_in_german(client, world):
    client.force_login(world.patient_a1.user)
    response = client.get("/patients/", HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 403
    assert "Sie können diese Seite nicht öffnen" in german(response.content)


def test_403_csrf_in_german(world):
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="de")
    response = client.post("/accounts/login/", {"username": "a@b.test", "password": "x"})
    assert response.status_code == 403
    body = german(response.content)
    assert "Dieses Formular ist abgelaufen" in body and "Formular abgelaufen" in body


def test_400_in_german(client, settings):
    response = client.get("/", HTTP_HOST="not-our-host.example", HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 400
    assert "Wir konnten diese Anfrage nicht verstehen" in german(response.content)


@pytest.mark.urls(URLS)
def test_500_in_german_without_a_request_context():
    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="de")
    response = client.get("/test-errors/boom/")
    assert response.status_code == 500
    body = german(response.content)
    assert "Bei uns ist etwas schiefgelaufen" in body and "Zur Startseite" in body
    assert "Something went wrong" not in body


@pytest.mark.urls(URLS)
def test_500_still_in_english_for_english(client):
    client = Client(raise_request_exception=False)
    body = client.get("/test-errors/boom/").content.decode()
    assert '<html lang="en">' in body and "Something went wrong on our side" in body


def test_429_lockout_in_german(settings):
    request = RequestFactory().post("/accounts/login/", {"username": "a@b.test"})
    with translation.override("de"):
        response = sign_in_locked_out(request)
    assert response.status_code == 429
    assert f"Versuchen Sie es in {settings.SIGN_IN_LOCKOUT_MINUTES} Minuten erneut" in response.content.decode()


def test_the_handout_in_german_with_decimal_commas(client, world):
    """The printed plan: its words in German and its speeds with a decimal comma (2,5 km/h)."""
    client.force_login(world.therapist_a)
    response = client.get(f"/patients/{world.patient_a1.pk}/handout/", HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 200
    body = german(response.content)
    assert f"Ihr Plan, {world.patient_a1.full_name}" in body and "Drucken" in body
    assert "Rückwärts gehen: 2,5 km/h" in body and "2.5 km/h" not in body
    assert "So erreichen Sie Ihre Praxis" in body


def test_the_reason_a_403_gives_is_translated_too(client, world):
    """403.html shows the reason the code gave (`exception`): it is marked for translation like the page."""
    client.force_login(world.therapist_a)
    response = client.get("/today/", HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 403
    assert "Nur für Patienten" in german(response.content)
