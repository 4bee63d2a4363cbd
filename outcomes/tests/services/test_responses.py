"""Answering a questionnaire (outcomes.answering): one answer at a time into a draft, a once-only submit that
stores every scale's score with the instrument version, PSFS activities, and the outcome flags."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from clinic.clock import clinic_today
from outcomes import answering
from outcomes.due import due_questionnaires
from outcomes.models import QuestionnaireResponse
from patients.models import Flag
from patients.services import assignments_check

pytestmark = pytest.mark.django_db


def test_answers_saved_one_at_a_time_then_submitted_once_with_scores_and_version(world, ask):
    ask("knee-pain-weekly")
    today = clinic_today(world.clinic_a)
    answering.response_answer_save(patient=world.patient_a1, instrument_id="knee-pain-weekly", item_id="worst",
                                   value=6, today=today)
    draft = QuestionnaireResponse.objects.get()
    assert draft.status == "draft" and draft.answers == {"worst": 6}
    assert due_questionnaires(patient=world.patient_a1, today=today)[0].answered == 1
    response, new = answering.response_submit(patient=world.patient_a1, instrument_id="knee-pain-weekly",
                                              today=today, answers={"average": 4})
    assert new and response.pk == draft.pk
    assert response.status == "submitted" and response.answers == {"worst": 6, "average": 4}
    assert response.instrument_version == "1" and response.primary_score == Decimal("4")
    assert [s["scale"] for s in response.scores["scales"]] == ["worst", "average"]
    assert response.scores["scales"][0]["value"] == "6.0"
    # A second submit (double tap, replay) changes nothing and makes no second response.
    again, new = answering.response_submit(patient=world.patient_a1, instrument_id="knee-pain-weekly", today=today,
                                           answers={"average": 9})
    assert not new and again.pk == response.pk and QuestionnaireResponse.objects.count() == 1
    again.refresh_from_db()
    assert again.primary_score == Decimal("4")
    assert due_questionnaires(patient=world.patient_a1, today=today) == []


def test_bad_answers_and_questionnaires_not_due_are_refused(world, ask):
    today = clinic_today(world.clinic_a)
    with pytest.raises(ValidationError, match="not due"):
        answering.response_answer_save(patient=world.patient_a1, instrument_id="sane", item_id="SANE", value=50,
                                       today=today)
    with pytest.raises(ValidationError, match="no questionnaire"):
        answering.response_submit(patient=world.patient_a1, instrument_id="nope", today=today, answers={})
    ask("sane")
    with pytest.raises(ValidationError, match="not an answer"):
        answering.response_answer_save(patient=world.patient_a1, instrument_id="sane", item_id="SANE", value=101,
                                       today=today)
    with pytest.raises(ValidationError, match="no question"):
        answering.response_answer_save(patient=world.patient_a1, instrument_id="sane", item_id="X", value=1,
                                       today=today)
    with pytest.raises(ValidationError, match="at least one"):
        answering.response_submit(patient=world.patient_a1, instrument_id="sane", today=today, answers={})
    # Another patient's plan does not have it.
    with pytest.raises(ValidationError, match="not due"):
        answering.response_submit(patient=world.patient_a2, instrument_id="sane", today=today, answers={"SANE": 5})


def test_psfs_names_activities_first_and_asks_the_same_ones_later(world, ask, submit):
    ask("psfs")
    start = world.assignment_a1.start_date
    with pytest.raises(ValidationError, match="at least one activity"):
        submit("psfs", {"A1": 3}, day=start, activities=["  "])
    with pytest.raises(ValidationError, match="Name your activities"):
        submit("psfs", {"A1": 3}, day=start)
    first, _new = submit("psfs", {"A1": 2, "A2": 4}, day=start, activities=["Stairs down", "Squatting"])
    assert first.activities == ["Stairs down", "Squatting"] and first.primary_score == Decimal("3")
    with pytest.raises(ValidationError, match="Name your activities"):
        submit("psfs", {"A3": 3}, day=start + dt.timedelta(days=7))
    later, _new = submit("psfs", {"A1": 6, "A2": 8}, day=start + dt.timedelta(days=7), activities=["Other"])
    assert later.activities == ["Stairs down", "Squatting"] and later.primary_score == Decimal("7")


def test_change_beyond_the_threshold_opens_one_outcome_flag_the_checks_leave_alone(world, ask, submit):
    ask("sane")
    start = world.assignment_a1.start_date
    submit("sane", {"SANE": 40}, day=start)
    assert not Flag.objects.filter(kind__startswith="outcome").exists()
    submit("sane", {"SANE": 45}, day=start + dt.timedelta(days=7))
    assert not Flag.objects.filter(kind__startswith="outcome").exists()  # +5 < 10
    submit("sane", {"SANE": 60}, day=start + dt.timedelta(days=14))
    flag = Flag.objects.get(kind="outcome_improved")
    assert flag.severity == "info" and flag.patient == world.patient_a1
    assert flag.evidence["change"] == "20.0" and flag.evidence["instrument_id"] == "sane"
    assert "40.0" in flag.reasons[0] and "60.0" in flag.reasons[0]
    assignments_check(assignment_ids=[world.assignment_a1.pk])
    flag.refresh_from_db()
    assert flag.status == "open"  # the progression checks never resolve an outcome flag
    submit("sane", {"SANE": 25}, day=start + dt.timedelta(days=21))
    worse = Flag.objects.get(kind="outcome_worse")
    assert worse.severity == "warning" and worse.evidence["change"] == "-15.0"


def test_groc_judges_the_rating_itself(world, ask, submit):
    ask("groc")
    submit("groc", {"GROC": -4}, day=world.assignment_a1.start_date)
    assert Flag.objects.get(kind="outcome_worse").evidence["change"] is None
