"""Reads of bulk exports: the caller's own job and files (nobody else's), its manifest, the clinic's list."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from clinic.tenancy import Actor
from fhir.models import ExportFile, ExportJob


def _visible(actor: Actor) -> QuerySet[ExportJob]:
    """Jobs the caller started, in the caller's clinic, not cancelled and not expired."""
    jobs = ExportJob.objects.filter(clinic=actor.clinic).exclude(status=ExportJob.Status.CANCELLED)
    jobs = jobs.exclude(expires_at__lt=timezone.now())
    if actor.is_api_key:
        return jobs.filter(api_key=actor.api_key)
    return jobs.filter(requested_by=actor.user, api_key__isnull=True)


def export_of_caller(actor: Actor, job_id: int) -> ExportJob | None:
    """The caller's own job, or None (another caller's, another clinic's, cancelled or expired)."""
    return _visible(actor).filter(pk=job_id).first()


def export_file_of_caller(actor: Actor, job_id: int, file_id: int) -> ExportFile | None:
    return (ExportFile.objects.filter(pk=file_id, job__in=_visible(actor).filter(pk=job_id,
                                                                                 status=ExportJob.Status.DONE))
            .select_related("job").first())


def export_manifest(job: ExportJob, *, file_url) -> dict:
    """The Bulk Data manifest of a finished job; `file_url(file)` is each file's absolute URL."""
    return {
        "transactionTime": job.transaction_time.isoformat() if job.transaction_time else None,
        "request": job.request_url,
        "requiresAccessToken": True,
        "output": [{"type": f.resource_type, "url": file_url(f), "count": f.count}
                   for f in job.files.order_by("id")],
        "error": [],
    }


def clinic_exports(clinic) -> QuerySet[ExportJob]:
    """The clinic's exports, newest first, with who started them and their files (for the admin page)."""
    return (ExportJob.objects.filter(clinic=clinic).select_related("requested_by", "api_key")
            .prefetch_related("files"))
