"""Whose language a page is in: the person's own, else their clinic's default; signed out, the browser's.

Also the Language page (patients and staff choose their own), the clinic's default on the settings page, and
the therapist setting a patient's language on the patient form.
"""

import pytest
from django.urls import reverse
from django.utils import translation

from clinic.language import actor_language, clinic_language, patient_language, staff_language, user_language
from clinic.models import ClinicSettings, User
from clinic.tenancy import resolve_actor
from patients.models import Patient


@pytest.fixture(autouse=True)
def _english_outside_requests():
    """Django leaves the last request's language active in the thread: start and end each test in English."""
    translation.activate("en")
    yield
    translation.activate("en")


def set_clinic_language(clinic, code):
    ClinicSettings.objects.update_or_create(clinic=clinic, defaults={"default_language": code})


# --- Who speaks what ---------------------------------------------------------------------------------------------

def test_a_clinic_without_settings_speaks_the_sites_language(world):
    assert clinic_language(world.clinic_a) == "en"
    assert clinic_language(None) == "en"


def test_a_patient_follows_the_clinic_until_they_choose(world):
    set_clinic_language(world.clinic_a, "es")
    patient = Patient.objects.select_related("clinic__settings").get(pk=world.patient_a1.pk)
    assert patient_language(patient) == "es"
    patient.language = "de"
    assert patient_language(patient) == "de"


def test_staff_follow_the_clinic_until_they_choose(world):
    set_clinic_language(world.clinic_a, "de")
    actor = resolve_actor(world.therapist_a)
    assert staff_language(world.therapist_a, actor.clinic) == "de"
    world.therapist_a.language = "es"
    assert staff_language(world.therapist_a, actor.clinic) == "es"


def test_a_stored_code_no_longer_offered_falls_back(world):
    Patient.objects.filter(pk=world.patient_a1.pk).update(language="fr")
    set_clinic_language(world.clinic_a, "es")
    assert patient_language(Patient.objects.get(pk=world.patient_a1.pk)) == "es"


def test_the_actors_language_costs_no_query(world, django_assert_num_queries):
    set_clinic_language(world.clinic_a, "es")
    patient_actor, staff_actor = resolve_actor(world.patient_a1.user), resolve_actor(world.therapist_a)
    with django_assert_num_queries(0):
        assert actor_language(patient_actor) == "es"
        assert actor_language(staff_actor) == "es"
    assert actor_language(resolve_actor(None)) is None


def test_user_language_for_emails_to_signed_out_people(world):
    set_clinic_language(world.clinic_a, "de")
    Patient.objects.filter(pk=world.patient_a2.pk).update(language="es")
    assert user_language(world.patient_a1.user) == "de"
    assert user_language(world.patient_a2.user) == "es"
    assert user_language(world.admin_a) == "de"
    loner = User.objects.create(email="loner@x.test", language="es")  # no clinic role: their own, else English
    assert user_language(loner) == "es"


# --- Pages: the middleware ---------------------------------------------------------------------------------------

def test_a_german_patients_pages_are_german(client, world):
    Patient.objects.filter(pk=world.patient_a1.pk).update(language="de")
    client.force_login(world.patient_a1.user)
    response = client.get(reverse("patients:today"), HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 200
    assert response["Content-Language"] == "de"
    assert '<html lang="de">' in response.content.decode()


def test_a_patient_without_a_choice_gets_the_clinics_language(client, world):
    set_clinic_language(world.clinic_a, "es")
    client.force_login(world.patient_a1.user)
    response = client.get(reverse("language"), HTTP_ACCEPT_LANGUAGE="de")
    assert response["Content-Language"] == "es" and '<html lang="es">' in response.content.decode()
    assert "Idioma" in response.content.decode()


def test_staff_get_their_own_language_over_the_clinics(client, world):
    set_clinic_language(world.clinic_a, "es")
    User.objects.filter(pk=world.therapist_a.pk).update(language="de")
    client.force_login(world.therapist_a)
    response = client.get(reverse("language"))
    assert response["Content-Language"] == "de" and "Sprache" in response.content.decode()
    client.force_login(world.admin_a)  # no choice: the clinic's
    assert client.get(reverse("language"))["Content-Language"] == "es"


def test_signed_out_pages_follow_the_browser_and_the_persons_choice_wins_after_sign_in(client, world):
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="de")
    assert page["Content-Language"] == "de" and '<html lang="de">' in page.content.decode()
    Patient.objects.filter(pk=world.patient_a1.pk).update(language="es")
    client.force_login(world.patient_a1.user)
    assert client.get(reverse("patients:today"), HTTP_ACCEPT_LANGUAGE="de")["Content-Language"] == "es"


def test_the_language_costs_no_query_on_a_page(client, world, django_assert_max_num_queries):
    """A patient's page asks as many queries whatever their language (the actor's rows hold it)."""
    client.force_login(world.patient_a1.user)
    client.get(reverse("patients:today"))  # warm caches (content types, sessions)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as english:
        english_page = client.get(reverse("patients:today"))
    assert english_page.status_code == 200
    english_queries = len(english.captured_queries)  # now: the connection's query log is a bounded deque
    set_clinic_language(world.clinic_a, "es")
    patient = Patient.objects.get(pk=world.patient_a1.pk)
    patient.language = "de"
    patient.save(update_fields=["language"])
    client.get(reverse("patients:today"))  # the changed caller is read again once, then cached (clinic/tenancy.py)
    with django_assert_max_num_queries(english_queries):
        assert client.get(reverse("patients:today"))["Content-Language"] == "de"


# --- The Language page -------------------------------------------------------------------------------------------

def test_a_patient_chooses_their_language(client, world):
    client.force_login(world.patient_a1.user)
    page = client.get(reverse("language")).content.decode()
    assert "Español" in page and "Deutsch" in page and "The clinic&#x27;s language (English)" in page
    response = client.post(reverse("language"), {"language": "es"}, follow=True)
    assert Patient.objects.get(pk=world.patient_a1.pk).language == "es"
    assert response["Content-Language"] == "es"
    assert "Idioma guardado." in response.content.decode()  # the message in the language just chosen
    client.post(reverse("language"), {"language": ""})  # back to the clinic's
    assert Patient.objects.get(pk=world.patient_a1.pk).language == ""


def test_a_patient_cannot_set_another_patients_language(client, world):
    client.force_login(world.patient_a1.user)
    client.post(reverse("language"), {"language": "de", "patient": world.patient_a2.pk,
                                      "patient_id": world.patient_a2.pk, "pk": world.patient_a2.pk})
    assert Patient.objects.get(pk=world.patient_a1.pk).language == "de"
    assert Patient.objects.get(pk=world.patient_a2.pk).language == ""
    assert Patient.objects.get(pk=world.patient_b1.pk).language == ""


@pytest.mark.parametrize("code", ["fr", "xx", "en-us", "<b>", "e" * 40])
def test_an_unknown_language_is_refused_in_words(client, world, code):
    client.force_login(world.patient_a1.user)
    response = client.post(reverse("language"), {"language": code})
    assert response.status_code == 400
    assert "is not a language Backstep speaks. Choose one from the list." in response.content.decode()
    assert Patient.objects.get(pk=world.patient_a1.pk).language == ""


def test_the_service_refuses_an_unknown_code_too(world):
    from django.core.exceptions import ValidationError

    from clinic.services import language_choose

    with pytest.raises(ValidationError) as error:
        language_choose(actor=resolve_actor(world.patient_a1.user), language="fr")
    assert "fr is not a language Backstep speaks" in str(error.value)


def test_staff_choose_theirs_and_patients_are_untouched(client, world):
    client.force_login(world.therapist_a)
    client.post(reverse("language"), {"language": "de"})
    assert User.objects.get(pk=world.therapist_a.pk).language == "de"
    assert Patient.objects.filter(language="de").count() == 0
    assert User.objects.get(pk=world.admin_a.pk).language == ""


def test_the_language_page_needs_a_sign_in(client, world):
    response = client.post(reverse("language"), {"language": "de"})
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_the_menus_link_to_the_language_page(client, world):
    for user in (world.patient_a1.user, world.therapist_a):
        client.force_login(user)
        home = reverse("patients:today") if user == world.patient_a1.user else reverse("patients:list")
        assert f'href="{reverse("language")}"' in client.get(home).content.decode()


# --- The clinic's default ----------------------------------------------------------------------------------------

def settings_post(**values):
    data = {name: "" for name in ClinicSettings.ENGINE_SETTING_NAMES}
    data.update(values)
    return data


def test_a_clinic_admin_sets_the_default_for_their_clinic_only(client, world):
    set_clinic_language(world.clinic_b, "en")
    client.force_login(world.admin_a)
    response = client.post(reverse("clinic-admin:settings"), settings_post(default_language="de"), follow=True)
    assert ClinicSettings.objects.get(clinic=world.clinic_a).default_language == "de"
    assert ClinicSettings.objects.get(clinic=world.clinic_b).default_language == "en"
    assert response["Content-Language"] == "de"  # the admin has no choice of their own: the new default
    assert "Standardsprache gespeichert." in response.content.decode()


def test_an_unknown_default_is_refused(client, world):
    client.force_login(world.admin_a)
    response = client.post(reverse("clinic-admin:settings"), settings_post(default_language="fr"))
    assert response.status_code == 200 and "Select a valid choice." in response.content.decode()
    assert not ClinicSettings.objects.filter(clinic=world.clinic_a, default_language="fr").exists()


def test_therapists_and_other_clinics_cannot_change_the_default(client, world):
    for user in (world.therapist_a, world.therapist_b):
        client.force_login(user)
        assert client.post(reverse("clinic-admin:settings"), settings_post(default_language="de")).status_code == 403
    assert not ClinicSettings.objects.filter(default_language="de").exists()


def test_the_default_is_refused_by_the_model_too(world):
    from django.core.exceptions import ValidationError

    from clinic.services import clinic_language_set

    with pytest.raises(ValidationError):
        clinic_language_set(clinic=world.clinic_a, language="fr", updated_by=world.admin_a)


# --- The therapist sets a patient's language ---------------------------------------------------------------------

def patient_post(patient, **values):
    return {"first_name": patient.first_name, "last_name": patient.last_name, "email": patient.email,
            "external_ref": patient.external_ref, "condition": patient.condition, "side": patient.side,
            "therapist": patient.therapist_id, **values}


def test_the_therapist_sets_a_patients_language(client, world):
    client.force_login(world.therapist_a)
    url = reverse("patients:edit", args=[world.patient_a1.pk])
    assert "The clinic&#x27;s language (English)" in client.get(url).content.decode()
    response = client.post(url, patient_post(world.patient_a1, language="es"))
    assert response.status_code == 302
    assert Patient.objects.get(pk=world.patient_a1.pk).language == "es"
    response = client.post(url, patient_post(world.patient_a1, language="fr"))
    assert response.status_code == 200 and "Select a valid choice." in response.content.decode()
    assert Patient.objects.get(pk=world.patient_a1.pk).language == "es"


def test_another_clinics_therapist_cannot_set_it(client, world):
    client.force_login(world.therapist_b)
    response = client.post(reverse("patients:edit", args=[world.patient_a1.pk]),
                           patient_post(world.patient_a1, language="de"))
    assert response.status_code == 404
    assert Patient.objects.get(pk=world.patient_a1.pk).language == ""


def test_the_patient_page_names_a_chosen_language(client, world):
    client.force_login(world.therapist_a)
    url = reverse("patients:detail", args=[world.patient_a1.pk])
    assert "Español" not in client.get(url).content.decode()
    Patient.objects.filter(pk=world.patient_a1.pk).update(language="es")
    assert '<span lang="es">Español</span>' in client.get(url).content.decode()


# --- The browser remembers the person's language for after sign-out ----------------------------------------------

def test_after_sign_out_the_sign_in_page_keeps_the_language_the_person_chose(client, world, settings):
    english = {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}
    cookie = settings.LANGUAGE_COOKIE_NAME
    assert cookie not in client.get(reverse("login"), **english).cookies  # signed out: nobody's choice to keep
    Patient.objects.filter(pk=world.patient_a1.pk).update(language="de")
    client.force_login(world.patient_a1.user)
    first = client.get(reverse("patients:today"), **english)
    assert first.cookies[cookie].value == "de"
    assert first.cookies[cookie]["httponly"] and first.cookies[cookie]["samesite"] == "Lax"
    assert first.cookies[cookie]["max-age"] == settings.LANGUAGE_COOKIE_AGE
    assert cookie not in client.get(reverse("patients:today"), **english).cookies  # only when it differs
    # Changed on the Language page: the answer to the change already carries the new choice.
    changed = client.post(reverse("language"), {"language": "es"}, **english)
    assert changed.status_code == 302 and changed.cookies[cookie].value == "es"
    assert cookie not in client.get(reverse("language"), **english).cookies
    client.post(reverse("logout"))
    sign_in = client.get(reverse("login"), **english)
    assert sign_in["Content-Language"] == "es" and '<html lang="es">' in sign_in.content.decode()


def test_a_staff_members_language_is_remembered_too_and_only_on_pages(client, world, settings):
    from django.http import HttpResponse, JsonResponse
    from django.test import RequestFactory

    from clinic.language import remember_language

    User.objects.filter(pk=world.therapist_a.pk).update(language="es")
    client.force_login(world.therapist_a)
    assert client.get(reverse("language")).cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    request = RequestFactory().get("/")
    data = JsonResponse({"ok": True})
    remember_language(request, data, "de")
    assert settings.LANGUAGE_COOKIE_NAME not in data.cookies  # an API answer or a file sets no cookie
    page = HttpResponse("<p>hi</p>")
    remember_language(request, page, "de")
    assert page.cookies[settings.LANGUAGE_COOKIE_NAME].value == "de"


@pytest.mark.parametrize(("language", "day", "until"), [
    ("en", "Friday 4 December", "Saturday 5 December, 20:19"),
    ("de", "Freitag, 4. Dezember", "Samstag, 5. Dezember, 20:19 Uhr"),
    ("es", "viernes 4 de diciembre", "sábado 5 de diciembre, 20:19"),
])
def test_a_day_in_full_reads_the_languages_way(language, day, until):
    import datetime as dt

    from django.utils import timezone

    from clinic.templatetags.people import weekday_date, weekday_date_time

    with translation.override(language):
        assert weekday_date(dt.date(2026, 12, 4)) == day
        assert weekday_date_time(dt.datetime(2026, 12, 5, 20, 19, tzinfo=timezone.get_current_timezone())) == until
