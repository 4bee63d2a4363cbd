"""Safety wins races on PostgreSQL (issue 13, point 4): a check and an approval of one exercise, interleaved.

Two threads, each with its own database connection. The first to take the
plan's locks is held inside them (a test-only pause in the engine-input read)
while the second starts and must wait; then the first is released. Both
orders are run:

- check, then approve: the check of a red session regresses; the approval
  then finds its suggestion gone and changes nothing;
- approve, then check: the approval re-runs the check, which sees the red
  session, regresses and refuses the approval; the waiting check then finds
  the regression already decided and does nothing more.

Either way: one step down, no step up, one urgent red-pain flag, and no
deadlock (approvals used to lock the flag before the exercise, checks the
other way round). The same logic without a second connection is in
patients/tests/services/test_checks_rules_v1_1.py. Names and pain scores are never printed.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from patients import selectors
from patients.models import Flag, StepVersion
from patients.services import ApprovalRefused, assignments_check, clinic_today, flag_approve, step_change
from tests.factories import MorningCheckInFactory, SessionLogFactory
from tests.integration.test_checks_worker import on_postgres  # noqa: F401 (fixture)

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_celery")]
HOLD_S = 1.0


def walk(assignment):
    return assignment.exercises.get(phase__order=0, order=0)


def suggestion_then_red_session(world):
    """Patient A1 at step 1, two comfortable sessions (suggestion: step 2), then a red session not yet checked."""
    today = clinic_today(world.clinic_a)
    exercise = walk(world.assignment_a1)
    step_change(exercise=exercise, step=1, effective_date=today - dt.timedelta(days=10), source="therapist",
                reason="Set up")
    for days_ago, morning in ((3, 1), (1, 2)):
        SessionLogFactory(exercise=exercise, date=today - dt.timedelta(days=days_ago), step=1, pain_during=2)
        MorningCheckInFactory(patient=world.patient_a1, date=today - dt.timedelta(days=days_ago - 1), pain=morning)
    assignments_check(assignment_ids=[world.assignment_a1.pk], today=today)
    suggestion = Flag.objects.get(exercise=exercise, kind="progression", status="open")
    assert suggestion.suggested_step == 2
    SessionLogFactory(exercise=exercise, date=today, step=1, pain_during=7, pain_after=3)
    return today, exercise, suggestion


class Held:
    """Pause the thread named `name` inside the plan's locks (at its engine-input read) until released."""

    def __init__(self, monkeypatch, name: str):
        self.name = name
        self.inside = threading.Event()
        self.release = threading.Event()
        real = selectors.engine_inputs

        def engine_inputs(**kwargs):
            if threading.current_thread().name == self.name and not self.inside.is_set():
                self.inside.set()
                assert self.release.wait(30), "never released"
            return real(**kwargs)

        monkeypatch.setattr(selectors, "engine_inputs", engine_inputs)


def run_in_thread(name: str, work, results: dict) -> threading.Thread:
    def target():
        try:
            results[name] = work()
        except Exception as error:  # kept for the assertions below
            results[name] = error
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=target, name=name, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("first", ["check", "approve"])
def test_a_check_and_an_approval_interleaved_step_down_once_and_never_up(world, on_postgres, monkeypatch, first):
    today, exercise, suggestion = suggestion_then_red_session(world)
    jobs = {
        "check": lambda: assignments_check(assignment_ids=[world.assignment_a1.pk], today=today),
        "approve": lambda: flag_approve(flag=suggestion, user=world.therapist_a, today=today),
    }
    second = "approve" if first == "check" else "check"
    held = Held(monkeypatch, first)
    results: dict = {}
    first_thread = run_in_thread(first, jobs[first], results)
    assert held.inside.wait(30), f"the {first} never took the locks"
    second_thread = run_in_thread(second, jobs[second], results)
    time.sleep(HOLD_S)
    assert second_thread.is_alive() and second not in results, f"the {second} did not wait for the {first}"
    held.release.set()
    first_thread.join(60)
    second_thread.join(60)
    assert not first_thread.is_alive() and not second_thread.is_alive()

    approval = results["approve"]
    assert isinstance(approval, ValidationError), f"the approval went through: {approval!r}"
    if first == "approve":
        assert isinstance(approval, ApprovalRefused) and "no longer suggests moving up" in str(approval)
    else:  # the check had already cleared the suggestion
        assert "already resolved" in str(approval)
    check_outcomes = results["check"]
    assert not isinstance(check_outcomes, Exception), repr(check_outcomes)  # no deadlock, no error
    exercise.refresh_from_db()
    assert exercise.current_step == 0
    engine_steps = StepVersion.objects.filter(exercise=exercise, source="engine")
    assert list(engine_steps.values_list("step", "rules")) == [(0, ["R1"])]
    assert not StepVersion.objects.filter(exercise=exercise, step=2).exists()
    assert Flag.objects.get(exercise=exercise, kind="pain_red").severity == "urgent"
    suggestion.refresh_from_db()
    assert suggestion.status == "resolved" and suggestion.resolution_note != "Approved."


def test_an_approval_on_good_evidence_waits_for_a_running_check_and_then_steps_up(world, on_postgres, monkeypatch):
    """The control: with no red session the approval, held behind a running check, still goes through."""
    today = clinic_today(world.clinic_a)
    exercise = walk(world.assignment_a1)
    step_change(exercise=exercise, step=1, effective_date=today - dt.timedelta(days=10), source="therapist",
                reason="Set up")
    for days_ago, morning in ((3, 1), (1, 2)):
        SessionLogFactory(exercise=exercise, date=today - dt.timedelta(days=days_ago), step=1, pain_during=2)
        MorningCheckInFactory(patient=world.patient_a1, date=today - dt.timedelta(days=days_ago - 1), pain=morning)
    assignments_check(assignment_ids=[world.assignment_a1.pk], today=today)
    suggestion = Flag.objects.get(exercise=exercise, kind="progression", status="open")
    held = Held(monkeypatch, "check")
    results: dict = {}
    check = run_in_thread("check", lambda: assignments_check(assignment_ids=[world.assignment_a1.pk], today=today),
                          results)
    assert held.inside.wait(30)
    approve = run_in_thread("approve", lambda: flag_approve(flag=suggestion, user=world.therapist_a, today=today),
                            results)
    time.sleep(HOLD_S)
    assert approve.is_alive()
    held.release.set()
    check.join(60)
    approve.join(60)
    assert isinstance(results["approve"], StepVersion), repr(results["approve"])
    exercise.refresh_from_db()
    assert exercise.current_step == 2
