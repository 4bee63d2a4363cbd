"""Bulk Data exports (FHIR Bulk Data Access IG v2): start, run, cancel and expire a clinic's `$export`.

The run streams each resource type's rows from `fhir.registry` with
`.iterator(chunk_size=CHUNK_ROWS)` into a temporary file on disk, one NDJSON
line per resource, and stores the whole file in the private "fhir_exports"
storage: memory holds one chunk of rows, never the clinic. It claims the job
and keeps the claim fresh (clinic.claims); a run whose worker died leaves a
stale claim, and the next run (the task's message comes back, or the hourly
sweep) resumes at the first type without a recorded file, MAX_ATTEMPTS times
at most, then marks the job failed with the reason.
"""

from __future__ import annotations

import json
import logging
import tempfile
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import Storage, storages
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clinic import claims
from clinic.celery import enqueue_soon, task_named
from clinic.models import Clinic
from exercise_media.storage import delete_quietly, save_file
from fhir import registry
from fhir.groups import group_patient_ids
from fhir.models import ExportFile, ExportJob
from patients.models import Patient

logger = logging.getLogger(__name__)

STALE_CLAIM = timedelta(minutes=5)
UNSENT_AFTER = timedelta(minutes=2)
MAX_ATTEMPTS = 3
# Rows read per query. A chunk of plans carries their exercises and ladder steps (prefetched): memory is bounded
# by one chunk (100 plans of a year-long protocol: about 5 MiB), whatever the clinic's size.
CHUNK_ROWS = 100
HEARTBEAT_SECONDS = 2.0
# A client told to come back: how soon (seconds) while a job runs, and while another job of the clinic runs.
RETRY_AFTER_RUNNING = 5
RETRY_AFTER_BUSY = 60


class ExportBusy(Exception):
    """The clinic already has an export waiting or running: one at a time."""


def export_storage() -> Storage:
    return storages["fhir_exports"]


def export_types(value: str | None) -> list[str]:
    """The FHIR resource types of `_type` (a comma list; all types when absent), in the registry's order."""
    known = list(registry.FHIR_TYPES)
    if value is None or not value.strip():
        return known
    asked = [name.strip() for name in value.split(",") if name.strip()]
    unknown = [name for name in asked if name not in registry.FHIR_TYPES]
    if unknown:
        raise ValidationError({"_type": f"Unsupported resource type: {', '.join(unknown)[:200]}. "
                                        f"Supported: {', '.join(known)}."})
    return [name for name in known if name in asked]


def export_since(value: str | None):
    """`_since` as an aware datetime (a FHIR instant, with its offset), or None when absent."""
    if value is None or not value.strip():
        return None
    try:
        parsed = parse_datetime(value.strip())
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise ValidationError({"_since": _("_since must be a FHIR instant with a time zone, "
                                         "e.g. 2026-01-31T08:00:00Z.")})
    return parsed


def export_start(*, clinic: Clinic, types: list[str], since=None, group_id: int | None = None, user=None,
                 api_key=None, request_url: str = "") -> ExportJob:
    """Record an export for `user` or `api_key` and send it to a worker on commit.

    Raises ExportBusy when the clinic already has one waiting or running.
    """
    with transaction.atomic():
        Clinic.objects.select_for_update().filter(pk=clinic.pk).first()  # one kick-off of a clinic at a time
        if ExportJob.objects.filter(clinic=clinic, status__in=["pending", "running"]).exists():
            raise ExportBusy
        patients = Patient.objects.filter(clinic=clinic)
        if group_id is not None:
            patients = patients.filter(therapist_id=group_id)
        job = ExportJob(clinic=clinic, requested_by=user, api_key=api_key, types=types, since=since,
                        kind=ExportJob.Kind.GROUP if group_id is not None else ExportJob.Kind.CLINIC,
                        group_id=group_id, request_url=request_url[:500], patient_count=patients.count())
        job.full_clean()
        job.save()
        job_id = job.pk
        transaction.on_commit(lambda: enqueue_soon(task_named("fhir.run_export"), job_id))
    logger.info("export %s started (clinic %s, %s patients)", job.pk, clinic.pk, job.patient_count)
    return job


def export_cancel(*, job: ExportJob) -> None:
    """Stop a job (a running worker notices at its next heartbeat) and delete its files."""
    with transaction.atomic():
        ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.CANCELLED, claim_token="",
                                                   finished_at=timezone.now(), progress="")
        names = list(job.files.values_list("name", flat=True))
        job.files.all().delete()
        transaction.on_commit(lambda: delete_quietly(*names, store=export_storage()))


def exports_expire(*, now=None) -> int:
    """Delete the files of jobs past their expiry (they already answer 404); returns how many jobs."""
    now = now or timezone.now()
    expired = ExportFile.objects.filter(job__expires_at__lt=now)
    names = list(expired.values_list("name", flat=True))
    jobs = set(expired.values_list("job_id", flat=True))
    expired.delete()
    delete_quietly(*names, store=export_storage())
    return len(jobs)


def exports_resume_stale(*, now=None) -> list[int]:
    """Jobs to send to a worker again: never sent (broker down) or claimed by a worker that died.

    Those already tried MAX_ATTEMPTS times are marked failed here instead.
    """
    now = now or timezone.now()
    stale = Q(status=ExportJob.Status.RUNNING, claimed_at__lt=now - STALE_CLAIM)
    unsent = Q(status=ExportJob.Status.PENDING, created_at__lt=now - UNSENT_AFTER)
    ExportJob.objects.filter(stale, attempts__gte=MAX_ATTEMPTS).update(
        status=ExportJob.Status.FAILED, claim_token="", finished_at=now, progress="", error=WORN_OUT)
    return list(ExportJob.objects.filter(stale | unsent).values_list("pk", flat=True))


WORN_OUT = gettext_lazy("The export stopped several times (its worker was restarted). Start it again; if it keeps "
           "stopping, ask your administrator to look at the worker's memory and time limits.")


# --- The run -------------------------------------------------------------------------------------------------


def export_run(*, job_id: int) -> str:
    """Write the job's NDJSON files. Safe to run twice.

    Returns "done", "failed", "cancelled" (the caller cancelled it, or a newer
    run took over), "skipped" (nothing to do) or "busy" (another run holds a
    fresh claim).
    """
    now = timezone.now()
    claimable = Q(status=ExportJob.Status.PENDING) | Q(status=ExportJob.Status.RUNNING,
                                                       claimed_at__lt=now - STALE_CLAIM)
    taken = claims.claim(ExportJob, job_id, claimable, now=now, status=ExportJob.Status.RUNNING)
    if taken is None:
        busy = ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.RUNNING).exists()
        return "busy" if busy else "skipped"
    token, attempt = taken
    if attempt > MAX_ATTEMPTS:
        return _fail(job_id, token, WORN_OUT)
    ExportJob.objects.filter(pk=job_id, transaction_time__isnull=True).update(transaction_time=now)
    job = ExportJob.objects.select_related("clinic").get(pk=job_id)
    beat = claims.Heartbeat(ExportJob, job_id, token, every=HEARTBEAT_SECONDS)
    patient_ids = group_patient_ids(job.clinic, job.group_id) if job.group_id is not None else None
    written = set(job.files.values_list("resource_type", flat=True))
    try:
        for name in job.types:
            if name not in written and not _write_type(job, name, patient_ids, beat):
                return "cancelled"
    except (OperationalError, InterfaceError):
        # The database went away: give the job back (the task retries it) rather than wait for the claim to go stale.
        claims.finish(ExportJob, job_id, token, status=ExportJob.Status.PENDING)
        raise
    except Exception as error:  # noqa: BLE001 - any other fault ends the job with a reason the caller can read
        logger.exception("export %s failed", job_id)
        return _fail(job_id, token, f"The export failed while writing its files ({type(error).__name__}). "
                                    "Start it again; if it fails again, tell Backstep's support.")
    finished = timezone.now()
    retention = timedelta(hours=settings.FHIR_EXPORT_RETENTION_HOURS)
    if not claims.finish(ExportJob, job_id, token, status=ExportJob.Status.DONE, progress="", finished_at=finished,
                         expires_at=finished + retention):
        return "cancelled"
    logger.info("export %s done", job_id)
    return "done"


def _fail(job_id: int, token: str, message: str) -> str:
    claims.finish(ExportJob, job_id, token, status=ExportJob.Status.FAILED, error=message[:300], progress="",
                  finished_at=timezone.now())
    return "failed"


def _write_type(job: ExportJob, name: str, patient_ids, beat: claims.Heartbeat) -> bool:
    """Stream one FHIR type's rows (from each of its sources) into its file and record it; False when the run
    lost its claim (cancelled, or a newer run took over). Progress reads "Observation 40/120"."""
    querysets = [source.rows(job.clinic, patient_ids=patient_ids, since=job.since)
                 for source in registry.FHIR_TYPES[name]]
    total = sum(rows.count() for rows in querysets)
    written = 0
    if not beat(force=True, progress=f"{name} 0/{total}"[:80]):
        return False
    with tempfile.TemporaryFile(prefix="backstep-export-") as handle:
        for source, rows in zip(registry.FHIR_TYPES[name], querysets, strict=True):
            for row in rows.iterator(chunk_size=CHUNK_ROWS):
                line = json.dumps(source.to_fhir(row), ensure_ascii=False, separators=(",", ":"))
                handle.write(line.encode() + b"\n")
                drop_prefetched(row)
                written += 1
                if not beat(progress=f"{name} {written}/{max(total, written)}"[:80]):
                    return False
        size = handle.tell()
        handle.seek(0)
        stored = save_file(f"job-{job.pk}", "ndjson", File(handle), store=export_storage())
    with transaction.atomic():
        held = ExportJob.objects.select_for_update().filter(pk=job.pk, claim_token=beat.token).exists()
        if held:
            ExportFile.objects.create(job=job, resource_type=name, name=stored, count=written, size=size)
    if not held:
        delete_quietly(stored, store=export_storage())
    return held


def drop_prefetched(row) -> None:
    """Let go of what was prefetched for a written row (a plan's exercises, their ladder steps), depth first.

    Django links each prefetched row back to its parent, a reference cycle
    that only the garbage collector's rare full passes free: without this, an
    export's memory grew with the number of plans (measured with tracemalloc:
    1.7 MiB for 50 plans, 7.4 MiB for 250, in chunks of 20; now 1.2 MiB for both).
    """
    cache = getattr(row, "_prefetched_objects_cache", None)
    if not cache:
        return
    for related in cache.values():
        for inner in related:
            drop_prefetched(inner)
    cache.clear()
