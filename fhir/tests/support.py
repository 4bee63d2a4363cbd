"""Test helpers of bulk exports: a private export folder per test, and a small registry of two types."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from fhir import exports, registry
from fhir.models import ExportFile, ExportJob
from patients.models import Patient, SessionLog


def finished_export(clinic, *, api_key=None, user=None, lines: int = 2) -> tuple[ExportJob, ExportFile]:
    """A done export of `clinic` by `api_key` or `user`, with one stored Patient file of `lines` lines."""
    now = timezone.now()
    job = ExportJob.objects.create(clinic=clinic, api_key=api_key, requested_by=user, types=["Patient"],
                                   status=ExportJob.Status.DONE, transaction_time=now, finished_at=now,
                                   expires_at=now + dt.timedelta(hours=24), request_url="http://testserver/x")
    body = "".join(json.dumps({"resourceType": "Patient", "id": str(i)}) + "\n" for i in range(lines)).encode()
    name = exports.export_storage().save(f"job-{job.pk}/patients.ndjson", ContentFile(body))
    return job, ExportFile.objects.create(job=job, resource_type="Patient", name=name, count=lines, size=len(body))


def use_export_storage(settings, folder: Path) -> None:
    settings.STORAGES = {**settings.STORAGES, "fhir_exports": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(folder), "base_url": None}}}


@dataclass(frozen=True)
class FakeType:
    """The registry's interface (name, rows, to_fhir, last_updated) over two real tables."""

    name: str
    model: type

    def rows(self, clinic, *, patient_ids=None, since=None):
        lookup = "pk" if self.model is Patient else "patient_id"
        rows = self.model.objects.filter(**{"clinic" if self.model is Patient else "patient__clinic": clinic})
        if patient_ids is not None:
            rows = rows.filter(**{f"{lookup}__in": patient_ids})
        if since is not None and self.model is SessionLog:
            rows = rows.filter(created_at__gte=since)
        return rows.order_by("pk")

    def to_fhir(self, row) -> dict:
        return {"resourceType": self.name, "id": str(row.pk)}

    def last_updated(self, row):
        return None


FAKE_TYPES = {"Patient": FakeType("Patient", Patient), "Observation": FakeType("Observation", SessionLog)}


@pytest.fixture
def fake_registry(monkeypatch, settings, tmp_path):
    """Bulk exports over FAKE_TYPES, into a folder of this test's own."""
    monkeypatch.setattr(registry, "RESOURCE_TYPES", FAKE_TYPES)
    monkeypatch.setattr(registry, "FHIR_TYPES", {name: (kind,) for name, kind in FAKE_TYPES.items()})
    use_export_storage(settings, tmp_path / "exports")
    return FAKE_TYPES
