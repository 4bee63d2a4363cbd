"""The nightly sweep: every active plan of each clinic is checked once per local day, from 02:00 clinic time.

A claim row per clinic and date (SweepRun) makes the hourly tick idempotent;
the batches go to the broker by task name, and a refused sweep is released
for the next tick.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.utils import timezone

from clinic.celery import enqueue, task_named
from clinic.clock import clinic_now
from clinic.models import Clinic
from patients import selectors
from patients.models import SweepRun

logger = logging.getLogger(__name__)


SWEEP_LOCAL_HOUR = 2
# Tasks are enqueued by name (clinic.celery): patients.tasks imports the services, never the other way round.
EVALUATE_BATCH = "patients.evaluate_batch"


# A claim whose batches were never marked accepted after this long belongs to a process that died
# mid-publish: the next hourly tick takes it over.
SWEEP_RECLAIM_AFTER = dt.timedelta(minutes=30)


def _sweep_claims(*, now=None) -> list[SweepRun]:
    """Claim, for each clinic past 02:00 local time, its local date's sweep; return the claims made.

    The claim is a unique row, so two beats or two workers never sweep a clinic
    twice for one day. A row is only a claim until the sweep's batches are
    accepted (`enqueued_at`): one still unfinished after SWEEP_RECLAIM_AFTER is
    taken over, by a conditional update that only one tick can win.
    """
    now = now or timezone.now()
    claims = []
    for clinic in Clinic.objects.filter(is_active=True).order_by("pk"):
        local = clinic_now(clinic, now)
        if local.hour < SWEEP_LOCAL_HOUR:
            continue
        run, created = SweepRun.objects.get_or_create(clinic=clinic, local_date=local.date())
        if not created:
            abandoned = SweepRun.objects.filter(pk=run.pk, enqueued_at__isnull=True,
                                                started_at__lte=now - SWEEP_RECLAIM_AFTER)
            if not abandoned.update(started_at=now):
                continue
        claims.append(run)
    return claims


SWEEP_BATCH = 200


def publish_checks(assignment_ids: list[int]) -> int:
    """Send the checks of these assignments to the broker in batches of SWEEP_BATCH; returns how many.

    A broker error is raised, not swallowed: the sweep must know its batches were refused.
    """
    evaluate_batch = task_named(EVALUATE_BATCH)
    for batch in _batches(assignment_ids):
        evaluate_batch.delay(batch)
    return len(assignment_ids)


def enqueue_checks(assignment_ids: list[int]) -> int:
    """Like `publish_checks`, but a broker error is only logged: the next hourly tick finds these again."""
    for batch in _batches(assignment_ids):
        enqueue(EVALUATE_BATCH, batch)
    return len(assignment_ids)


def _batches(assignment_ids: list[int]) -> list[list[int]]:
    return [assignment_ids[start : start + SWEEP_BATCH] for start in range(0, len(assignment_ids), SWEEP_BATCH)]


def clinics_due_for_sweep(*, now=None) -> list[int]:
    """Clinics whose sweep for their local date this call claimed (see `_sweep_claims`)."""
    return [run.clinic_id for run in _sweep_claims(now=now)]


def sweeps_run(*, now=None) -> list[int]:
    """The nightly sweep: check every active assignment of each due clinic; returns the clinics swept.

    Each clinic's claim is completed (with the number of assignments) only
    after the broker accepted every batch of its checks. If the broker refuses
    one, the claim is released, so the next hourly tick sweeps the clinic again
    instead of leaving it unchecked until the next night; batches already sent
    are checked twice at most, which the checks make harmless.
    """
    now = now or timezone.now()
    swept = []
    for run in _sweep_claims(now=now):
        ids = selectors.active_assignment_ids(clinic_id=run.clinic_id)
        try:
            publish_checks(ids)
        except Exception:
            logger.warning("sweep of clinic %s for %s not sent (broker error): released for the next tick",
                           run.clinic_id, run.local_date, exc_info=True)
            SweepRun.objects.filter(pk=run.pk, enqueued_at__isnull=True).delete()
            continue
        SweepRun.objects.filter(pk=run.pk).update(enqueued_at=timezone.now(), assignments=len(ids))
        swept.append(run.clinic_id)
    return swept


