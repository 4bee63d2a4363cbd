"""Flags after a check: approving a suggestion, declining it, resolving and acknowledging, and what reopens one."""

import pytest
from django.core import mail

from patients.models import Flag
from patients.services import flag_approve, flag_decline, flag_resolve
from patients.tests.support import TODAY, check, session, walk

# Tasks enqueued on commit run in-process here, even where CI sets REDIS_URL.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


def test_two_green_sessions_suggest_progression_and_approval_steps_up(world):
    session(world, 3, morning=1)
    session(world, 1, morning=2)
    (outcome,) = check(world)
    assert outcome.decision["rules"][0] == "R11" and outcome.applied == ""
    exercise = walk(world.assignment_a1)
    assert exercise.current_step == 0
    suggestion = Flag.objects.get(exercise=exercise, kind="progression")
    assert suggestion.suggested_step == 1 and suggestion.severity == "info"

    flag_approve(flag=suggestion, user=world.therapist_a, today=TODAY)
    exercise.refresh_from_db()
    assert exercise.current_step == 1
    assert exercise.step_versions.first().changed_by == world.therapist_a
    suggestion.refresh_from_db()
    assert suggestion.status == "resolved"
    # The streak at the new step starts from zero: no new suggestion.
    (after,) = check(world)
    assert after.decision["rules"][0] == "R7"
    assert not Flag.objects.filter(kind="progression", status="open").exists()


def test_declined_suggestion_is_not_raised_again_for_the_same_thing(world):
    session(world, 3, morning=1)
    session(world, 1, morning=2)
    check(world)
    flag_decline(flag=Flag.objects.get(kind="progression"), user=world.therapist_a, note="Wait a week")
    check(world)
    assert Flag.objects.filter(kind="progression").count() == 1
    assert walk(world.assignment_a1).current_step == 0


def test_flag_resolved_by_therapist_is_not_reopened_for_the_same_session(world):
    session(world, 1, pain=7)
    check(world)
    flag_resolve(flag=Flag.objects.get(kind="pain_red"), user=world.therapist_a, note="Called the patient")
    check(world)
    assert Flag.objects.filter(kind="pain_red").count() == 1
    # A new red session is a new thing to flag.
    session(world, 0, pain=6)
    check(world)
    assert Flag.objects.filter(kind="pain_red", status="open").count() == 1


def test_a_new_red_session_reopens_an_acknowledged_flag_and_emails_again(world, django_capture_on_commit_callbacks):
    from patients.services import flag_acknowledge

    session(world, 3, pain=7)
    with django_capture_on_commit_callbacks(execute=True):
        check(world)
    flag = Flag.objects.get(kind="pain_red")
    flag_acknowledge(flag=flag, user=world.therapist_a)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        check(world)  # same evidence: stays acknowledged, no e-mail
    assert Flag.objects.get(kind="pain_red").status == "acknowledged" and mail.outbox == []
    session(world, 0, pain=8)
    with django_capture_on_commit_callbacks(execute=True):
        check(world)
    flag = Flag.objects.get(kind="pain_red")
    assert flag.status == "open" and flag.acknowledged_at is None and flag.notified_at is not None
    assert len(mail.outbox) == 1
