"""Shared set-up of the outcomes tests: questionnaires on world's plans, answered through the real services."""

import datetime as dt

import pytest

from clinic.clock import clinic_today
from outcomes import answering
from outcomes.plan_questionnaires import plan_questionnaire_add


@pytest.fixture
def ask(world):
    """Put a questionnaire on a world plan (patient A1's by default), due at its start and every week."""

    def ask(instrument_id: str, *, assignment=None, **rule):
        rule = {"at_start": True, "every_weeks": 1, **rule}
        return plan_questionnaire_add(assignment=assignment or world.assignment_a1, instrument_id=instrument_id,
                                      user=world.therapist_a, **rule)

    return ask


@pytest.fixture
def submit(world):
    """Submit answers for a patient's occasion due on `day` (today by default)."""

    def submit(instrument_id: str, answers: dict, *, patient=None, day: dt.date | None = None, activities=None):
        patient = patient or world.patient_a1
        return answering.response_submit(patient=patient, instrument_id=instrument_id,
                                         today=day or clinic_today(patient.clinic), answers=answers,
                                         activities=activities)

    return submit
