"""Celery tasks of bulk exports: thin wrappers that take ids and call a service; safe to run twice."""

from __future__ import annotations

from celery import shared_task

from clinic.celery import RETRY, enqueue
from fhir import exports

# A year-sized clinic's export outlasts the project's default limits (60/90 s); its own are set here.
EXPORT_LIMITS = {"soft_time_limit": 30 * 60, "time_limit": 30 * 60 + 60}


@shared_task(name="fhir.run_export", bind=True, **RETRY, **EXPORT_LIMITS)
def run_export(self, job_id: int) -> str:
    outcome = exports.export_run(job_id=job_id)
    if outcome == "busy" and not self.request.is_eager:
        # Another run's claim is fresh. If its worker just died (this message came back because it was never
        # acknowledged), the claim goes stale within STALE_CLAIM: look again then.
        raise self.retry(countdown=exports.STALE_CLAIM.total_seconds() + 10)
    return outcome


@shared_task(name="fhir.sweep_exports", **RETRY)
def sweep_exports() -> int:
    """Hourly: resume exports whose worker died or that were never sent, and delete expired files."""
    exports.exports_expire()
    ids = exports.exports_resume_stale()
    for job_id in ids:
        enqueue(run_export, job_id)
    return len(ids)
