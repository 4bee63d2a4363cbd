"""The built-in questionnaires in the patient's language; a licensed one's imported wording, scores and the
FHIR Questionnaire exactly as stored."""

import pytest
from django.urls import reverse
from django.utils import translation

from clinic.builtin_text import is_builtin_text
from clinic.tests.language_support import read_in
from outcomes import instruments, questions
from outcomes.instruments.builtin import builtin_texts
from outcomes.models import QuestionnaireResponse
from outcomes.selectors import ItemWording, Wording, built_in_wording

pytestmark = pytest.mark.django_db
JSON = {"HTTP_ACCEPT": "application/json"}



def test_every_built_in_questionnaire_text_has_german_and_spanish():
    for text in builtin_texts():
        assert is_builtin_text(text)
        for language in ("de", "es"):
            with translation.override(language):
                translated = translation.gettext(text)
            # The instruments' names (SANE, GROC, PSFS) stay as they are published; everything else is translated.
            assert translated != text or text.split(" (")[0] in {"SANE", "GROC", "PSFS"}, (language, text)


def test_a_spanish_patient_answers_groc_in_spanish_and_the_score_is_the_same(client, world, ask):
    ask("groc")
    client.force_login(world.patient_a1.user)
    es = read_in(client, "es", world.patient_a1)
    today = client.get(reverse("patients:today"), **es).content.decode()
    assert reverse("outcomes:answer", args=["groc"]) in today
    page = client.get(reverse("outcomes:answer", args=["groc"]), **es).content.decode()
    assert "Desde que empezó el tratamiento, ¿cómo ha cambiado su rodilla en general?" in page
    assert "Enormemente mejor" in page and "Más o menos igual" in page
    assert "how has your knee changed overall" not in page and "A very great deal better" not in page
    client.post(reverse("outcomes:answer-save", args=["groc"]), {"item": "GROC", "value": "4"}, **JSON)
    client.post(reverse("outcomes:answer", args=["groc"]), {}, **JSON)
    response = QuestionnaireResponse.objects.get()
    assert response.answers == {"GROC": 4} and str(response.primary_score) == "4.0"
    # Stored in English, as before: the scores' titles are the instrument's own.
    assert [scale["title"] for scale in response.scores["scales"]] == ["Change since starting"]
    done = client.get(reverse("outcomes:answered", args=["groc"]), **es).content.decode()
    assert "Cambio desde el inicio" in done and "Change since starting" not in done


def test_weekly_knee_pain_in_german_on_today_and_the_form(client, world, ask):
    ask("knee-pain-weekly")
    client.force_login(world.patient_a1.user)
    de = read_in(client, "de", world.patient_a1)
    today = client.get(reverse("patients:today"), **de).content.decode()
    assert "Knieschmerz diese Woche (0–10)" in today and "Knee pain this week" not in today
    page = client.get(reverse("outcomes:answer", args=["knee-pain-weekly"]), **de)
    body = page.content.decode()
    assert "Wie stark war Ihr Knieschmerz in den letzten 7 Tagen im Durchschnitt?" in body
    assert "Wie stark war Ihr Knieschmerz in den letzten 7 Tagen, als er am schlimmsten war?" in body


def test_sane_slider_anchors_in_german(client, world, ask):
    ask("sane")
    client.force_login(world.patient_a1.user)
    de = read_in(client, "de", world.patient_a1)
    body = client.get(reverse("outcomes:answer", args=["sane"]), **de).content.decode()
    assert "Wie viel Prozent eines normalen Knies erreicht Ihr Knie heute?" in body
    assert "0 % — überhaupt nicht normal" in body and "100 % — völlig normal" in body


def test_english_stays_as_before(client, world, ask):
    ask("groc")
    client.force_login(world.patient_a1.user)
    en = read_in(client, "en", world.patient_a1)
    page = client.get(reverse("outcomes:answer", args=["groc"]), **en).content.decode()
    assert "Since you started treatment, how has your knee changed overall?" in page


def test_a_licensed_questionnaires_imported_wording_is_never_translated(monkeypatch):
    """Even imported text that happens to read like Backstep's own stays exactly as the clinic imported it."""
    akps = instruments.get("akps")
    first = akps.items[0]
    imported = Wording(instrument_id="akps", version="1", title="AKPS", imported_id=1, items={
        first.id: ItemWording(text="How well can you do this activity today?",
                              options={value: "About the same" for value in first.values}),
    })
    monkeypatch.setattr(questions, "instrument_wording", lambda clinic, instrument: imported)
    with translation.override("es"):
        asked = questions.questionnaire_screens(clinic=None, instrument=akps, activities=[])
    screen = asked.screens[0]
    assert screen.text == "How well can you do this activity today?"
    assert {label for _value, label in screen.choices} == {"About the same"}


def test_the_fhir_questionnaire_wording_stays_english(world):
    """Exports and the FHIR Questionnaire read the instrument's stored wording, whatever the language."""
    with translation.override("de"):
        wording = built_in_wording(instruments.get("groc"))
    assert wording.items["GROC"].text == "Since you started treatment, how has your knee changed overall?"
    assert wording.label("GROC", 0) == "About the same"


def test_a_score_reads_with_the_page_languages_decimal_comma_and_is_stored_as_a_number(client, world, ask):
    ask("sane")
    client.force_login(world.patient_a1.user)
    es = read_in(client, "es", world.patient_a1)
    client.post(reverse("outcomes:answer-save", args=["sane"]), {"item": "SANE", "value": "70"}, **JSON)
    client.post(reverse("outcomes:answer", args=["sane"]), {}, **JSON)
    response = QuestionnaireResponse.objects.get()
    assert str(response.primary_score) == "70.0"  # the stored score (CSV, API, FHIR) stays a machine number
    done = client.get(reverse("outcomes:answered", args=["sane"]), **es).content.decode()
    assert "70,0" in done and "70.0" not in done


def test_licensed_instruments_names_and_scales_read_in_the_readers_language_their_items_never():
    texts = instruments.licensed_instrument_texts()
    koos = instruments.get("koos")
    assert koos.title in texts and "Activities of daily living" in texts and "patellofemoral pain" in texts
    for text in texts:
        assert is_builtin_text(text)
        for language in ("de", "es"):
            with translation.override(language):
                translated = translation.gettext(text)
            # The same word in German ("patellofemoral") and a bare acronym may read as in English.
            assert translated != text or text == "KOOS-12" or (language, text) == ("de", "Patellofemoral"), (
                language, text)
    with translation.override("de"):
        assert translation.gettext(koos.title).startswith("KOOS (")
        assert translation.gettext("Activities of daily living") == "Aktivitäten des täglichen Lebens"
    with translation.override("es"):
        assert translation.gettext("Pain") == "Dolor"
    # The licensed items carry no wording of Backstep's (the clinic imports it): nothing of theirs is registered.
    for instrument in instruments.licensed_instruments():
        for item in instrument.items:
            assert not is_builtin_text(getattr(item, "text", None))
