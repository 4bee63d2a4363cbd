"""The nightly sweep's claim survives a broker that refuses its batches (issue 13, point 5).

Here the broker failure is `evaluate_batch.delay` raising what kombu raises
when Redis refuses the connection; the same against a real dead broker URL is
in tests/integration/test_reliability.py.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from patients import tasks
from patients.models import ProgressionCheck, SweepRun
from patients.services import SWEEP_RECLAIM_AFTER, clinics_due_for_sweep

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


@pytest.fixture
def noon(monkeypatch):
    moment = timezone.now().replace(hour=12, minute=0)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    return moment


def test_a_sweep_refused_by_the_broker_is_sent_again_at_the_next_tick(world, noon, monkeypatch):
    def refused(*args, **kwargs):
        raise BrokerError("Error 111 connecting to 127.0.0.1:1. Connection refused.")

    with monkeypatch.context() as broken:
        broken.setattr(tasks.evaluate_batch, "delay", refused)
        assert tasks.nightly_sweep.delay().get() == []  # nothing was sent, so no clinic counts as swept
    assert not SweepRun.objects.exists()  # the claims were released
    assert not ProgressionCheck.objects.exists()

    # The broker is back: the next hourly tick sweeps both clinics, and records how many it sent.
    assert set(tasks.nightly_sweep.delay().get()) == {world.clinic_a.pk, world.clinic_b.pk}
    assert ProgressionCheck.objects.count() == 3
    runs = {run.clinic_id: run for run in SweepRun.objects.all()}
    assert (runs[world.clinic_a.pk].assignments, runs[world.clinic_b.pk].assignments) == (2, 1)
    assert all(run.enqueued_at is not None for run in runs.values())
    assert tasks.nightly_sweep.delay().get() == []  # and only once that day
    assert SweepRun.objects.count() == 2


def test_a_refusal_midway_releases_only_that_clinic(world, noon, monkeypatch):
    real_delay = tasks.evaluate_batch.delay

    def refuse_clinic_b(ids):
        if world.assignment_b1.pk in ids:
            raise BrokerError("Connection refused.")
        return real_delay(ids)

    with monkeypatch.context() as broken:
        broken.setattr(tasks.evaluate_batch, "delay", refuse_clinic_b)
        assert tasks.nightly_sweep.delay().get() == [world.clinic_a.pk]
    assert list(SweepRun.objects.values_list("clinic_id", "assignments")) == [(world.clinic_a.pk, 2)]
    assert tasks.nightly_sweep.delay().get() == [world.clinic_b.pk]


def test_a_claim_left_unfinished_is_taken_over_by_a_later_tick(world, noon):
    day = timezone.localtime(noon, zoneinfo.ZoneInfo(world.clinic_a.timezone)).date()
    for clinic in (world.clinic_a, world.clinic_b):
        SweepRun.objects.create(clinic=clinic, local_date=day)  # claimed; the process died before publishing
    SweepRun.objects.filter(clinic=world.clinic_b).update(enqueued_at=noon)  # B's batches were accepted
    assert clinics_due_for_sweep(now=noon + dt.timedelta(minutes=5)) == []  # A's claim may still be publishing
    later = noon + SWEEP_RECLAIM_AFTER + dt.timedelta(minutes=1)
    assert clinics_due_for_sweep(now=later) == [world.clinic_a.pk]
    assert clinics_due_for_sweep(now=later) == []  # taken over once
