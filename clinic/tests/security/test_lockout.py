"""Failed sign-ins (clinic.security.lockout): django-axes locks an e-mail on one network, with our 429 page."""

from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from clinic.tests.security.support import (
    LOCKED,
    sign_in,
    signed_in_as,
)

pytestmark = pytest.mark.django_db


# --- Failed sign-ins: django-axes ------------------------------------------------------


def test_fifth_failure_locks_that_email_on_that_network_with_a_clear_429(client, world):
    for _attempt in range(4):
        response = sign_in(client, "therapist@a.test", "wrong-password-123")
        assert response.status_code == 200
        assert "do not match an account" in response.content.decode()
    response = sign_in(client, "therapist@a.test", "wrong-password-123")
    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    assert [t.name for t in response.templates][0] == "registration/login.html"
    body = response.content.decode()
    assert LOCKED in body and 'name="password"' in body and "Forgot your password?" in body
    # Locked means locked: the right password from the same network does not sign in either.
    response = sign_in(client, "therapist@a.test")
    assert response.status_code == 429 and LOCKED in response.content.decode()
    assert signed_in_as(client) is None


def test_the_real_user_on_another_network_is_not_locked_out(client, world):
    for _attempt in range(5):
        sign_in(client, "therapist@a.test", "wrong-password-123", ip="203.0.113.9")
    assert sign_in(Client(), "therapist@a.test", ip="203.0.113.9").status_code == 429
    # The same e-mail from the clinic's network, and another e-mail from the attacker's, still sign in.
    response = sign_in(client, "therapist@a.test", ip="198.51.100.20")
    assert response.status_code == 302 and signed_in_as(client) == str(world.therapist_a.pk)
    other = Client()
    assert sign_in(other, "admin@a.test", ip="203.0.113.9").status_code == 302


def test_changing_the_case_of_the_email_does_not_buy_more_attempts(client, world):
    for email in ("therapist@a.test", "Therapist@a.test", "THERAPIST@A.TEST", " therapist@a.test", "tHerapist@a.test"):
        sign_in(client, email, "wrong-password-123")
    assert sign_in(client, "therapist@a.test").status_code == 429


def test_a_successful_sign_in_forgets_earlier_failures(client, world):
    for _attempt in range(4):
        sign_in(client, "therapist@a.test", "wrong-password-123")
    assert sign_in(client, "therapist@a.test").status_code == 302
    client.post(reverse("logout"))
    for _attempt in range(4):
        assert sign_in(client, "therapist@a.test", "wrong-password-123").status_code == 200
    assert sign_in(client, "therapist@a.test").status_code == 302


def test_the_lock_ends_after_15_minutes(client, world):
    for _attempt in range(5):
        sign_in(client, "therapist@a.test", "wrong-password-123")
    assert sign_in(client, "therapist@a.test").status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=15, seconds=5))
    assert sign_in(client, "therapist@a.test").status_code == 302


def test_resetting_the_password_lifts_the_lock(client, world):
    for _attempt in range(5):
        sign_in(client, "therapist@a.test", "wrong-password-123")
    user = world.therapist_a
    url = reverse("password_reset_confirm", kwargs={
        "uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": default_token_generator.make_token(user)})
    form_url = client.get(url)["Location"]  # Django swaps the token for a session-held one
    new_password = "a-brand-new-long-passphrase-7"
    response = client.post(form_url, {"new_password1": new_password, "new_password2": new_password})
    assert response.status_code == 302
    assert sign_in(client, "therapist@a.test", new_password).status_code == 302


def test_behind_a_trusted_proxy_the_forwarded_address_counts(client, world, settings):
    settings.TRUST_PROXY_HEADERS = True
    proxy = "10.1.1.1"
    for _attempt in range(5):
        sign_in(client, "therapist@a.test", "wrong-password-123", ip=proxy, HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert sign_in(client, "therapist@a.test", ip=proxy, HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 429
    # Another client behind the same proxy is a different address.
    assert sign_in(client, "therapist@a.test", ip=proxy, HTTP_X_FORWARDED_FOR="198.51.100.20").status_code == 302
