"""Celery tasks: configuration and the fan-out, run in-process."""


import pytest
from django.db import OperationalError

from clinic import tasks as clinic_tasks
from patients import tasks
from patients.models import ProgressionCheck, SweepRun
from patients.services import sweeps

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


@pytest.mark.parametrize("task", [tasks.evaluate_assignment, tasks.evaluate_batch, tasks.evaluate_all,
                                  tasks.nightly_sweep, tasks.send_daily_digests, clinic_tasks.send_notification,
                                  clinic_tasks.send_due_notifications])
def test_tasks_ack_late_and_retry_transient_database_errors(task):
    assert task.acks_late is True
    assert OperationalError in task.autoretry_for
    assert task.max_retries == 5 and task.retry_backoff


def test_request_fired_tasks_store_no_result():
    assert tasks.evaluate_assignment.ignore_result and clinic_tasks.send_notification.ignore_result


def test_beat_ticks_hourly_for_sweep_and_digest_and_every_five_minutes_for_reminders(settings):
    schedule = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule == {"patients.nightly_sweep": 3600.0, "patients.send_daily_digests": 3600.0,
                        "clinic.send_due_notifications": 3600.0, "exercise_media.resume_stale": 3600.0,
                        "fhir.sweep_exports": 3600.0,
                        # a reminder goes at the minute the patient chose, give or take one tick
                        "reminders.tick": 300.0}


def test_evaluate_all_fans_out_in_batches(world, monkeypatch):
    monkeypatch.setattr(sweeps, "SWEEP_BATCH", 2)
    seen = []
    original = tasks.evaluate_batch.run
    monkeypatch.setattr(tasks.evaluate_batch, "run", lambda ids: seen.append(list(ids)) or original(ids))
    assert tasks.evaluate_all.delay().get() == 3
    assert [len(batch) for batch in seen] == [2, 1]
    assert ProgressionCheck.objects.count() == 3


def test_nightly_sweep_runs_each_due_clinic_once(world, monkeypatch):
    from django.utils import timezone

    noon = timezone.now().replace(hour=12)
    monkeypatch.setattr(timezone, "now", lambda: noon)
    assert set(tasks.nightly_sweep.delay().get()) == {world.clinic_a.pk, world.clinic_b.pk}
    assert ProgressionCheck.objects.count() == 3
    assert tasks.nightly_sweep.delay().get() == []
    assert SweepRun.objects.count() == 2
    assert set(SweepRun.objects.values_list("local_date", flat=True)) == {noon.date()}


def test_services_enqueue_tasks_by_name_and_a_wrong_name_fails_loudly():
    """Services name the task (patients.tasks imports them, not the reverse); a typo must not pass as a broker error."""
    from clinic.celery import enqueue, task_named

    assert task_named("patients.evaluate_batch").name == "patients.evaluate_batch"
    assert task_named("clinic.send_notification").run.__name__ == "send_notification"
    with pytest.raises(KeyError):
        enqueue("patients.no_such_task", 1)
