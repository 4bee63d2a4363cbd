"""Bulk exports over the real registry: every line validates, every source is streamed in chunks."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.db.models.query import QuerySet
from django.test.utils import CaptureQueriesContext

from fhir import exports, registry
from fhir.models import ExportJob
from fhir.tests.fhir_world import fill, validate
from fhir.tests.support import use_export_storage
from tests.factories import PatientFactory, SessionLogFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _storage(settings, tmp_path):
    use_export_storage(settings, tmp_path)


def run_export(world, **kwargs) -> ExportJob:
    job = exports.export_start(clinic=world.clinic_a, user=world.admin_a, types=exports.export_types(None), **kwargs)
    assert exports.export_run(job_id=job.pk) == "done"
    return job


def test_every_line_of_a_clinic_export_is_a_valid_resource_of_its_file_type(world):
    fill(world)
    job = run_export(world)
    files = {f.resource_type: f for f in job.files.all()}
    assert list(files) == list(registry.FHIR_TYPES)
    for name, export_file in files.items():
        with exports.export_storage().open(export_file.name, "rb") as handle:
            lines = handle.read().decode().splitlines()
        assert len(lines) == export_file.count
        for line in lines:
            resource = json.loads(line)
            assert resource["resourceType"] == name
            validate(resource)
    # Clinic B's rows are in no file.
    patients = exports.export_storage().open(files["Patient"].name).read().decode()
    assert f'"id":"{world.patient_b1.pk}"' not in patients


def test_every_source_is_streamed_with_iterator_in_chunks(world, monkeypatch):
    fill(world)
    chunks = []
    real = QuerySet.iterator

    def watched(self, chunk_size=None):
        chunks.append((self.model.__name__, chunk_size))
        return real(self, chunk_size=chunk_size)

    monkeypatch.setattr(QuerySet, "iterator", watched)
    run_export(world)
    sources = sum(len(sources) for sources in registry.FHIR_TYPES.values())
    assert len(chunks) == sources and {size for _model, size in chunks} == {exports.CHUNK_ROWS}


def test_an_export_costs_the_same_queries_whatever_the_clinics_size(world):
    """Rows are read in chunks with what their mapping needs: more rows add no queries (below one chunk)."""
    def queries() -> int:
        job = exports.export_start(clinic=world.clinic_a, user=world.admin_a, types=exports.export_types(None))
        with CaptureQueriesContext(connection) as captured:
            assert exports.export_run(job_id=job.pk) == "done"
        exports.export_cancel(job=job)
        ExportJob.objects.filter(pk=job.pk).delete()
        return len(captured)

    fill(world, sessions=1)
    small = queries()
    walk = world.assignment_a1.exercises.order_by("order").first()
    for _ in range(20):
        SessionLogFactory(exercise=walk)
    PatientFactory(clinic=world.clinic_a, therapist=world.therapist_a)
    assert queries() == small


def test_a_written_plan_lets_go_of_its_prefetched_exercises_and_steps(world):
    """Prefetched rows link back to their parent (a cycle): the export breaks it, so memory stays one chunk."""
    plan = next(registry.RESOURCE_TYPES["CarePlan"].rows(world.clinic_a).iterator(chunk_size=10))
    exercises = list(plan.exercises.all())
    assert exercises and all("ladder_steps" in e._prefetched_objects_cache for e in exercises)
    exports.drop_prefetched(plan)
    assert plan._prefetched_objects_cache == {}
    assert all(e._prefetched_objects_cache == {} for e in exercises)
