"""Celery tasks: thin wrappers that take ids, call a service, and are safe to run twice.

Tasks import the services; the services enqueue these tasks by name (`clinic.celery.enqueue`), so the two
never import each other.
"""

from __future__ import annotations

import logging

from celery import shared_task

from clinic.celery import RETRY
from patients.selectors import active_assignment_ids, assignments_with_unchecked_evidence
from patients.services import (
    assignments_check,
    daily_digests_send,
    enqueue_checks,
    publish_checks,
    sweeps_run,
)

logger = logging.getLogger(__name__)


# Fired from web requests: no result is stored, so no result-store round trip can delay the request.
@shared_task(name="patients.evaluate_assignment", ignore_result=True, **RETRY)
def evaluate_assignment(assignment_id: int) -> int:
    """Run the progression checks of one assignment (after a session, check-in or measurement)."""
    return len(assignments_check(assignment_ids=[assignment_id]))


@shared_task(name="patients.evaluate_batch", ignore_result=True, **RETRY, soft_time_limit=240, time_limit=300)
def evaluate_batch(assignment_ids: list[int]) -> int:
    """Check a batch of assignments with a fixed number of reads for the whole batch."""
    return len(assignments_check(assignment_ids=assignment_ids))


@shared_task(name="patients.evaluate_all", **RETRY)
def evaluate_all(clinic_id: int | None = None) -> int:
    """Fan the active assignments (of one clinic, or all) out in batches; returns how many."""
    return publish_checks(active_assignment_ids(clinic_id=clinic_id))


@shared_task(name="patients.nightly_sweep", **RETRY)
def nightly_sweep() -> list[int]:
    """Run hourly by beat: sweep each clinic once per local day, from 02:00 its own time.

    A clinic missed at 02:00 (beat down, or the broker refusing its batches) is
    swept at the next tick of that day; a SweepRun row per clinic and date
    makes a second run a no-op. Every tick also checks entries whose own check
    never reached the broker (saved while it was down), so they wait an hour at
    most, not a night.
    """
    clinic_ids = sweeps_run()
    enqueue_checks(assignments_with_unchecked_evidence(skip_clinic_ids=clinic_ids))  # a clinic just swept is covered
    return clinic_ids


@shared_task(name="patients.send_daily_digests", **RETRY)
def send_daily_digests() -> int:
    """Run hourly by beat: from 07:00 clinic time, each therapist gets one digest of new flags a day."""
    return daily_digests_send()
