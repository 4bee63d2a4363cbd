"""The bulk FHIR export in the bench: the whole year clinic exported in this process, timed, and its peak Python
memory (tracemalloc, in a run of its own: tracing slows Python several times over, so timed runs are untraced),
to show the export streams (memory bounded by a chunk of rows) rather than loading the clinic.

The job is recorded directly (no task message: the run is measured here, not a
worker's queueing), written to the configured "fhir_exports" storage, and its
files deleted again afterwards.
"""

from __future__ import annotations

import time
import tracemalloc

from clinic.models import ApiKey, Clinic
from fhir import exports
from fhir.models import ExportJob

MIB = 1024 * 1024


def export_once(*, clinic: Clinic, traced: bool = False) -> tuple[float, float | None, dict[str, int]]:
    """(milliseconds, peak MiB of Python memory when `traced`, resources per type) of one whole-clinic export."""
    job = ExportJob.objects.create(clinic=clinic, api_key=ApiKey.objects.filter(clinic=clinic).first(),
                                   types=exports.export_types(None), request_url="bench")
    if traced:
        tracemalloc.start()
    started = time.perf_counter()
    try:
        outcome = exports.export_run(job_id=job.pk)
        took = (time.perf_counter() - started) * 1000
        peak = tracemalloc.get_traced_memory()[1] / MIB if traced else None
    finally:
        if traced:
            tracemalloc.stop()
    if outcome != "done":
        raise RuntimeError(f"the bench export ended {outcome}: {ExportJob.objects.get(pk=job.pk).error}")
    counts = dict(job.files.values_list("resource_type", "count"))
    exports.export_cancel(job=job)  # deletes its files (on commit: the bench runs in autocommit)
    return took, peak, counts
