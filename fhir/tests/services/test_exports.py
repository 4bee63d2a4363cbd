"""Bulk exports: what a run writes, resuming after a dead worker, cancel, expiry, the one-at-a-time rule."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from fhir import exports
from fhir.models import ExportFile, ExportJob
from fhir.tests.support import fake_registry  # noqa: F401 - fixture
from tests.factories import PatientFactory, SessionLogFactory

pytestmark = pytest.mark.django_db


def lines(export_file: ExportFile) -> list[dict]:
    with exports.export_storage().open(export_file.name, "rb") as handle:
        return [json.loads(line) for line in handle.read().decode().splitlines()]


def start(world, *, run: bool = True, **kwargs) -> ExportJob:
    """Start an export (its task is sent on commit, which a test transaction never reaches) and, with `run`,
    run it as the worker would."""
    kwargs.setdefault("types", ["Patient", "Observation"])
    job = exports.export_start(clinic=world.clinic_a, user=world.admin_a, **kwargs)
    if run:
        exports.export_run(job_id=job.pk)
        job.refresh_from_db()
    return job


def sessions(assignment, count: int) -> list:
    exercise = assignment.exercises.order_by("pk").first()
    return [SessionLogFactory(exercise=exercise, date=dt.date.today() - dt.timedelta(days=i)) for i in range(count)]


def test_a_run_writes_one_ndjson_line_per_resource_of_the_clinic_only(world, fake_registry):
    mine = sessions(world.assignment_a1, 3) + sessions(world.assignment_a2, 2)
    sessions(world.assignment_b1, 4)
    job = start(world)

    assert job.status == "done" and job.transaction_time and job.expires_at and job.patient_count == 2
    files = {f.resource_type: f for f in job.files.all()}
    assert [row["id"] for row in lines(files["Patient"])] == [str(world.patient_a1.pk), str(world.patient_a2.pk)]
    assert {row["id"] for row in lines(files["Observation"])} == {str(s.pk) for s in mine}
    assert (files["Patient"].count, files["Observation"].count) == (2, 5)
    assert files["Observation"].size == exports.export_storage().size(files["Observation"].name)


def test_type_and_since_narrow_the_export(world, fake_registry):
    old = sessions(world.assignment_a1, 2)
    since = timezone.now()
    new = sessions(world.assignment_a2, 1)
    assert old and new[0].created_at >= since
    job = start(world, types=["Observation"], since=since)

    assert [f.resource_type for f in job.files.all()] == ["Observation"]
    assert [row["id"] for row in lines(job.files.get())] == [str(new[0].pk)]


def test_a_group_export_holds_the_therapists_caseload_only(world, fake_registry):
    PatientFactory(clinic=world.clinic_a, therapist=world.admin_a)
    job = start(world, types=["Patient"], group_id=world.therapist_a.pk)
    assert job.patient_count == 2
    assert {row["id"] for row in lines(job.files.get())} == {str(world.patient_a1.pk), str(world.patient_a2.pk)}


def test_types_are_checked_and_since_must_be_an_instant(fake_registry):
    assert exports.export_types(None) == ["Patient", "Observation"]
    assert exports.export_types("Observation, Patient") == ["Patient", "Observation"]
    with pytest.raises(ValidationError, match="Unsupported resource type: Bogus"):
        exports.export_types("Patient,Bogus")
    assert exports.export_since("2026-01-31T08:00:00Z") == dt.datetime(2026, 1, 31, 8, tzinfo=dt.UTC)
    for bad in ("2026-01-31", "yesterday", "2026-01-31T08:00:00"):
        with pytest.raises(ValidationError, match="instant"):
            exports.export_since(bad)


def test_one_export_at_a_time_per_clinic(world, fake_registry):
    start(world, run=False)  # not run by a worker yet: still pending
    with pytest.raises(exports.ExportBusy):
        start(world)
    exports.export_start(clinic=world.clinic_b, user=world.therapist_b, types=["Patient"])  # another clinic may


def test_a_stale_claim_is_resumed_at_the_first_type_not_written(world, fake_registry):
    sessions(world.assignment_a1, 2)
    job = start(world, run=False)
    # A first worker wrote the Patient file, then died while writing Observations.
    assert exports.export_run(job_id=job.pk) == "done"
    patient_file = job.files.get(resource_type="Patient")
    job.files.filter(resource_type="Observation").delete()
    died = timezone.now() - exports.STALE_CLAIM - dt.timedelta(seconds=1)
    ExportJob.objects.filter(pk=job.pk).update(status="running", claim_token="dead", claimed_at=died)

    assert exports.exports_resume_stale() == [job.pk]
    assert exports.export_run(job_id=job.pk) == "done"
    job.refresh_from_db()
    assert (job.status, job.attempts, job.claim_token) == ("done", 2, "")
    assert job.files.get(resource_type="Patient") == patient_file  # kept, not written again
    assert job.files.get(resource_type="Observation").count == 2


def test_a_fresh_claim_is_left_alone_and_a_worn_job_fails_with_a_reason(world, fake_registry):
    job = start(world, run=False)
    ExportJob.objects.filter(pk=job.pk).update(status="running", claim_token="alive", claimed_at=timezone.now())
    assert exports.export_run(job_id=job.pk) == "busy"
    died = timezone.now() - exports.STALE_CLAIM - dt.timedelta(seconds=1)
    ExportJob.objects.filter(pk=job.pk).update(claimed_at=died, attempts=exports.MAX_ATTEMPTS)
    assert exports.export_run(job_id=job.pk) == "failed"
    job.refresh_from_db()
    assert job.status == "failed" and "stopped several times" in job.error


def test_a_fault_while_writing_fails_the_job_with_a_reason(world, fake_registry, monkeypatch):
    def broken(self, row):
        raise KeyError("boom")

    monkeypatch.setattr(type(fake_registry["Patient"]), "to_fhir", broken)
    job = start(world, types=["Patient"])
    assert job.status == "failed" and "KeyError" in job.error and not job.files.exists()


def test_cancel_deletes_the_files_and_a_running_worker_stops(world, fake_registry, django_capture_on_commit_callbacks):
    job = start(world)
    names = list(job.files.values_list("name", flat=True))
    assert all(exports.export_storage().exists(name) for name in names)
    with django_capture_on_commit_callbacks(execute=True):
        exports.export_cancel(job=job)
    job.refresh_from_db()
    assert job.status == "cancelled" and not job.files.exists()
    assert not any(exports.export_storage().exists(name) for name in names)
    assert exports.export_run(job_id=job.pk) == "skipped"


def test_a_run_that_lost_its_claim_keeps_no_file(world, fake_registry, monkeypatch, tmp_path):
    job = start(world, types=["Patient"], run=False)
    original = exports._write_type

    def cancelled_midway(job_, name, patient_ids, beat):
        ExportJob.objects.filter(pk=job_.pk).update(status="cancelled", claim_token="")
        beat.last = 10**12  # within the interval: the heartbeat does not look, the final check does
        return original(job_, name, patient_ids, beat)

    monkeypatch.setattr(exports, "_write_type", cancelled_midway)
    assert exports.export_run(job_id=job.pk) == "cancelled"
    assert not job.files.exists()
    assert not list((tmp_path / "exports").rglob("*.ndjson"))


def test_expired_files_are_deleted(world, fake_registry):
    job = start(world)
    names = list(job.files.values_list("name", flat=True))
    assert exports.exports_expire() == 0
    assert exports.exports_expire(now=job.expires_at + dt.timedelta(seconds=1)) == 1
    assert not job.files.exists() and not any(exports.export_storage().exists(n) for n in names)


def test_a_run_streams_rows_in_chunks(world, fake_registry, monkeypatch, django_assert_max_num_queries):
    """Bounded memory: rows come from .iterator() in chunks, never a list of the clinic; queries stay flat."""
    for _ in range(30):
        PatientFactory(clinic=world.clinic_a, therapist=world.therapist_a)
    monkeypatch.setattr(exports, "CHUNK_ROWS", 10)
    seen = []
    real_rows = type(fake_registry["Patient"]).rows

    def watched(self, clinic, **kwargs):
        queryset = real_rows(self, clinic, **kwargs)
        real_iterator = queryset.iterator

        def iterator(chunk_size=None):
            seen.append(chunk_size)
            return real_iterator(chunk_size=chunk_size)

        queryset.iterator = iterator
        return queryset

    monkeypatch.setattr(type(fake_registry["Patient"]), "rows", watched)
    job = start(world, types=["Patient"])
    assert seen == [10] and job.files.get().count == 32
