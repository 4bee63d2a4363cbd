"""Helpers shared by the patients app's tests of checks, flags and pages: a session on the walk, a check, a level.

Plans come from the `world` fixture (conftest.py): started three weeks ago, the walk at level 1 of 3.
"""

import datetime as dt

from patients.services import assignments_check, step_change
from tests.api.support import walk
from tests.factories import MorningCheckInFactory, SessionLogFactory

TODAY = dt.date.today()

__all__ = ["TODAY", "check", "session", "step_to", "walk"]


def session(world, days_ago, *, step=0, pain=2, morning=None, completed=True, patient="a1"):
    assignment = getattr(world, f"assignment_{patient}")
    exercise = walk(assignment)
    day = TODAY - dt.timedelta(days=days_ago)
    row = SessionLogFactory(exercise=exercise, date=day, step=step, pain_during=pain, pain_after=min(pain, 2),
                            completed=completed)
    if morning is not None:
        MorningCheckInFactory(patient=assignment.patient, date=day + dt.timedelta(days=1), pain=morning)
    return row


def check(world, patient="a1"):
    return assignments_check(assignment_ids=[getattr(world, f"assignment_{patient}").pk], today=TODAY)


def step_to(world, step, days_ago=10):
    step_change(exercise=walk(world.assignment_a1), step=step, effective_date=TODAY - dt.timedelta(days=days_ago),
                source="therapist", reason="Set up for the test")
