"""Flag and engine reasons in the reader's language (issue 20): stored as message + English text, shown worded.

The checks store each reason's message beside its English text; the inbox, the patient page, the phone and the
data page word it in the active language (LocaleMiddleware: the `django_language` cookie, Accept-Language); the
API and the FHIR export keep the English text.
"""

from types import SimpleNamespace

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from outcomes.outcome_flags import _message as outcome_message
from patients.models import Flag, ProgressionCheck, StepVersion
from patients.reason_messages import shown_reasons
from patients.services import session_log_delete
from patients.tests.support import check, session, step_to, walk
from tests.api.support import api  # noqa: F401 - fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]

ENGLISH_RED = "Pain during the latest session ("
GERMAN_RED = "Der Schmerz während der letzten Einheit ("
SPANISH_RED = "El dolor durante la última sesión ("


def german(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    return {"HTTP_ACCEPT_LANGUAGE": "de"}


def spanish(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    return {"HTTP_ACCEPT_LANGUAGE": "es"}


def red_session_checked(world):
    """A red session after a step up: the check regresses (a step change by the engine) and raises pain_red."""
    step_to(world, 1)
    session(world, 1, step=1, pain=7)
    with translation.override("de"):  # a check run while German is active still stores English text
        check(world)
    return Flag.objects.get(kind="pain_red")


def test_the_check_stores_english_text_and_the_message_whatever_language_is_active(world):
    flag = red_session_checked(world)
    assert flag.reasons[0].startswith(ENGLISH_RED)
    assert flag.reason_messages[0]["id"] == "R1.pain_red"
    assert flag.reason_messages[0]["params"]["pain"] == 7
    row = ProgressionCheck.objects.get(exercise=walk(world.assignment_a1))
    assert row.reasons[0].startswith(ENGLISH_RED) and row.reason_messages[0]["id"] == "R1.pain_red"
    assert all(set(f) == {"kind", "severity", "reason"} for f in row.flags)  # the stored JSON keeps its shape
    version = StepVersion.objects.filter(exercise=walk(world.assignment_a1), source="engine").latest()
    assert version.reason.startswith(ENGLISH_RED) and version.reason_message["id"] == "R1.pain_red"
    with translation.override("de"):
        assert flag.shown_reasons[0].startswith(GERMAN_RED)
        assert row.shown_reasons[0].startswith(GERMAN_RED)
        assert version.shown_reason.startswith(GERMAN_RED)
    with translation.override("en"):
        assert flag.shown_reasons == flag.reasons  # English reads exactly as stored


def test_the_inbox_shows_a_flag_reason_in_the_viewers_language(client, world):
    flag = red_session_checked(world)
    client.force_login(world.therapist_a)
    body = client.get(reverse("patients:flags"), **german(client)).content.decode()
    assert GERMAN_RED in body and "lag bei 7/10, über der Grenze von 5/10" in body
    assert "Stufe 1 von 3" in body
    assert ENGLISH_RED not in body
    client.cookies.pop(settings.LANGUAGE_COOKIE_NAME)
    body = client.get(reverse("patients:flags"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert flag.reasons[0].replace("'", "&#x27;") in body and GERMAN_RED not in body


def test_the_patient_page_shows_flag_and_step_reasons_in_spanish(client, world):
    red_session_checked(world)
    client.force_login(world.therapist_a)
    body = client.get(reverse("patients:detail", args=[world.patient_a1.pk]), **spanish(client)).content.decode()
    assert body.count(SPANISH_RED) >= 2  # the open flag and the engine's step change in the history
    assert ENGLISH_RED not in body


def test_a_flag_stored_before_messages_shows_its_text(client, world):
    flag = red_session_checked(world)
    Flag.objects.filter(pk=flag.pk).update(reasons=["Written before messages."], reason_messages=[])
    client.force_login(world.therapist_a)
    body = client.get(reverse("patients:flags"), **german(client)).content.decode()
    assert "Written before messages." in body


def test_the_phone_shows_the_checks_reason_in_the_patients_language(client, world):
    session(world, 2, morning=0)
    session(world, 1, pain=4, morning=0)
    check(world)
    client.force_login(world.patient_a1.user)
    body = client.get(reverse("patients:today"), **german(client)).content.decode()
    assert "Der Schmerz während der letzten Einheit lag bei 4/10: vertretbar" in body
    body = client.get(reverse("patients:today"), **spanish(client)).content.decode()
    assert "El dolor durante la última sesión fue de 4/10: aceptable" in body


def test_the_api_keeps_the_english_reasons(world, api):  # noqa: F811 - fixture
    flag = red_session_checked(world)
    client = api("key_a")
    response = client.get(f"/api/v1/flags/{flag.pk}/", HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 200
    assert response.json()["reasons"] == flag.reasons and response.json()["reasons"][0].startswith(ENGLISH_RED)
    assert "reason_messages" not in response.json()


def test_a_deleted_session_note_reads_in_german_and_keeps_its_english_text(world):
    flag = red_session_checked(world)
    row = walk(world.assignment_a1).sessions.get(pain_during=7)
    session_log_delete(patient=world.patient_a1, session=row, now=timezone.now())
    flag.refresh_from_db()
    assert flag.reasons[0].startswith("The patient deleted the session of ")
    assert flag.reason_messages[0]["id"] == "flag.session_deleted"
    assert len(flag.reasons) == len(flag.reason_messages) == 2
    with translation.override("de"):
        shown = flag.shown_reasons
    assert shown[0].startswith("Der Patient hat die Einheit vom ") and "gelöscht" in shown[0]
    assert shown[1].startswith(GERMAN_RED)


def test_outcome_flag_messages_word_numbers_in_the_language():
    instrument = SimpleNamespace(title="KOOS-12")
    first, latest = SimpleNamespace(primary_score=40.5), SimpleNamespace(primary_score=52)
    message = outcome_message(instrument, first, latest, 11.5, "improved")
    with translation.override("en"):
        assert shown_reasons(["x"], [message]) == [
            "KOOS-12 improved from 40.5 to 52 (+11.5), beyond the important change."]
    with translation.override("de"):
        assert shown_reasons(["x"], [message])[0].startswith("KOOS-12 hat sich von 40,5 auf 52 verbessert (+11,5)")
    worse = outcome_message(instrument, latest, first, -11.5, "worse")
    with translation.override("es"):
        assert shown_reasons(["x"], [worse])[0].startswith("KOOS-12 empeoró de 52 a 40,5 (-11,5)")


def test_a_stored_date_reads_in_words_in_the_language():
    message = {"id": "R2.effusion", "params": {"grade": "3+", "date": {"date": "2026-02-01"}}}
    with translation.override("es"):
        assert shown_reasons(["x"], [message])[0].startswith("Derrame de rodilla de grado 3+")
        assert "1 de febrero de 2026" in shown_reasons(["x"], [message])[0]
    with translation.override("de"):
        assert "Stroke-Test vom 1. Februar 2026" in shown_reasons(["x"], [message])[0]


def test_the_starting_step_reason_reads_in_german(world):
    version = StepVersion.objects.filter(exercise=walk(world.assignment_a1), source="initial").get()
    assert version.reason == "Starting step of the assigned protocol."
    assert version.reason_message == {"id": "step.start", "params": {}}
    with translation.override("de"):
        assert version.shown_reason == "Startstufe des zugewiesenen Protokolls."


def test_an_approved_suggestion_keeps_its_reasons_as_a_message(client, world):
    session(world, 2, morning=0)
    session(world, 1, morning=0)
    check(world)
    suggestion = Flag.objects.get(kind="progression")
    client.force_login(world.therapist_a)
    client.post(reverse("patients:flag-action", args=[suggestion.pk]), {"action": "approve"}, **german(client))
    version = StepVersion.objects.filter(exercise=walk(world.assignment_a1), source="therapist").latest()
    assert version.reason.startswith("Approved the suggested progression: 2 comfortable sessions in a row")
    assert version.reason_message["id"] == "step.approved"
    with translation.override("en"):
        assert version.shown_reason == version.reason
    with translation.override("es"):
        assert version.shown_reason.startswith("Progresión propuesta aprobada: 2 sesiones cómodas seguidas")


def test_the_patients_data_page_words_flag_reasons_in_their_language(client, world):
    red_session_checked(world)
    client.force_login(world.patient_a1.user)
    body = client.get(reverse("interop:my-data"), **spanish(client)).content.decode()
    assert SPANISH_RED in body and ENGLISH_RED not in body
