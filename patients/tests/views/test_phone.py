"""The patient's phone pages over HTTP: invitation, log a session, morning check-in, history."""

import datetime as dt
import re
import uuid

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from patients.models import Invitation, MorningCheckIn, SessionLog
from patients.services import invitation_create
from tests.factories import PatientFactory, SessionLogFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]
STRONG = "rainy-treadmill-morning-42"


@pytest.fixture
def invited(world):
    patient = PatientFactory(clinic=world.clinic_a, therapist=world.therapist_a, email="new@patient.test",
                             first_name="Nia")
    from patients.services import assignment_create

    assignment_create(patient=patient, protocol=world.assignment_a1.protocol,
                      start_date=dt.date.today() - dt.timedelta(days=3), baseline_pain=2)
    _invitation, link = invitation_create(patient=patient, created_by=world.therapist_a)
    return patient, link.split("/invite/")[1].strip("/")


def test_invitation_sets_password_signs_in_and_keeps_patient_signed_in(client, invited):
    patient, token = invited
    url = reverse("patients:invitation", args=[token])
    page = client.get(url)
    assert page.status_code == 200 and "Welcome, Nia" in page.content.decode()
    weak = client.post(url, {"password1": "password", "password2": "password"})
    assert "too common" in weak.content.decode() or "too short" in weak.content.decode()
    mismatch = client.post(url, {"password1": STRONG, "password2": STRONG + "x"})
    assert "not the same" in mismatch.content.decode()
    response = client.post(url, {"password1": STRONG, "password2": STRONG}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("patients:today")
    patient.refresh_from_db()
    assert patient.user.check_password(STRONG)
    assert 29 * 86400 < client.session.get_expiry_age() <= 30 * 86400
    # The link works once.
    again = client.get(url)
    assert again.status_code == 410 and "already been used" in again.content.decode()


def test_expired_and_unknown_links_say_so(client, invited):
    patient, token = invited
    Invitation.objects.filter(patient=patient).update(expires_at=timezone.now())
    expired = client.get(reverse("patients:invitation", args=[token]))
    assert expired.status_code == 410 and "expired" in expired.content.decode()
    assert "ask your clinic" in expired.content.decode()
    assert client.get(reverse("patients:invitation", args=["nope"])).status_code == 404


def test_a_new_invitation_replaces_the_old_one(client, invited, world):
    patient, old_token = invited
    invitation_create(patient=patient)
    assert client.get(reverse("patients:invitation", args=[old_token])).status_code == 410


def test_staff_send_invitations_from_the_patient_list(client, world):
    patient = PatientFactory(clinic=world.clinic_a, therapist=world.therapist_a, email="p@x.test")
    client.force_login(world.therapist_a)
    mail.outbox.clear()
    response = client.post(reverse("patients:invite", args=[patient.pk]))
    assert response["Cache-Control"] == "no-store"
    assert "has been e-mailed a link" in response.content.decode()
    (message,) = mail.outbox
    assert message.to == ["p@x.test"] and "/invite/" in message.body
    link = re.search(r"http\S+/invite/\S+/", message.body).group(0)
    assert link in response.content.decode()  # shown once to copy, never put in a message cookie
    assert "messages" not in response.cookies
    no_email = PatientFactory(clinic=world.clinic_a)
    response = client.post(reverse("patients:invite", args=[no_email.pk]), follow=True)
    assert "Add the patient&#x27;s e-mail" in response.content.decode()
    client.force_login(world.therapist_b)
    assert client.post(reverse("patients:invite", args=[patient.pk])).status_code == 404
    client.force_login(world.patient_a1.user)
    assert client.post(reverse("patients:invite", args=[patient.pk])).status_code == 403


def test_password_reset_by_email(client, world):
    mail.outbox.clear()
    response = client.post(reverse("password_reset"), {"email": "a1@a.test"}, follow=True)
    assert "Check your e-mail" in response.content.decode()
    (message,) = mail.outbox
    link = re.search(r"https?://\S+/accounts/reset/\S+", message.body).group(0)
    path = link.split("testserver")[-1]
    form = client.get(path, follow=True)
    assert "Choose a new password" in form.content.decode()


def walk(world):
    return world.assignment_a1.exercises.get(order=0, phase__order=0)


def session_form(world, **overrides):
    data = {"exercise": walk(world).pk, "date": dt.date.today().isoformat(), "completed": "yes",
            "duration_min": "10", "speed_kmh": "2.5", "incline_pct": "0", "pain_during": "2",
            "pain_after": "1", "rpe": "3", "notes": "", "client_uuid": str(uuid.uuid4())}
    data.update(overrides)
    return data


def test_log_form_is_prefilled_from_the_plan(client, world):
    client.force_login(world.patient_a1.user)
    body = client.get(reverse("patients:log-session")).content.decode()
    assert 'name="speed_kmh" id="id_speed_kmh" value="2.5"' in body
    assert 'name="duration_min" id="id_duration_min" value="10"' in body
    assert "0 no pain" in body and "10 worst pain imaginable" in body


def test_logging_a_session_shows_what_was_recorded_and_what_next(client, world, django_capture_on_commit_callbacks):
    client.force_login(world.patient_a1.user)
    with django_capture_on_commit_callbacks(execute=True):  # the check runs after the session commits
        posted = client.post(reverse("patients:log-session"), session_form(world, pain_during="2"))
    body = client.get(posted.url).content.decode()
    assert "Session saved" in body and "2/10" in body
    assert "Same level next time." in body
    assert SessionLog.objects.filter(patient=world.patient_a1).count() == 1


def test_errors_beside_fields_and_nothing_typed_is_lost(client, world):
    client.force_login(world.patient_a1.user)
    data = session_form(world, pain_during="", duration_min="35", notes="Left knee felt tight")
    body = client.post(reverse("patients:log-session"), data).content.decode()
    assert 'id="id_pain_during-error"' in body
    assert 'value="35"' in body and "Left knee felt tight" in body
    assert not SessionLog.objects.exists()


@pytest.mark.parametrize("days", [-1, 15])
def test_future_and_too_old_dates_are_refused(client, world, days):
    client.force_login(world.patient_a1.user)
    day = (dt.date.today() - dt.timedelta(days=days)).isoformat()
    body = client.post(reverse("patients:log-session"), session_form(world, date=day)).content.decode()
    assert 'id="id_date"' in body and "Select a valid choice" in body
    assert not SessionLog.objects.exists()


def test_cannot_log_against_another_patients_exercise(client, world):
    client.force_login(world.patient_a1.user)
    other = world.assignment_a2.exercises.get(order=0, phase__order=0)
    body = client.post(reverse("patients:log-session"), session_form(world, exercise=other.pk)).content.decode()
    assert "Select a valid choice" in body
    assert not SessionLog.objects.exists()


def test_double_submit_and_replay_store_one_row(client, world):
    client.force_login(world.patient_a1.user)
    data = session_form(world)
    first = client.post(reverse("patients:log-session"), data)
    second = client.post(reverse("patients:log-session"), data)
    assert first.status_code == second.status_code == 302 and first.url == second.url
    assert SessionLog.objects.count() == 1
    json_replay = client.post(reverse("patients:log-session"), data, HTTP_ACCEPT="application/json")
    assert json_replay.status_code == 200 and json_replay.json()["created"] is False


def test_same_uuid_with_different_content_is_refused_clearly(client, world):
    client.force_login(world.patient_a1.user)
    data = session_form(world)
    client.post(reverse("patients:log-session"), data)
    changed = client.post(reverse("patients:log-session"), {**data, "pain_during": "4"})
    assert "already sent with different details" in changed.content.decode()
    conflict = client.post(reverse("patients:log-session"), {**data, "pain_during": "4"},
                           HTTP_ACCEPT="application/json")
    assert conflict.status_code == 409
    assert SessionLog.objects.get().pain_during == 2


def test_json_mode_for_the_offline_outbox(client, world):
    client.force_login(world.patient_a1.user)
    created = client.post(reverse("patients:log-session"), session_form(world), HTTP_ACCEPT="application/json")
    assert created.status_code == 201 and created.json()["redirect"].startswith("/log/")
    bad = client.post(reverse("patients:log-session"), session_form(world, pain_during="11"),
                      HTTP_ACCEPT="application/json")
    assert bad.status_code == 400 and "pain_during" in bad.json()["errors"]


def test_morning_checkin_one_tap_and_confirmed_change(client, world):
    client.force_login(world.patient_a1.user)
    key = str(uuid.uuid4())
    response = client.post(reverse("patients:checkin"), {"pain": "3", "client_uuid": key}, follow=True)
    assert "morning answer is saved" in response.content.decode()
    confirm = client.post(reverse("patients:checkin"), {"pain": "5", "client_uuid": str(uuid.uuid4())})
    assert "Change it to 5?" in confirm.content.decode()
    assert MorningCheckIn.objects.get().pain == 3
    client.post(reverse("patients:checkin"), {"pain": "5", "client_uuid": str(uuid.uuid4()), "confirm": "on"})
    assert MorningCheckIn.objects.get().pain == 5
    # The first answer arriving again late (a retry from the phone) is recognised and changes nothing.
    replay = client.post(reverse("patients:checkin"), {"pain": "3", "client_uuid": key},
                         HTTP_ACCEPT="application/json")
    assert replay.status_code == 200
    assert MorningCheckIn.objects.get().pain == 5
    other = client.post(reverse("patients:checkin"), {"pain": "2", "client_uuid": str(uuid.uuid4())},
                        HTTP_ACCEPT="application/json")
    assert other.status_code == 409  # a different answer needs confirming
    assert MorningCheckIn.objects.count() == 1


def test_today_prompts_for_the_morning_checkin_after_a_session_yesterday(client, world):
    client.force_login(world.patient_a1.user)
    assert "How does your knee feel this morning?" not in client.get(reverse("patients:today")).content.decode()
    SessionLogFactory(exercise=walk(world), date=dt.date.today() - dt.timedelta(days=1))
    body = client.get(reverse("patients:today")).content.decode()
    assert "How does your knee feel this morning?" in body
    assert "Today is a training day" in body


def test_history_newest_first_with_chart_data(client, world):
    SessionLogFactory(exercise=walk(world), date=dt.date.today() - dt.timedelta(days=3), pain_during=4)
    SessionLogFactory(exercise=walk(world), date=dt.date.today() - dt.timedelta(days=1), pain_during=1)
    client.force_login(world.patient_a1.user)
    body = client.get(reverse("patients:history")).content.decode()
    assert body.index("Pain during 1/10") < body.index("Pain during 4/10")
    assert 'id="pain-data"' in body and "chart.umd.min.js" in body


def test_staff_cannot_open_patient_pages(client, world):
    client.force_login(world.therapist_a)
    for name in ("patients:log-session", "patients:checkin", "patients:history"):
        assert client.get(reverse(name)).status_code == 403


def test_patient_cannot_see_another_patients_saved_session(client, world):
    session = SessionLogFactory(exercise=world.assignment_a2.exercises.get(order=0, phase__order=0))
    client.force_login(world.patient_a1.user)
    assert client.get(reverse("patients:session-saved", args=[session.pk])).status_code == 404


def test_manifest_and_icons_are_served(client, world):
    client.force_login(world.patient_a1.user)
    body = client.get(reverse("patients:today")).content.decode()
    assert 'rel="manifest"' in body


def test_checkin_replayed_after_midnight_stays_on_its_morning(client, world, monkeypatch):
    from patients import services

    client.force_login(world.patient_a1.user)
    today = services.clinic_today(world.clinic_a)
    key = str(uuid.uuid4())
    body = {"pain": "3", "client_uuid": key, "date": today.isoformat()}
    assert client.post(reverse("patients:checkin"), body, HTTP_ACCEPT="application/json").status_code == 200
    monkeypatch.setattr(services, "clinic_today", lambda clinic: today + dt.timedelta(days=1))
    replay = client.post(reverse("patients:checkin"), body, HTTP_ACCEPT="application/json")
    assert replay.status_code == 200
    assert list(MorningCheckIn.objects.values_list("date", "pain")) == [(today, 3)]
    # Sent late for the morning it was about (the phone was offline overnight): it keeps its date.
    late = {"pain": "2", "client_uuid": str(uuid.uuid4()), "date": today.isoformat()}
    other_patient = world.patient_a2
    client.force_login(other_patient.user)
    assert client.post(reverse("patients:checkin"), late, HTTP_ACCEPT="application/json").status_code == 200
    assert MorningCheckIn.objects.get(patient=other_patient).date == today
