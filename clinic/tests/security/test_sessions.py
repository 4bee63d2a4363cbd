"""Sessions (clinic.security.sessions, .middleware): new keys, sign-out, staff limits, patients' 30 days."""

from __future__ import annotations

import time

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from clinic import security, services
from clinic.models import Membership
from clinic.tests.security.support import (
    LOGIN,
    PATIENTS,
    age_session,
    sign_in,
    signed_in_as,
)

pytestmark = pytest.mark.django_db


# --- Session keys and sign-out ---------------------------------------------------------


def test_signing_in_gives_a_new_session_key(client, world):
    session = client.session
    session["seen_the_landing_page"] = True
    session.save()
    before = session.session_key
    assert sign_in(client, "a1@a.test").status_code == 302
    after = client.cookies["sessionid"].value
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()
    assert Session.objects.get(session_key=after).get_decoded()["_auth_user_id"] == str(world.patient_a1.user.pk)


def test_signing_out_ends_the_session_on_the_server(client, world):
    assert sign_in(client, "therapist@a.test").status_code == 302
    old_cookie = client.cookies["sessionid"].value
    assert client.get(PATIENTS).status_code == 200
    assert client.post(reverse("logout")).status_code == 302
    assert not Session.objects.filter(session_key=old_cookie).exists()
    replay = Client()
    replay.cookies["sessionid"] = old_cookie
    response = replay.get(PATIENTS)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_deactivating_a_therapist_signs_them_out_of_an_open_browser(client, world):
    assert sign_in(client, "therapist@a.test").status_code == 302
    assert client.get(PATIENTS).status_code == 200
    services.staff_deactivate(membership=Membership.objects.get(user=world.therapist_a), by=world.admin_a)
    response = client.get(PATIENTS)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert sign_in(Client(), "therapist@a.test", ip="10.9.9.9").status_code == 200  # and cannot sign in again


# --- Staff session limits ---------------------------------------------------------------


def test_staff_session_ends_after_15_minutes_idle(client, world):
    client.force_login(world.therapist_a)
    assert client.get(PATIENTS).status_code == 200
    old_key = client.session.session_key
    age_session(client, signed_in=20 * 60, last_seen=15 * 60 + 5)
    response = client.get(PATIENTS)
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=%2Fpatients%2F"
    assert not Session.objects.filter(session_key=old_key).exists()
    page = client.get(response["Location"]).content.decode()
    assert "You were signed out after 15 minutes without activity" in page


def test_staff_session_ends_12_hours_after_sign_in_even_when_active(client, world):
    client.force_login(world.admin_a)
    age_session(client, signed_in=12 * 3600 + 5, last_seen=30)
    response = client.get(PATIENTS, follow=True)
    assert response.redirect_chain[-1][0].startswith(LOGIN)
    assert "you signed in more than 12 hours ago" in response.content.decode()
    assert signed_in_as(client) is None


def test_activity_keeps_a_staff_session_alive_with_at_most_one_write_a_minute(client, world):
    client.force_login(world.therapist_a)
    age_session(client, signed_in=3600, last_seen=30)
    seen = client.session[security.LAST_SEEN]
    assert client.get(PATIENTS).status_code == 200
    assert client.session[security.LAST_SEEN] == seen  # under a minute: not written again
    age_session(client, last_seen=14 * 60)
    assert client.get(PATIENTS).status_code == 200
    assert abs(client.session[security.LAST_SEEN] - time.time()) < 5
    # 14 more idle minutes from the refreshed time are still fine.
    age_session(client, last_seen=14 * 60)
    assert client.get(PATIENTS).status_code == 200


def test_an_idle_staff_session_gets_401_from_the_api(client, world):
    client.force_login(world.therapist_a)
    assert client.get("/api/v1/patients/").status_code == 200
    age_session(client, last_seen=16 * 60)
    assert client.get("/api/v1/patients/").status_code == 401


def test_patients_keep_their_session_for_30_days(client, world):
    assert sign_in(client, "a1@a.test").status_code == 302
    assert client.session.get_expiry_age() == 30 * 24 * 3600
    age_session(client, signed_in=3 * 24 * 3600, last_seen=2 * 24 * 3600)
    assert client.get("/today/").status_code == 200


def test_sign_in_starts_the_clocks(client, world):
    before = int(time.time())
    sign_in(client, "therapist@a.test")
    assert client.session[security.SIGNED_IN_AT] >= before
    assert client.session[security.LAST_SEEN] >= before
