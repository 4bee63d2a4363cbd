"""Remote monitoring counts a day with a submitted questionnaire as a day with data (monitoring.selectors)."""

import datetime as dt

import pytest

from monitoring.selectors import data_days
from outcomes import answering
from patients.models import Patient

pytestmark = pytest.mark.django_db


def test_a_submitted_questionnaire_is_a_day_with_data_a_draft_is_not(world, ask, submit):
    ask("sane", every_weeks=1)
    start = world.assignment_a1.start_date
    ids = Patient.objects.filter(pk=world.patient_a1.pk).values("pk")
    before = data_days(ids, start, start + dt.timedelta(days=20)).get(world.patient_a1.pk, set())
    submit("sane", {"SANE": 50}, day=start + dt.timedelta(days=7))
    answering.response_answer_save(patient=world.patient_a1, instrument_id="sane", item_id="SANE", value=60,
                                   today=start + dt.timedelta(days=14))
    after = data_days(ids, start, start + dt.timedelta(days=20))[world.patient_a1.pk]
    assert after - before == {start + dt.timedelta(days=7)}
