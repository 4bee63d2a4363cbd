"""Remote monitoring's refusals in the staff member's language; the timer's own entry text too, until edited."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from clinic.builtin_text import builtin_text
from monitoring.services import TIMER_ACTIVITY, enrolment_end, enrolment_start, time_entry_create
from monitoring.tests.support import D, patient_on_plan

pytestmark = pytest.mark.django_db
TODAY = D(2026, 6, 1)


@pytest.fixture
def ada(world):
    return patient_on_plan(world.clinic_a, world.therapist_a, start=D(2026, 1, 1))


def refusal(call) -> str:
    with pytest.raises(ValidationError) as error:
        call()
    return " ".join(error.value.messages)


def test_enrolment_refusals_in_german_and_spanish(world, ada):
    patient, _plan = ada
    enrolment_start(patient=patient, setup_date=D(2026, 2, 1), enrolled_by=world.therapist_a, today=TODAY)
    again = lambda: enrolment_start(patient=patient, setup_date=D(2026, 3, 1),  # noqa: E731
                                    enrolled_by=world.therapist_a, today=TODAY)
    with translation.override("de"):
        assert refusal(again) == ("Die Fernüberwachung läuft bereits seit 2026-02-01: Ein neuer Zeitraum beginnt "
                                  "erst, wenn sie endet.")
    with translation.override("es"):
        assert "ya está activa desde el 2026-02-01" in refusal(again)
    with translation.override("en"):
        assert "already runs from 2026-02-01" in refusal(again)


def test_the_count_of_later_entries_is_a_plural_in_every_language(world, ada):
    patient, _plan = ada
    episode = enrolment_start(patient=patient, setup_date=D(2026, 2, 1), enrolled_by=world.therapist_a, today=TODAY)
    for day in (D(2026, 3, 5), D(2026, 3, 6)):
        time_entry_create(patient=patient, author=world.therapist_a, date=day, minutes=5, activity="Call",
                          interactive=True, today=TODAY)
    end = lambda: enrolment_end(episode=episode, last_day=D(2026, 3, 1),  # noqa: E731
                                ended_by=world.therapist_a, today=TODAY)
    with translation.override("de"):
        assert refusal(end).startswith("2 Einträge Betreuungszeit sind nach diesem Tag datiert")
    with translation.override("es"):
        assert refusal(end).startswith("2 entradas de tiempo de gestión tienen fecha posterior")


def test_the_timers_entry_text_reads_in_the_readers_language_until_edited():
    with translation.override("de"):
        assert builtin_text(TIMER_ACTIVITY) == "Daten und Plan des Patienten durchgesehen (Timer)."
        assert builtin_text(TIMER_ACTIVITY + " Call.") == TIMER_ACTIVITY + " Call."
