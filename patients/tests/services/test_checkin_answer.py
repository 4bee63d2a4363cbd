"""checkin_answer: the phone's morning answer is saved, recognised as a replay, or held for confirmation."""

from __future__ import annotations

import uuid

import pytest
from django.core.exceptions import ValidationError

from patients.models import MorningCheckIn
from patients.services import CheckInNeedsConfirmation, CheckInOutcome, checkin_answer, clinic_today

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


def answer(patient, pain, key=None, *, confirmed=False):
    today = clinic_today(patient.clinic)
    return checkin_answer(patient=patient, date=today, today=today, pain=pain, client_uuid=key or uuid.uuid4(),
                          confirmed=confirmed)


def test_a_first_answer_is_saved(world):
    key = uuid.uuid4()
    saved = answer(world.patient_a1, 3, key)
    assert saved.outcome is CheckInOutcome.SAVED
    assert (saved.checkin.pain, saved.checkin.client_uuid) == (3, key)
    assert MorningCheckIn.objects.get(patient=world.patient_a1).pain == 3


def test_the_same_answer_sent_again_is_a_replay_and_never_asks_to_confirm(world):
    key = uuid.uuid4()
    first = answer(world.patient_a1, 3, key)
    # The outbox resends the entry; whatever it carries, the saved answer stands and no confirmation is asked.
    again = answer(world.patient_a1, 6, key)
    assert again.outcome is CheckInOutcome.REPLAYED and again.checkin.pk == first.checkin.pk
    assert MorningCheckIn.objects.get(patient=world.patient_a1).pain == 3


def test_a_different_second_answer_needs_confirming(world):
    first = answer(world.patient_a1, 3)
    with pytest.raises(CheckInNeedsConfirmation) as unconfirmed:
        answer(world.patient_a1, 7)
    assert isinstance(unconfirmed.value, ValidationError) and "pain" in unconfirmed.value.message_dict
    assert unconfirmed.value.existing.pk == first.checkin.pk and unconfirmed.value.existing.pain == 3
    assert MorningCheckIn.objects.get(patient=world.patient_a1).pain == 3  # nothing replaced yet


def test_a_confirmed_second_answer_replaces_the_first(world):
    first = answer(world.patient_a1, 3)
    confirmed = answer(world.patient_a1, 7, confirmed=True)
    assert confirmed.outcome is CheckInOutcome.SAVED and confirmed.checkin.pk == first.checkin.pk
    assert MorningCheckIn.objects.get(patient=world.patient_a1).pain == 7


def test_the_same_pain_again_is_saved_without_asking(world):
    answer(world.patient_a1, 3)
    assert answer(world.patient_a1, 3).outcome is CheckInOutcome.SAVED
    assert MorningCheckIn.objects.filter(patient=world.patient_a1).count() == 1
