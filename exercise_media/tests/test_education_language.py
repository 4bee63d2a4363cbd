"""Backstep's education texts and drawings in the reader's language; a clinic's own wording as it wrote it."""

import pytest
from django.urls import reverse
from django.utils import translation

from clinic.tests.language_support import read_in
from exercise_media import demonstrations, services
from exercise_media.education import BY_SLUG, TOPICS
from exercise_media.selectors import education_texts

pytestmark = pytest.mark.django_db
RETRO = BY_SLUG["retro-walking"]



def test_every_topic_is_translated():
    for topic in TOPICS:
        for language in ("de", "es"):
            with translation.override(language):
                text = education_texts(clinic=None)[topic.slug]
            assert text.title != topic.title and text.moment != topic.moment
            assert len(text.lines) == len(topic.body.splitlines())  # the same points, one a line
            assert not set(text.lines) & set(topic.body.splitlines())


def test_education_in_german_until_the_clinic_writes_its_own(world, django_capture_on_commit_callbacks):
    with translation.override("de"):
        text = education_texts(clinic=world.clinic_a)["retro-walking"]
    assert text.is_default and text.title == "Warum rückwärts bergauf gehen?"
    assert text.lines[0].startswith("Rückwärtsgehen bergauf fordert den Muskel")
    with django_capture_on_commit_callbacks(execute=True):
        services.education_text_save(clinic=world.clinic_a, topic="retro-walking", updated_by=world.admin_a,
                                     title="Why we walk backwards", body="Our physios explain it at your visit.")
    for language in ("en", "de", "es"):
        with translation.override(language):
            own = education_texts(clinic=world.clinic_a)["retro-walking"]
        assert (own.title, own.lines) == ("Why we walk backwards", ["Our physios explain it at your visit."])
    # Another clinic still has Backstep's, in the reader's language.
    with translation.override("es"):
        other = education_texts(clinic=world.clinic_b)["retro-walking"]
    assert other.title == "¿Por qué caminar hacia atrás cuesta arriba?"


def test_the_phone_shows_the_education_card_in_the_patients_language(client, world,
                                                                     django_capture_on_commit_callbacks):
    client.force_login(world.patient_a1.user)
    de = read_in(client, "de", world.patient_a1)
    today = client.get(reverse("patients:today"), **de).content.decode()
    assert "Warum rückwärts bergauf gehen?" in today and RETRO.title not in today
    with django_capture_on_commit_callbacks(execute=True):
        services.education_text_save(clinic=world.clinic_a, topic="retro-walking", updated_by=world.admin_a,
                                     title="Why we walk backwards", body="Our physios explain it at your visit.")
    today = client.get(reverse("patients:today"), **de).content.decode()
    assert "Why we walk backwards" in today and "Warum rückwärts bergauf gehen?" not in today


def test_drawings_are_described_in_the_readers_language():
    with translation.override("de"):
        walk = demonstrations.render("retro-treadmill-walk", incline="7.5")
        balance = demonstrations.render("single-leg-balance")
    assert walk.title == "Rückwärtsgehen auf dem Laufband bei 7,5 % Steigung"
    assert "<title id=\"t\">Rückwärtsgehen auf dem Laufband bei 7,5 % Steigung</title>" in walk.svg
    assert balance.title == "Einbeinstand" and balance.description.startswith("Eine Person steht")
    with translation.override("es"):
        assert demonstrations.render("quad-sets").title == "Contracción de cuádriceps"
    with translation.override("en"):
        walk = demonstrations.render("retro-treadmill-walk", incline="7.5")
    assert walk.title == "Retro treadmill walk at 7.5 % incline"
    assert walk.description.startswith("A person stands on a treadmill facing away from the console")
    assert "walks backwards uphill at a 7.5 % incline with one hand resting lightly on the side rail." in \
        walk.description


def test_the_drawing_file_is_in_the_requests_language(client):
    url = reverse("exercise_media:demonstration", args=["wall-sit"])
    german = client.get(url, **read_in(client, "de"))
    assert "<title id=\"t\">Wandsitzen</title>" in german.content.decode()
    assert "Accept-Language" in german.headers.get("Vary", "")
    assert "<title id=\"t\">Wall sit</title>" in client.get(url, **read_in(client, "en")).content.decode()
