"""Numbers and dates in the person's language: decimal commas read and shown in German and Spanish, points still
read; the language's date formats; every decimal field of every form is local."""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import uuid
from decimal import Decimal

import pytest
from django import forms
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from clinic.numbers import DECIMAL_FIELDS
from patients.forms import SessionLogForm
from patients.models import Patient, SessionLog
from patients.services import clinic_today
from protocols.forms import LadderSpecForm
from tests.api.support import walk

FORM_MODULES = ("clinic.forms", "patients.forms", "protocols.forms", "reminders.forms", "monitoring.forms",
                "outcomes.forms", "outcomes.questionnaire_forms", "exercise_media.forms")


@pytest.fixture(autouse=True)
def _english_outside_requests():
    translation.activate("en")
    yield
    translation.activate("en")


def project_form_classes():
    for name in FORM_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError:
            continue
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == name:
                yield cls


def test_every_decimal_field_of_every_form_is_local():
    decimal_fields = [(cls.__name__, name, field) for cls in project_form_classes()
                      for name, field in cls.base_fields.items() if isinstance(field, DECIMAL_FIELDS)]
    assert len(decimal_fields) >= 20  # speeds, inclines, measurements, criteria, thresholds
    not_local = [(cls, name) for cls, name, field in decimal_fields
                 if not field.localize or field.widget.input_type != "text"
                 or field.widget.attrs.get("inputmode") != "decimal"]
    assert not not_local


def test_the_clinic_settings_decimals_are_local_too():
    from clinic.forms import ClinicSettingsForm
    from protocols.engine import DEFAULT_SETTINGS

    form = ClinicSettingsForm(defaults=DEFAULT_SETTINGS)
    assert form.fields["running_speed_kmh"].localize
    with translation.override("de"):
        form = ClinicSettingsForm(defaults=DEFAULT_SETTINGS)
        html = str(form["running_speed_kmh"])
    assert 'type="text"' in html and 'inputmode="decimal"' in html and 'placeholder="5,8"' in html
    assert "5,8" in str(form.fields["running_speed_kmh"].help_text)


@pytest.mark.parametrize(("language", "typed", "expected"), [
    ("de", "3,5", Decimal("3.5")), ("de", "3.5", Decimal("3.5")), ("es", "3,5", Decimal("3.5")),
    ("es", "3.5", Decimal("3.5")), ("en", "3.5", Decimal("3.5")), ("de", "12", Decimal("12")),
])
def test_both_separators_are_read(language, typed, expected):
    with translation.override(language):
        field = LadderSpecForm.base_fields["start_speed_kmh"]
        assert field.clean(typed) == expected


@pytest.mark.parametrize("typed", ["3,5", "3,,5", "3.5.1", "drei"])
def test_english_reads_a_point_only_and_nonsense_is_refused(typed):
    field = LadderSpecForm.base_fields["start_speed_kmh"]
    with translation.override("de" if typed != "3,5" else "en"), pytest.raises(forms.ValidationError):
        field.clean(typed)


def test_a_decimal_is_shown_the_languages_way():
    form = SessionLogForm(initial={"speed_kmh": Decimal("3.5")}, exercises=[], today=dt.date(2026, 12, 4))
    with translation.override("de"):
        html = str(form["speed_kmh"])
    assert 'value="3,5"' in html and 'type="text"' in html
    assert 'value="3.5"' in str(form["speed_kmh"])


def speak(world, code):
    Patient.objects.filter(pk=world.patient_a1.pk).update(language=code)


@pytest.mark.django_db
@pytest.mark.usefixtures("eager_celery")
@pytest.mark.parametrize(("language", "typed"), [("de", "3,5"), ("de", "3.5"), ("es", "3,5"), ("en", "3.5")])
def test_a_patient_logs_a_speed_with_their_separator(client, world, language, typed):
    speak(world, language)
    client.force_login(world.patient_a1.user)
    data = {"exercise": walk(world.assignment_a1).pk, "date": clinic_today(world.clinic_a).isoformat(),
            "completed": "yes", "duration_min": "10", "speed_kmh": typed, "incline_pct": "1,5" if typed == "3,5"
            else "1.5", "sets": "", "reps": "", "hold_seconds": "", "pain_during": "2", "pain_after": "1",
            "rpe": "5", "notes": "", "client_uuid": str(uuid.uuid4())}
    response = client.post(reverse("patients:log-session"), data)
    assert response.status_code in (200, 302)
    log = SessionLog.objects.get(patient=world.patient_a1)
    assert (log.speed_kmh, log.incline_pct) == (Decimal("3.5"), Decimal("1.5"))


@pytest.mark.django_db
def test_an_english_patients_comma_is_refused_in_words(client, world):
    client.force_login(world.patient_a1.user)
    data = {"exercise": walk(world.assignment_a1).pk, "date": clinic_today(world.clinic_a).isoformat(),
            "completed": "yes", "duration_min": "10", "speed_kmh": "3,5", "incline_pct": "0", "pain_during": "2",
            "pain_after": "1", "client_uuid": str(uuid.uuid4())}
    response = client.post(reverse("patients:log-session"), data)
    assert response.status_code == 400 or "Enter a number." in response.content.decode()
    assert not SessionLog.objects.filter(patient=world.patient_a1).exists()


@pytest.mark.django_db
def test_a_german_page_shows_decimal_commas(client, world):
    speak(world, "de")
    client.force_login(world.patient_a1.user)
    today = client.get(reverse("patients:today")).content.decode()
    assert "2,5 km/h" in today and "2.5 km/h" not in today
    log = client.get(reverse("patients:log-session")).content.decode()
    assert 'data-decimal=","' in log and 'inputmode="decimal"' in log
    assert '"speed_kmh": "2,5"' in log  # the plan's values for the page's script, the German way


@pytest.mark.django_db
def test_an_english_page_keeps_points(client, world):
    client.force_login(world.patient_a1.user)
    today = client.get(reverse("patients:today")).content.decode()
    assert "2.5 km/h" in today
    assert 'data-decimal="."' in client.get(reverse("patients:log-session")).content.decode()


# --- Dates -------------------------------------------------------------------------------------------------------

DAY = dt.date(2026, 12, 4)


@pytest.mark.parametrize(("language", "short", "long", "day"), [
    ("en", "4 Dec 2026", "4 December 2026", "Fri 4 Dec"),
    ("de", "4. Dez 2026", "4. Dezember 2026", "Fr., 4. Dez"),
    ("es", "4 dic 2026", "4 de diciembre de 2026", "vie 4 dic"),
])
def test_dates_follow_the_language(language, short, long, day):
    template = Template('{% load people %}{{ d|date:"SHORT_DATE_FORMAT" }}|{{ d|long_date }}|{{ d|day }}')
    with translation.override(language):
        assert template.render(Context({"d": DAY})) == f"{short}|{long}|{day}"


@pytest.mark.parametrize("language", ["en", "de", "es"])
def test_date_inputs_stay_iso_in_every_language(language):
    """<input type="date"> shows ISO dates only: a German "04.12.2026" would leave it empty."""
    from patients.forms import PatientForm

    with translation.override(language):
        widget = PatientForm.base_fields["date_of_birth"].widget
        assert widget.format_value(DAY) == "2026-12-04"
        assert PatientForm.base_fields["date_of_birth"].clean("2026-12-04") == DAY


@pytest.mark.parametrize(("language", "shown"), [("en", "2.5|10|0.5"), ("de", "2,5|10|0,5"), ("es", "2,5|10|0,5")])
def test_the_builders_numbers_follow_the_language(language, shown):
    template = Template("{% load builder %}{{ a|number }}|{{ b|number }}|{{ c|number }}")
    with translation.override(language):
        assert template.render(Context({"a": Decimal("2.50"), "b": Decimal("10.0"), "c": 0.5})) == shown


def test_a_ladder_step_in_words_follows_the_language():
    from protocols.models import describe_load

    assert describe_load(Decimal("2.50"), Decimal("5.0"), 20) == "2.5 km/h · 5 % · 20 min"
    with translation.override("de"):
        assert describe_load(Decimal("3.50"), Decimal("2.5"), 20) == "3,5 km/h · 2,5 % · 20 min"


@pytest.mark.django_db
def test_a_german_patients_today_page_shows_3_comma_5_km_h(client, world):
    from patients.services import assignment_create
    from tests.factories import PatientFactory, UserFactory, make_protocol

    patient = PatientFactory(clinic=world.clinic_a, therapist=world.therapist_a, user=UserFactory(), language="de")
    assignment_create(patient=patient, protocol=make_protocol(ladder=((3.5, 1.5, 10),)),
                      start_date=clinic_today(world.clinic_a), baseline_pain=2)
    client.force_login(patient.user)
    today = client.get(reverse("patients:today")).content.decode()
    assert "3,5 km/h" in today and "1,5 %" in today
    assert "3.5 km/h" not in today
    client.force_login(world.therapist_a)  # the therapist reads English: the same plan with points
    assert "3.5 km/h" in client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
