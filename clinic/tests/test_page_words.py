"""Words the Spanish and German page scan found in English: audit record types, scores' decimal commas, the
patient form's Therapist label, and one English word with two meanings (msgctxt) translated per meaning."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.utils import translation
from django.utils.translation import pgettext

from clinic.audit_labels import OBJECT_TYPE_LABELS, action_words, object_type_words
from clinic.filters import OBJECT_TYPES, AuditEventFilter


@pytest.fixture(autouse=True)
def _english_outside_requests():
    translation.activate("en")
    yield
    translation.activate("en")


def test_audit_record_types_read_in_the_readers_language_and_unknown_ones_as_stored():
    with translation.override("es"):
        assert object_type_words("session") == "sesión"
        assert object_type_words("adherence_report") == "informe de adherencia"
        assert object_type_words("some_new_type") == "some new type"
        assert "alerta" in action_words("nowhere:unknown", "GET", "flag")  # "viewed %(what)s" names it too
    with translation.override("de"):
        assert object_type_words("invitation") == "Einladung"
    assert object_type_words("session") == "session"  # English stays as it was
    for language in ("es", "de"):
        with translation.override(language):
            for object_type, label in OBJECT_TYPE_LABELS.items():
                assert str(label) != object_type.replace("_", " ") or object_type == "plan" and language == "es", (
                    language, object_type)


def test_the_audit_filter_offers_translated_labels_but_filters_by_the_stored_type():
    with translation.override("de"):
        choices = dict(AuditEventFilter().filters["object_type"].extra["choices"])
        assert set(choices) == set(OBJECT_TYPES)  # the values the API's ?object_type= takes stay English
        assert str(choices["session"]) == "Einheit" and str(choices["flag"]) == "Hinweis"


@pytest.mark.parametrize(("language", "value", "shown"), [
    ("de", "70.0", "70,0"), ("es", "70.0", "70,0"), ("en", "70.0", "70.0"), ("de", 12.5, "12,5"), ("de", 7, "7"),
    ("de", None, "None"), ("de", "—", "—"), ("de", "not a number", "not a number"),
])
def test_the_number_filter_shows_scores_the_page_languages_way(language, value, shown):
    template = Template("{% load numbers %}{{ value|number }}")
    with translation.override(language):
        assert template.render(Context({"value": value})) == shown


def test_the_patient_forms_therapist_label_is_translated():
    from patients.forms import PatientForm

    with translation.override("de"):
        assert str(PatientForm.base_fields["therapist"].label) == "Therapeut/in"
    with translation.override("es"):
        assert str(PatientForm.base_fields["therapist"].label) == "Fisioterapeuta"
    assert str(PatientForm.base_fields["therapist"].label) == "Therapist"


@pytest.mark.parametrize(("context", "msgid", "es", "de"), [
    ("export status", "Running", "En curso", "Läuft"),
    ("measurements column: cleared for running", "Running", "Carrera", "Laufen"),
    ("edit link", "Change", "Cambiar", "Ändern"),
    ("score change", "Change", "Cambio", "Veränderung"),
    ("plan status", "Active", "Activo", "Aktiv"),
    ("API key", "Active", "Activa", "Aktiv"),
    ("API key", "Expired", "Caducada", "Abgelaufen"),
    ("export files", "Expired", "Caducados", "Abgelaufen"),
    ("session", "Stopped early", "Detenida antes de tiempo", "Vorzeitig beendet"),
])
def test_one_english_word_with_two_meanings_is_translated_per_meaning(context, msgid, es, de):
    for language, expected in (("es", es), ("de", de)):
        with translation.override(language):
            assert pgettext(context, msgid) == expected
    assert pgettext(context, msgid) == msgid


def test_the_adherence_help_text_says_0_6_the_languages_way():
    from clinic.forms import ClinicSettingsForm  # noqa: F401 (the form whose help text this is)

    text = ("Flag low adherence when fewer than this share of the planned sessions were done in the last 14 days; "
            "0.6 means 60 %.")
    assert translation.gettext(text) == text
    for language in ("de", "es"):
        with translation.override(language):
            assert "0,6" in translation.gettext(text) and "0.6" not in translation.gettext(text)


def test_an_outcome_flags_reason_names_the_instrument_in_the_readers_language():
    from patients.reason_messages import english, note, shown_reason

    message = note("outcome.worse", instrument="KOOS (Knee injury and Osteoarthritis Outcome Score)", first=70.0,
                   latest=50.0, change={"signed": -20.0})
    stored = english(message)
    assert stored.startswith("KOOS (Knee injury and Osteoarthritis Outcome Score) worsened from 70")
    with translation.override("de"):
        shown = shown_reason(stored, message)
    assert "KOOS (Fragebogen zu Knieverletzungen und Arthrose)" in shown and "Knee injury" not in shown
    assert "70" in shown and "-20" in shown
    clinic_words = note("outcome.worse", instrument="Our own knee form", first=1.0, latest=0.5,
                        change={"signed": -0.5})
    with translation.override("de"):
        assert "Our own knee form" in shown_reason(english(clinic_words), clinic_words)


def test_the_questionnaire_import_form_names_the_licensed_instruments_in_the_readers_language():
    from outcomes.questionnaire_forms import QuestionnaireImportForm

    with translation.override("es"):
        choices = dict(QuestionnaireImportForm().fields["instrument"].choices)
    assert choices["koos"] == "KOOS (Cuestionario sobre lesiones de rodilla y artrosis)"
    assert dict(QuestionnaireImportForm().fields["instrument"].choices)["koos"].startswith("KOOS (Knee injury")
