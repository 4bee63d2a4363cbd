"""Selectors: which questionnaires a patient should answer on a day, and the plan's questionnaire panel.

Reads only; the rules are the pure `outcomes.schedule`. A fixed number of
queries whatever the number of questionnaires (the plan, its rules, its phase
changes and phases, the patient's responses).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Sum

from outcomes import instruments
from outcomes.models import AssignmentQuestionnaire, QuestionnaireResponse
from outcomes.schedule import PlanDates, Rule, due_occasion, occasions
from patients.models import AssignedPhase, Assignment, Patient, PhaseVersion


@dataclass(frozen=True)
class Due:
    """A questionnaire the patient should answer now, for the occasion `due_date`."""

    instrument_id: str
    title: str
    due_date: dt.date
    instrument: object
    answered: int  # items already answered in a saved draft
    items: int


def plan_dates(assignment: Assignment) -> PlanDates:
    """The plan's start, its phase changes and its end (the date it ended, else the phases' expected weeks)."""
    changes = tuple(PhaseVersion.objects.filter(assignment=assignment).exclude(source="initial")
                    .order_by("effective_date").values_list("effective_date", flat=True))
    end = assignment.end_date
    if end is None:
        weeks = AssignedPhase.objects.filter(assignment=assignment).aggregate(w=Sum("expected_weeks"))["w"]
        end = assignment.start_date + dt.timedelta(weeks=weeks) if weeks else None
    return PlanDates(start=assignment.start_date, phase_changes=changes, end=end, ended_on=assignment.end_date)


def rule_of(row: AssignmentQuestionnaire) -> Rule:
    return Rule(instrument_id=row.instrument_id, at_start=row.at_start, every_weeks=row.every_weeks,
                at_phase_change=row.at_phase_change, at_end=row.at_end)


def active_assignment(patient: Patient) -> Assignment | None:
    return Assignment.objects.filter(patient=patient, status=Assignment.Status.ACTIVE).first()


def due_questionnaires(*, patient: Patient, today: dt.date, assignment: Assignment | None = None) -> list[Due]:
    """The questionnaires `patient` should answer today on the running plan, skipped ones left out.

    `assignment`: the running plan when the caller has it (one query fewer).
    """
    assignment = assignment or active_assignment(patient)
    if assignment is None:
        return []
    rows = list(AssignmentQuestionnaire.objects.filter(assignment=assignment, skipped=False))
    if not rows:
        return []
    dates = plan_dates(assignment)
    answered: dict[str, set[dt.date]] = defaultdict(set)
    drafts: dict[tuple[str, dt.date], int] = {}
    for response in QuestionnaireResponse.objects.filter(patient=patient, instrument_id__in=[r.instrument_id
                                                                                             for r in rows]):
        if response.status == QuestionnaireResponse.Status.SUBMITTED:
            answered[response.instrument_id].add(response.due_date)
        else:
            drafts[(response.instrument_id, response.due_date)] = len(response.answers)
    found = []
    for row in rows:
        occasion = due_occasion(rule_of(row), dates, today=today, answered=answered[row.instrument_id])
        instrument = _instrument_or_none(row.instrument_id)
        if occasion is None or instrument is None:
            continue
        found.append(Due(instrument_id=row.instrument_id, title=instrument.title, due_date=occasion,
                         instrument=instrument,
                         answered=drafts.get((row.instrument_id, occasion), 0), items=len(instrument.items)))
    return found


def due_for(*, patient: Patient, instrument_id: str, today: dt.date) -> Due | None:
    """The one due occasion of `instrument_id` for `patient` today, or None when it is not due."""
    return next((d for d in due_questionnaires(patient=patient, today=today) if d.instrument_id == instrument_id),
                None)


def _instrument_or_none(instrument_id: str):
    try:
        return instruments.get(instrument_id)
    except instruments.UnknownInstrument:
        return None


@dataclass(frozen=True)
class PanelRow:
    row: AssignmentQuestionnaire
    title: str
    next_due: dt.date | None


def plan_questionnaire_panel(*, assignment: Assignment | None, today: dt.date) -> list[PanelRow]:
    """The plan's questionnaires for the patient page: each with its title and the occasion due now (if any)."""
    if assignment is None:
        return []
    rows = list(AssignmentQuestionnaire.objects.filter(assignment=assignment))
    if not rows:
        return []
    dates = plan_dates(assignment)
    answered: dict[str, set[dt.date]] = defaultdict(set)
    for instrument_id, due_date in QuestionnaireResponse.objects.filter(
            patient_id=assignment.patient_id, status=QuestionnaireResponse.Status.SUBMITTED,
    ).values_list("instrument_id", "due_date"):
        answered[instrument_id].add(due_date)
    panel = []
    for row in rows:
        instrument = _instrument_or_none(row.instrument_id)
        due = None if row.skipped else due_occasion(rule_of(row), dates, today=today,
                                                    answered=answered[row.instrument_id])
        panel.append(PanelRow(row=row, title=instrument.title if instrument else row.instrument_id, next_due=due))
    return panel


@dataclass(frozen=True)
class Occasion:
    assignment_id: int
    due_date: dt.date


def current_occasion(*, patient: Patient, instrument_id: str, today: dt.date) -> Occasion | None:
    """The latest occasion on or before today of `instrument_id` on the running plan, answered or not.

    The draft and the submit both write to this occasion's one response, so a
    second submit finds the first.
    """
    assignment = active_assignment(patient)
    if assignment is None:
        return None
    row = AssignmentQuestionnaire.objects.filter(assignment=assignment, instrument_id=instrument_id,
                                                 skipped=False).first()
    if row is None:
        return None
    found = occasions(rule_of(row), plan_dates(assignment), through=today)
    return Occasion(assignment_id=assignment.pk, due_date=found[-1]) if found else None
