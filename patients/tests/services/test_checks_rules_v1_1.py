"""The checks under rules v1.1 (issue 13): F1 on the plan's training days, and safety winning every race.

- F1 counts the plan's training days (any exercise, any phase), and the
  patient list shows the flag's own figure.
- A regression applies once per piece of evidence, even when a progression
  was approved after that evidence was logged; approving re-runs the check.
- A session on an exercise of an earlier phase is saved (API and web outbox)
  and still raises an urgent red-pain flag.

The same races between two database connections are in
tests/integration/test_check_races.py (PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from patients.models import Flag, ProgressionCheck, SessionLog, StepVersion
from patients.selectors import engine_inputs
from patients.services import (
    ENGINE_CLEARED_NOTE,
    ApprovalRefused,
    assignment_create,
    assignments_check,
    flag_approve,
    measurement_record,
    phase_change,
    step_change,
)
from protocols.models import LadderStep, Phase, PrescribedExercise
from protocols.wording import format_date
from tests.factories import MorningCheckInFactory, PatientFactory, SessionLogFactory, UserFactory, make_protocol

# Tasks enqueued on commit run in-process here, even where CI sets REDIS_URL.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]
TODAY = dt.date.today()


def ago(days: int) -> dt.date:
    return TODAY - dt.timedelta(days=days)


def walk(assignment, phase: int = 0):
    return assignment.exercises.get(phase__order=phase, order=0)


def log(exercise, days_ago: int, *, step: int = 0, pain: int = 2, morning: int | None = None):
    """A session row as the phone saved it, without running its check (as when the check is still queued)."""
    row = SessionLogFactory(exercise=exercise, date=ago(days_ago), step=step, pain_during=pain,
                            pain_after=min(pain, 2))
    if morning is not None:
        MorningCheckInFactory(patient=exercise.assignment.patient, date=ago(days_ago - 1), pain=morning)
    return row


def check(assignment):
    return {o.exercise_id: o for o in assignments_check(assignment_ids=[assignment.pk], today=TODAY)}


def two_phase_protocol():
    """make_protocol's phase, then a second phase with its own retro walk and ladder."""
    protocol = make_protocol()
    first = PrescribedExercise.objects.get(phase__protocol=protocol, phase__order=0, order=0)
    phase = Phase.objects.create(protocol=protocol, order=1, name="Build", expected_weeks=3)
    walk_ = PrescribedExercise.objects.create(phase=phase, template=first.template, order=0, frequency_per_week=3)
    for order, (speed, incline, duration) in enumerate(((2.5, 2.5, 15), (2.5, 5, 15), (3.0, 5, 15))):
        LadderStep.objects.create(exercise=walk_, order=order, speed_kmh=Decimal(str(speed)),
                                  incline_pct=Decimal(str(incline)), duration_min=duration)
    return protocol


@pytest.fixture
def plan(world):
    """A patient with a login in clinic A, on a two-phase plan started 28 days ago, in its first phase."""
    patient = PatientFactory(clinic=world.clinic_a, therapist=world.therapist_a, first_name="Pia", last_name="Quist",
                             user=UserFactory(email="pia@a.test"))
    return assignment_create(patient=patient, protocol=two_phase_protocol(), start_date=ago(28), baseline_pain=2)


def to_second_phase(assignment, days_ago: int = 3):
    phase_change(assignment=assignment, phase=assignment.phases.get(order=1), effective_date=ago(days_ago),
                 source="therapist", reason="First ladder done.")


# ---------------------------------------------------------------------------
# F1: the plan's training days, one figure on the list and in the flag
# ---------------------------------------------------------------------------


def test_training_in_an_earlier_phase_counts_for_adherence_after_a_phase_change(plan):
    first, second = walk(plan, 0), walk(plan, 1)
    for days_ago in (12, 10, 8, 6, 4):
        log(first, days_ago)
    to_second_phase(plan)
    log(second, 1)
    log(second, 1)  # a second session the same day is the same training day
    (checked,) = engine_inputs(exercises=[second], today=TODAY)
    assert checked.engine_input["training_days"] == [ago(d).isoformat() for d in (12, 10, 8, 6, 4, 1)]
    assert checked.engine_input["frequency_per_week"] == plan.sessions_per_week
    outcome = check(plan)[second.pk]
    assert "F1" not in outcome.decision["rules"]
    assert not Flag.objects.filter(patient=plan.patient, kind="low_adherence").exists()


FIGURE = re.compile(r"Trained on (\d+) of the last 14 days; the plan asks for (\d+) \((\d+) %\)\.")


@pytest.mark.parametrize("days_ago", [(1,), (13, 12, 11), (6, 6, 5), (0,)], ids=str)
def test_the_patient_list_shows_the_figure_of_the_low_adherence_flag(client, world, plan, days_ago):
    for days in days_ago:
        log(walk(plan), days)
    check(plan)
    reason = Flag.objects.get(patient=plan.patient, kind="low_adherence").reasons[0]
    trained, planned, percent = FIGURE.fullmatch(reason).groups()
    assert int(trained) == len(set(days_ago)) and int(planned) == 2 * plan.sessions_per_week
    client.force_login(world.therapist_a)
    page = client.get(reverse("patients:list")).content.decode()
    row = page[page.index("Pia Quist"):]
    row = row[:row.index("</tr>")]
    assert f">{percent} %</span>" in row
    assert f"{trained} of {planned} days" in row


# ---------------------------------------------------------------------------
# Safety wins races: regressions once per piece of evidence, approvals re-checked
# ---------------------------------------------------------------------------


def suggestion_at_step_one(world, patient: str = "a1"):
    """The patient at step 1 with two comfortable sessions: the check suggests step 2."""
    assignment = getattr(world, f"assignment_{patient}")
    exercise = walk(assignment)
    step_change(exercise=exercise, step=1, effective_date=ago(10), source="therapist", reason="Set up")
    log(exercise, 3, step=1, morning=1)
    log(exercise, 1, step=1, morning=2)
    check(assignment)
    return Flag.objects.get(exercise=exercise, kind="progression", status="open")


def test_approving_re_runs_the_check_and_is_refused_after_a_red_session(world):
    suggestion = suggestion_at_step_one(world)
    assert suggestion.suggested_step == 2
    exercise = walk(world.assignment_a1)
    log(exercise, 0, step=1, pain=7)  # logged; its check is still waiting in the queue
    with pytest.raises(ApprovalRefused) as refused:
        flag_approve(flag=suggestion, user=world.therapist_a, today=TODAY)
    message = " ".join(refused.value.messages)
    assert "no longer suggests moving up" in message and "7/10" in message
    exercise.refresh_from_db()
    assert exercise.current_step == 0  # the regression applied, not the progression
    latest = StepVersion.objects.filter(exercise=exercise).latest()
    assert (latest.source, latest.rules, latest.step) == ("engine", ["R1"], 0)
    assert Flag.objects.get(exercise=exercise, kind="pain_red", status="open").severity == "urgent"
    suggestion.refresh_from_db()
    assert suggestion.status == "resolved" and suggestion.resolution_note == ENGINE_CLEARED_NOTE.format(
        date=format_date(TODAY))
    # The queued check then runs: nothing more to do.
    outcome = check(world.assignment_a1)[exercise.pk]
    assert outcome.applied == "" and walk(world.assignment_a1).current_step == 0


def test_approving_on_the_latest_evidence_still_steps_up(world):
    suggestion = suggestion_at_step_one(world)
    version = flag_approve(flag=suggestion, user=world.therapist_a, today=TODAY)
    assert (version.step, version.source, version.changed_by) == (2, "therapist", world.therapist_a)
    suggestion.refresh_from_db()
    assert (suggestion.status, suggestion.resolution_note) == ("resolved", "Approved.")


def test_a_regression_applies_even_when_a_progression_was_approved_after_its_evidence(world):
    exercise = walk(world.assignment_a1)
    step_change(exercise=exercise, step=1, effective_date=ago(10), source="therapist", reason="Set up")
    log(exercise, 0, step=1, pain=7)
    # An approval that committed after the red session was saved and before its check ran.
    step_change(exercise=exercise, step=2, effective_date=TODAY, source="therapist", changed_by=world.therapist_a,
                rules=["R11"], reason="Approved the suggested progression.")
    outcome = check(world.assignment_a1)[exercise.pk]
    assert outcome.decision["rules"][0] == "R1" and outcome.applied == "regressed"
    assert walk(world.assignment_a1).current_step == 1
    again = check(world.assignment_a1)[exercise.pk]
    assert again.applied == "" and walk(world.assignment_a1).current_step == 1


def test_a_regression_is_decided_once_per_piece_of_evidence(world):
    exercise = walk(world.assignment_a1)
    step_change(exercise=exercise, step=2, effective_date=ago(10), source="therapist", reason="Set up")
    log(exercise, 1, step=2, pain=7)
    assert check(world.assignment_a1)[exercise.pk].applied == "regressed"
    # The next morning's answer and a measurement are new entries, but not new red pain.
    MorningCheckInFactory(patient=world.patient_a1, date=TODAY, pain=2)
    measurement_record(patient=world.patient_a1, date=TODAY, recorded_by=world.therapist_a, effusion="0")
    outcome = check(world.assignment_a1)[exercise.pk]
    assert outcome.decision["rules"][0] == "R1" and outcome.applied == ""
    assert walk(world.assignment_a1).current_step == 1
    log(exercise, 0, step=1, pain=8)  # new red pain is new evidence
    assert check(world.assignment_a1)[exercise.pk].applied == "regressed"
    assert walk(world.assignment_a1).current_step == 0
    assert StepVersion.objects.filter(exercise=exercise, source="engine").count() == 2


def test_a_refused_approval_says_why_on_the_page_and_in_the_api(client, world):
    refused_reason = "Not approved: the latest check no longer suggests moving up. Pain during the latest session"
    on_page, in_api = suggestion_at_step_one(world, "a1"), suggestion_at_step_one(world, "a2")
    log(walk(world.assignment_a1), 0, step=1, pain=7)
    log(walk(world.assignment_a2), 0, step=1, pain=7)
    client.force_login(world.therapist_a)
    page = client.post(reverse("patients:flag-action", args=[on_page.pk]), {"action": "approve"}, follow=True)
    assert refused_reason in page.content.decode()
    assert walk(world.assignment_a1).current_step == 0  # the page's request kept the re-check's regression
    api = APIClient()
    api.force_login(world.therapist_a)
    response = api.post(f"/api/v1/flags/{in_api.pk}/approve/")
    assert response.status_code == 400
    (reason,) = response.json()["flag"]
    assert reason.startswith(refused_reason) and "7/10" in reason
    # A refused API request writes nothing (the audit middleware rolls back every 4xx), so there the
    # regression is left to the red session's own check, queued when it was saved.
    assert walk(world.assignment_a2).current_step == 1
    assert check(world.assignment_a2)[walk(world.assignment_a2).pk].applied == "regressed"
    in_api.refresh_from_db()
    assert in_api.status == "resolved" and walk(world.assignment_a2).current_step == 0


# ---------------------------------------------------------------------------
# Sessions of an earlier phase: saved, and checked for red pain
# ---------------------------------------------------------------------------


def session_body(exercise, day: dt.date, pain: int) -> dict:
    return {"exercise": exercise.pk, "date": day.isoformat(), "duration_min": 10, "speed_kmh": 2.5,
            "incline_pct": 0, "pain_during": pain, "pain_after": 3}


def test_an_api_session_on_an_earlier_phase_exercise_raises_urgent_red_pain(world, plan,
                                                                             django_capture_on_commit_callbacks):
    first, second = walk(plan, 0), walk(plan, 1)
    to_second_phase(plan)
    api = APIClient()
    api.force_login(plan.patient.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/sessions/", session_body(first, ago(4), pain=8),
                            HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()), format="json")
    assert response.status_code == 201, response.content
    flag = Flag.objects.get(exercise=first, kind="pain_red")
    assert flag.severity == "urgent" and flag.status == "open" and flag.notified_at is not None
    assert ProgressionCheck.objects.get(exercise=first).rules[0] == "R1"
    assert not Flag.objects.filter(exercise=second, kind="pain_red").exists()


def test_the_outbox_copy_of_an_earlier_phase_session_is_saved_not_refused(client, world, plan,
                                                                            django_capture_on_commit_callbacks):
    first = walk(plan, 0)
    to_second_phase(plan)
    client.force_login(plan.patient.user)
    key = uuid.uuid4()
    body = {"exercise": first.pk, "date": ago(4).isoformat(), "completed": "yes", "duration_min": "10",
            "speed_kmh": "2.5", "incline_pct": "0", "pain_during": "7", "pain_after": "3", "client_uuid": str(key)}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("patients:log-session"), body, HTTP_ACCEPT="application/json")
    assert response.status_code == 201, response.content
    saved = SessionLog.objects.get(client_uuid=key)
    assert (saved.exercise, saved.date, saved.pain_during) == (first, ago(4), 7)
    assert Flag.objects.get(exercise=first, kind="pain_red").severity == "urgent"


def test_an_earlier_phase_exercise_gets_only_flags_about_the_knee(world, plan):
    first = walk(plan, 0)
    log(first, 6, morning=1)
    log(first, 5, morning=1)
    check(plan)
    suggestion = Flag.objects.get(exercise=first, kind="progression")
    to_second_phase(plan)
    log(first, 4, morning=5)  # sent late from the phone: the knee was sore the next morning
    outcome = check(plan)[first.pk]
    assert outcome.decision["rules"][:2] == ["R4", "F1"]  # the engine's view is whole ...
    open_kinds = set(Flag.objects.filter(exercise=first, status="open").values_list("kind", flat=True))
    assert open_kinds == {"morning_pain"}  # ... but no plan-wide or next-step flags on it
    suggestion.refresh_from_db()
    assert suggestion.status == "resolved"
    with pytest.raises(ValidationError, match="already resolved"):
        flag_approve(flag=suggestion, user=world.therapist_a, today=TODAY)


def test_an_approved_suggestion_for_an_exercise_that_left_the_phase_is_refused(world, plan):
    first = walk(plan, 0)
    log(first, 6, morning=1)
    log(first, 5, morning=1)
    check(plan)
    suggestion = Flag.objects.get(exercise=first, kind="progression")
    to_second_phase(plan)
    with pytest.raises(ApprovalRefused) as refused:
        flag_approve(flag=suggestion, user=world.therapist_a, today=TODAY)
    assert "no longer in the plan's current phase" in " ".join(refused.value.messages)
    assert walk(plan, 0).current_step == 0
