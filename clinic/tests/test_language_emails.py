"""E-mails and reminders go in the recipient's language, whatever the language of the page that caused them."""

import datetime as dt
import re
import zoneinfo
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from clinic import services as clinic_services
from clinic.models import Clinic, ClinicSettings, Membership, Notification, User
from patients.models import Flag, Patient
from patients.services import daily_digests_send, flag_notify_urgent, invitation_create
from reminders.models import PushSubscription, ReminderPreference
from reminders.services import delivery_send, reminder_payload, reminders_tick
from tests.api.support import walk

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


def set_clinic_language(clinic, code):
    ClinicSettings.objects.update_or_create(clinic=clinic, defaults={"default_language": code})


def speak(patient, code):
    Patient.objects.filter(pk=patient.pk).update(language=code, email=f"p{patient.pk}@mail.test")
    return Patient.objects.get(pk=patient.pk)


def fresh(clinic):
    """The clinic as a request would hold it: its settings read now."""
    return Clinic.objects.select_related("settings").get(pk=clinic.pk)


@pytest.fixture(autouse=True)
def _english_outside_requests():
    """Django leaves the last request's language active in the thread: start each test in English."""
    translation.activate("en")
    yield
    translation.activate("en")


# --- Patients' invitations ---------------------------------------------------------------------------------------

def test_an_invitation_to_a_spanish_patient_is_spanish(world):
    patient = speak(world.patient_a1, "es")
    with translation.override("de"):  # the therapist's page was German: the patient's language wins
        invitation_create(patient=patient, created_by=world.therapist_a)
    (message,) = mail.outbox
    assert message.subject == "Su invitación a Backstep de Clinic A"
    assert message.body.startswith("Hola:")
    assert "Clinic A ha preparado su plan de rehabilitación de rodilla en Backstep." in message.body
    assert "durante 7 días" in message.body
    assert "Hello" not in message.body and "The link works" not in message.body


def test_an_invitation_follows_the_clinics_default_and_english_stays_english(world):
    set_clinic_language(world.clinic_a, "de")
    invitation_create(patient=speak(world.patient_a1, ""))
    assert mail.outbox[-1].subject == "Ihre Backstep-Einladung von Clinic A"
    assert "Der Link funktioniert einmal und 7 Tage lang." in mail.outbox[-1].body
    set_clinic_language(world.clinic_a, "en")
    invitation_create(patient=speak(world.patient_a1, ""))
    assert mail.outbox[-1].subject == "Your Backstep invitation from Clinic A"
    assert "The link works once and for 7 days." in mail.outbox[-1].body


# --- Staff e-mails -----------------------------------------------------------------------------------------------

def test_a_staff_invitation_is_in_the_clinics_language(world, django_capture_on_commit_callbacks):
    set_clinic_language(world.clinic_a, "de")
    with django_capture_on_commit_callbacks(execute=True):
        clinic_services.staff_invite(clinic=fresh(world.clinic_a), email="neu@a.test", first_name="N",
                                     invited_by=world.admin_a)
    (message,) = mail.outbox
    assert message.subject == "Sie wurden in Backstep zu Clinic A hinzugefügt"
    assert "als Therapeut/in zu Clinic A hinzugefügt" in message.body
    assert "Guten Tag," in message.body


def test_a_join_link_to_an_existing_account_is_in_their_own_language(world, django_capture_on_commit_callbacks):
    User.objects.create(email="known@x.test", language="es")
    with django_capture_on_commit_callbacks(execute=True):
        clinic_services.staff_invite(clinic=world.clinic_a, email="known@x.test", first_name="K",
                                     role=Membership.Role.ADMIN, invited_by=world.admin_a)
    (message,) = mail.outbox
    assert message.subject == "Le invitan a unirse a Clinic A en Backstep"
    assert "como administrador/a de la clínica" in message.body


def test_an_english_staff_invitation_is_unchanged(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        clinic_services.staff_invite(clinic=world.clinic_a, email="new@a.test", first_name="N",
                                     role=Membership.Role.ADMIN)
    (message,) = mail.outbox
    assert message.subject == "You have been added to Clinic A in Backstep"
    assert "You have been added to Clinic A in Backstep as clinic admin." in message.body


def test_a_password_reset_is_in_the_accounts_language_not_the_pages(client, world):
    speak(world.patient_a1, "de")
    client.post(reverse("password_reset"), {"email": world.patient_a1.user.email}, HTTP_ACCEPT_LANGUAGE="es")
    (message,) = mail.outbox
    assert message.subject == "Backstep-Passwort zurücksetzen"
    assert "Jemand möchte das Passwort Ihres Backstep-Kontos zurücksetzen." in message.body
    mail.outbox.clear()
    client.post(reverse("password_reset"), {"email": world.therapist_a.email}, HTTP_ACCEPT_LANGUAGE="es")
    assert mail.outbox[0].subject == "Reset your Backstep password"  # the therapist's clinic speaks English


def flag_for(world, severity=Flag.Severity.URGENT, kind=Flag.Kind.PAIN_RED):
    return Flag.objects.create(patient=world.patient_a1, exercise=walk(world.assignment_a1), kind=kind,
                               severity=severity)


def test_an_urgent_flag_email_is_in_the_therapists_language(world, django_capture_on_commit_callbacks):
    User.objects.filter(pk=world.therapist_a.pk).update(language="de")
    speak(world.patient_a1, "es")  # the patient's language is not the therapist's
    Patient.objects.filter(pk=world.patient_a1.pk).update(external_ref="R-7")
    flag = flag_for(world)
    with django_capture_on_commit_callbacks(execute=True):
        assert flag_notify_urgent(flag_id=flag.pk) == 1
    (message,) = mail.outbox
    assert message.subject == "Backstep: dringender Hinweis zu Patient R-7"
    assert "Einer Ihrer Patienten (Praxis-Referenz R-7) hat einen dringenden Hinweis" in message.body


def test_each_admin_hears_of_an_urgent_flag_in_their_own_language(world, django_capture_on_commit_callbacks):
    Patient.objects.filter(pk=world.patient_a1.pk).update(therapist=None)
    second = clinic_services.staff_member_add(clinic=world.clinic_a, user=User.objects.create(
        email="admin2@a.test", language="es"), role=Membership.Role.ADMIN).user
    with django_capture_on_commit_callbacks(execute=True):
        assert flag_notify_urgent(flag_id=flag_for(world).pk) == 2
    subjects = {message.to[0]: message.subject for message in mail.outbox}
    assert subjects[world.admin_a.email].startswith("Backstep: urgent flag for patient")
    assert subjects[second.email].startswith("Backstep: alerta urgente del paciente")


def test_the_daily_digest_is_in_the_therapists_language(world, django_capture_on_commit_callbacks):
    from django.utils import timezone

    set_clinic_language(world.clinic_a, "es")
    flag_for(world)
    flag_for(world, Flag.Severity.WARNING, Flag.Kind.EFFUSION)
    eight_am = timezone.localtime(timezone.now(), zoneinfo.ZoneInfo("Europe/London")).replace(hour=8, minute=0)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert daily_digests_send(now=eight_am) == 1
    (message,) = mail.outbox
    assert message.subject == "Backstep: 2 alertas nuevas hoy"
    assert "generaron 2 alertas nuevas para sus pacientes; urgentes: 1." in message.body
    assert Notification.objects.get().status == Notification.Status.SENT


# --- Reminders ---------------------------------------------------------------------------------------------------

EVENING = dt.datetime.combine(dt.date.today(), dt.time(18, 5), tzinfo=zoneinfo.ZoneInfo("Europe/London"))


@pytest.fixture
def sent_pushes(monkeypatch):
    sent = []
    monkeypatch.setattr("reminders.services.sending.push_send",
                        lambda *, endpoint, p256dh, auth, payload: sent.append(payload))
    return sent


def test_a_german_patients_reminder_push_and_email_are_german(world, sent_pushes,
                                                               django_capture_on_commit_callbacks):
    speak(world.patient_a1, "de")
    ReminderPreference.objects.create(patient=world.patient_a1, training_weekdays="0123456", nudge_enabled=False,
                                      email_enabled=True)
    PushSubscription.objects.create(patient=world.patient_a1, endpoint="https://push.example.test/1",
                                    p256dh="key", auth="secret")
    with translation.override("es"), django_capture_on_commit_callbacks(execute=True):  # a Spanish worker's default
        reminders_tick(now=EVENING)
    assert sent_pushes == [{"title": "Zeit für die heutige Einheit", "body": "Ihre Übungen für heute sind bereit.",
                            "url": "/today/"}]
    (message,) = mail.outbox
    assert message.subject == "Zeit für die heutige Einheit"
    assert message.body.startswith("Ihre Übungen für heute sind bereit.\n\nBackstep öffnen: http")
    assert "Sie erhalten dies, weil Sie Erinnerungen per E-Mail gewählt haben. Abbestellen: http" in message.body
    assert re.search(r"/reminders/unsubscribe/\S+/", message.body)


def test_a_reminder_follows_the_clinics_default(world, sent_pushes):
    set_clinic_language(world.clinic_a, "es")
    ReminderPreference.objects.create(patient=world.patient_a1, training_weekdays="0123456", nudge_enabled=False,
                                      email_enabled=False)
    PushSubscription.objects.create(patient=world.patient_a1, endpoint="https://push.example.test/1",
                                    p256dh="key", auth="secret")
    [pk] = reminders_tick(now=EVENING)
    assert delivery_send(delivery_id=pk, now=EVENING) == "sent"
    assert sent_pushes[0]["title"] == "Es hora de la sesión de hoy"


def test_reminder_words_are_english_by_default():
    assert reminder_payload("checkin")["title"] == "Morning check-in"
    with translation.override("de"):
        assert reminder_payload("checkin") == {
            "title": "Morgen-Check-in", "body": "Wie geht es Ihrem Knie heute Morgen? Das dauert nur zehn Sekunden.",
            "url": "/checkin/"}


def test_the_invitation_link_speaks_the_invited_patients_language(client, world):
    patient = Patient.objects.create(clinic=world.clinic_a, therapist=world.therapist_a, first_name="Lucía",
                                     last_name="Fernández", email="lucia@mail.test", condition="pfp", side="left",
                                     language="es")
    _invitation, link = invitation_create(patient=patient, send=False)
    response = client.get(urlsplit(link).path, HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 200
    assert response["Content-Language"] == "es" and '<html lang="es">' in response.content.decode()
    english = client.get(reverse("patients:invitation", args=["no-such-token"]), HTTP_ACCEPT_LANGUAGE="de")
    assert english["Content-Language"] == "de"  # an unknown token names no one: the browser's language
