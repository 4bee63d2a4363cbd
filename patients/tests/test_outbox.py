"""The phone outbox's owner tag: an entry filled in on one patient's page is never saved as another's.

On a shared phone, patient A's entry can be replayed (by the outbox script, or a
stale tab) after patient B has signed in. The forms carry A's opaque owner tag,
and the phone views refuse it in B's session.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.test import override_settings
from django.urls import reverse

from patients.models import MorningCheckIn, SessionLog
from patients.outbox import OTHER_ACCOUNT, is_outbox_owner, outbox_owner

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]
JSON = {"HTTP_ACCEPT": "application/json"}


def session_entry(world, patient, **overrides) -> dict:
    """A filled-in log form of `patient`'s own plan, as the phone posts it."""
    exercise = patient.assignments.get().exercises.get(order=0, phase__order=0)
    data = {"exercise": exercise.pk, "date": dt.date.today().isoformat(), "completed": "yes",
            "duration_min": "10", "speed_kmh": "2.5", "incline_pct": "0", "pain_during": "9",
            "pain_after": "1", "rpe": "3", "notes": "", "client_uuid": str(uuid.uuid4()),
            "outbox_owner": outbox_owner(patient)}
    data.update(overrides)
    return data


def test_owner_tag_is_opaque_stable_and_one_per_patient(world, settings):
    a1, a2 = world.patient_a1, world.patient_a2
    tag = outbox_owner(a1)
    assert tag == outbox_owner(a1) and tag != outbox_owner(a2)
    assert len(tag) == 32 and int(tag, 16) >= 0
    assert str(a1.pk) != tag and a1.first_name.lower() not in tag
    assert is_outbox_owner(a1, tag) and not is_outbox_owner(a2, tag)
    assert not is_outbox_owner(a1, "") and not is_outbox_owner(a1, tag.upper() + "x")
    # Keyed by SECRET_KEY: knowing a patient's id is not enough to make their tag.
    with override_settings(SECRET_KEY=settings.SECRET_KEY + "-other"):
        assert outbox_owner(a1) != tag


@pytest.mark.parametrize("route", ["patients:today", "patients:log-session", "patients:checkin",
                                   "patients:history"])
def test_phone_pages_tell_the_script_whose_page_it_is(client, world, route):
    client.force_login(world.patient_a1.user)
    body = client.get(reverse(route)).content.decode()
    assert f'data-owner="{outbox_owner(world.patient_a1)}"' in body
    assert outbox_owner(world.patient_a2) not in body


@pytest.mark.parametrize("route", ["patients:log-session", "patients:checkin"])
def test_forms_carry_the_owner_tag_so_a_post_without_javascript_does_too(client, world, route):
    client.force_login(world.patient_a1.user)
    body = client.get(reverse(route)).content.decode()
    assert f'name="outbox_owner" value="{outbox_owner(world.patient_a1)}"' in body


def test_checkin_confirm_page_carries_the_owner_tag(client, world):
    client.force_login(world.patient_a1.user)
    tag = outbox_owner(world.patient_a1)
    client.post(reverse("patients:checkin"), {"pain": "3", "client_uuid": str(uuid.uuid4()), "outbox_owner": tag})
    confirm = client.post(reverse("patients:checkin"),
                          {"pain": "5", "client_uuid": str(uuid.uuid4()), "outbox_owner": tag})
    assert f'name="outbox_owner" value="{tag}"' in confirm.content.decode()


def test_signed_out_pages_tell_the_script_nobody_is_signed_in(client, world):
    body = client.get(reverse("login")).content.decode()
    assert 'data-owner=""' in body and "js/outbox.js" in body


def test_staff_pages_have_no_outbox(client, world):
    client.force_login(world.therapist_a)
    body = client.get(reverse("patients:list")).content.decode()
    assert "js/outbox.js" not in body and "data-owner" not in body


def test_session_of_another_patient_is_refused_with_a_code_the_script_knows(client, world):
    entry = session_entry(world, world.patient_a1)  # A filled it in; B is signed in now
    client.force_login(world.patient_a2.user)
    response = client.post(reverse("patients:log-session"), entry, **JSON)
    assert response.status_code == 409
    assert response.json()["code"] == OTHER_ACCOUNT == "other-account"
    assert "9" not in response.content.decode() and "Alma" not in response.content.decode()
    assert not SessionLog.objects.exists()


def test_session_of_another_patient_posted_without_javascript_is_refused(client, world):
    entry = session_entry(world, world.patient_a1)
    client.force_login(world.patient_a2.user)
    response = client.post(reverse("patients:log-session"), entry)
    assert response.status_code == 302 and response.url == reverse("patients:log-session")
    page = client.get(response.url).content.decode()
    assert "someone else was signed in on this phone" in page
    # The fresh form is B's: it carries B's tag, and none of A's answers.
    assert f'name="outbox_owner" value="{outbox_owner(world.patient_a2)}"' in page
    assert entry["client_uuid"] not in page
    assert not SessionLog.objects.exists()


def test_session_with_its_own_patients_tag_is_saved_once(client, world):
    entry = session_entry(world, world.patient_a2)
    client.force_login(world.patient_a2.user)
    first = client.post(reverse("patients:log-session"), entry, **JSON)
    again = client.post(reverse("patients:log-session"), entry, **JSON)  # a double tap or a replay
    assert (first.status_code, again.status_code) == (201, 200) and again.json()["created"] is False
    assert list(SessionLog.objects.values_list("patient", "pain_during")) == [(world.patient_a2.pk, 9)]


def test_a_tampered_tag_is_refused(client, world):
    client.force_login(world.patient_a2.user)
    for tag in ("", "0" * 32, outbox_owner(world.patient_b1)):
        response = client.post(reverse("patients:log-session"),
                               session_entry(world, world.patient_a2, outbox_owner=tag), **JSON)
        assert response.status_code == 409 and response.json()["code"] == OTHER_ACCOUNT
    assert not SessionLog.objects.exists()


def test_checkin_of_another_patient_is_refused(client, world):
    entry = {"pain": "9", "client_uuid": str(uuid.uuid4()), "outbox_owner": outbox_owner(world.patient_a1)}
    client.force_login(world.patient_a2.user)
    response = client.post(reverse("patients:checkin"), entry, **JSON)
    assert response.status_code == 409 and response.json()["code"] == OTHER_ACCOUNT
    html = client.post(reverse("patients:checkin"), {**entry, "confirm": "on"})
    assert html.status_code == 302 and html.url == reverse("patients:checkin")
    assert not MorningCheckIn.objects.exists()


def test_checkin_with_its_own_patients_tag_is_saved_once(client, world):
    entry = {"pain": "4", "client_uuid": str(uuid.uuid4()), "outbox_owner": outbox_owner(world.patient_a2)}
    client.force_login(world.patient_a2.user)
    assert client.post(reverse("patients:checkin"), entry, **JSON).status_code == 200
    assert client.post(reverse("patients:checkin"), entry, **JSON).status_code == 200
    assert list(MorningCheckIn.objects.values_list("patient", "pain")) == [(world.patient_a2.pk, 4)]
