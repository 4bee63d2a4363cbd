"""A plan's questionnaires (outcomes.plan_questionnaires): copied from the protocol on assignment, added or
skipped by the therapist; and what is due for the patient (outcomes.due)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from clinic.clock import clinic_today
from outcomes.due import due_questionnaires, plan_questionnaire_panel
from outcomes.models import AssignmentQuestionnaire
from outcomes.plan_questionnaires import plan_questionnaire_skip, protocol_questionnaire_set
from patients.models import AssignedPhase
from patients.services import assignment_create, assignment_end, phase_change
from tests.factories import PatientFactory, make_protocol

pytestmark = pytest.mark.django_db


def test_an_assignment_copies_its_protocols_questionnaires(world):
    protocol = make_protocol(clinic=world.clinic_a)
    protocol_questionnaire_set(protocol=protocol, instrument_id="sane", every_weeks=2)
    protocol_questionnaire_set(protocol=protocol, instrument_id="groc", at_start=False, at_end=True)
    patient = PatientFactory(clinic=world.clinic_a, therapist=world.therapist_a)
    assignment = assignment_create(patient=patient, protocol=protocol, start_date=clinic_today(world.clinic_a),
                                   baseline_pain=2)
    rows = {r.instrument_id: r for r in AssignmentQuestionnaire.objects.filter(assignment=assignment)}
    assert set(rows) == {"sane", "groc"}
    assert rows["sane"].every_weeks == 2 and rows["sane"].source == "protocol"
    assert rows["groc"].at_end and not rows["groc"].at_start
    # Later edits of the protocol do not change the running plan.
    protocol_questionnaire_set(protocol=protocol, instrument_id="sane", every_weeks=4)
    assert AssignmentQuestionnaire.objects.get(assignment=assignment, instrument_id="sane").every_weeks == 2


def test_protocol_schedule_refuses_unknown_instruments_and_rules_that_never_ask(world):
    protocol = make_protocol(clinic=world.clinic_a)
    with pytest.raises(ValidationError, match="no questionnaire"):
        protocol_questionnaire_set(protocol=protocol, instrument_id="nope")
    with pytest.raises(ValidationError, match="Choose when"):
        protocol_questionnaire_set(protocol=protocol, instrument_id="sane", at_start=False)


def test_the_therapist_adds_and_skips_and_due_follows(world, ask):
    today = clinic_today(world.clinic_a)
    assert due_questionnaires(patient=world.patient_a1, today=today) == []
    row = ask("sane", every_weeks=None)
    due = due_questionnaires(patient=world.patient_a1, today=today)
    assert [(d.instrument_id, d.due_date) for d in due] == [("sane", world.assignment_a1.start_date)]
    plan_questionnaire_skip(row=row, user=world.therapist_a)
    assert due_questionnaires(patient=world.patient_a1, today=today) == []
    panel = plan_questionnaire_panel(assignment=world.assignment_a1, today=today)
    assert [(p.row.skipped, p.next_due) for p in panel] == [(True, None)]
    ask("sane", every_weeks=None)  # adding it again asks it again
    assert len(due_questionnaires(patient=world.patient_a1, today=today)) == 1
    assert due_questionnaires(patient=world.patient_a2, today=today) == []


def test_a_phase_change_makes_a_phase_questionnaire_due(world, ask):
    today = clinic_today(world.clinic_a)
    ask("groc", at_start=False, every_weeks=None, at_phase_change=True)
    assert due_questionnaires(patient=world.patient_a1, today=today) == []
    second = AssignedPhase.objects.create(assignment=world.assignment_a1, order=1, name="Loading")
    phase_change(assignment=world.assignment_a1, phase=second, effective_date=today, changed_by=world.therapist_a,
                 source="therapist", reason="Criteria met.", go_ahead=True)
    assert [d.due_date for d in due_questionnaires(patient=world.patient_a1, today=today)] == [today]


def test_ended_plans_take_no_new_questionnaire(world, ask):
    assignment_end(assignment=world.assignment_a1, end_date=clinic_today(world.clinic_a))
    with pytest.raises(ValidationError, match="ended"):
        ask("sane")
    assert due_questionnaires(patient=world.patient_a1, today=clinic_today(world.clinic_a) + dt.timedelta(1)) == []


def test_a_cloned_protocol_asks_the_same_questionnaires(world):
    from outcomes.models import ProtocolQuestionnaire
    from protocols.services import protocol_clone

    protocol = make_protocol(clinic=world.clinic_a)
    protocol_questionnaire_set(protocol=protocol, instrument_id="sane", every_weeks=3, at_end=True)
    clone = protocol_clone(protocol=protocol, clinic=world.clinic_b)
    assert list(ProtocolQuestionnaire.objects.filter(protocol=clone).values_list(
        "instrument_id", "every_weeks", "at_end")) == [("sane", 3, True)]
