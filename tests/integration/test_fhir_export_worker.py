"""The demo clinic exported with `$export` through a real Celery worker on Redis and PostgreSQL: every NDJSON
line is a valid FHIR R4B resource, references resolve inside the export, and the counts per type equal what
/api/v1/ lists for the same clinic."""

import datetime as dt
import json
import time

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from clinic.celery import enqueue
from clinic.models import Clinic
from clinic.services import api_key_create
from fhir import exports
from fhir.exports import export_storage
from fhir.models import ExportFile, ExportJob
from fhir.tests.fhir_world import validate

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

MEASURED = ("effusion", "quad_lsi_pct", "hop_lsi_pct", "rom_pct", "running_signoff")


@pytest.fixture
def on_postgres(require):
    require(connection.vendor == "postgresql", "needs PostgreSQL: the worker must share the test database")


@pytest.fixture
def export_files():
    """Files the worker wrote to the shared export storage, removed afterwards."""
    yield
    storage = export_storage()
    for name in ExportFile.objects.values_list("name", flat=True):
        if storage.exists(name):
            storage.delete(name)


def api_rows(client, resource: str) -> list[dict]:
    rows, url = [], f"/api/v1/{resource}/?page_size=500"
    while url:
        page = client.get(url).json()
        rows += page["results"]
        url = page["next"] and page["next"].removeprefix("http://testserver")
    return rows


def poll(client, status_url: str, timeout: float = 240.0):
    progress, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = client.get(status_url)
        if response.status_code != 202:
            return response, progress
        progress.append(response["X-Progress"])
        time.sleep(0.5)
    pytest.fail(f"the export did not finish within {timeout:.0f} s (last progress: {progress[-1:]})")


def test_the_demo_clinic_exports_through_a_worker(on_postgres, celery_worker_process, export_files):
    call_command("seed_demo")
    clinic = Clinic.objects.get(slug="demo-clinic")
    _key, raw = api_key_create(clinic=clinic, name="Registry")
    client = Client(HTTP_AUTHORIZATION=f"Api-Key {raw}")

    kicked = client.get("/fhir/R4/$export", HTTP_PREFER="respond-async", HTTP_ACCEPT="application/fhir+json")
    assert kicked.status_code == 202, kicked.content
    done, _progress = poll(client, kicked["Content-Location"].removeprefix("http://testserver"))
    assert done.status_code == 200, done.content
    manifest = done.json()

    resources: dict[str, list[dict]] = {}
    for output in manifest["output"]:
        response = client.get(output["url"].removeprefix("http://testserver"))
        assert response["Content-Type"] == "application/fhir+ndjson"
        lines = b"".join(response.streaming_content).decode().splitlines()
        assert len(lines) == output["count"]
        resources[output["type"]] = [json.loads(line) for line in lines]
        for resource in resources[output["type"]]:
            assert resource["resourceType"] == output["type"]
            validate(resource)

    patients = api_rows(client, "patients")
    measurements = api_rows(client, "measurements")
    measured_values = sum(1 for row in measurements for name in MEASURED
                          if row.get(name) not in (None, "", False))
    assert len(resources["Patient"]) == len(patients) > 0
    assert len(resources["CarePlan"]) == len(api_rows(client, "assignments"))
    assert len(resources["Flag"]) == len(api_rows(client, "flags"))
    responses = api_rows(client, "outcomes/responses")
    assert len(resources["QuestionnaireResponse"]) == len(responses) > 0
    # One Observation per session, check-in, measured value and stored questionnaire scale score.
    scale_scores = sum(len(row["scales"]) for row in responses)
    observations = (len(api_rows(client, "sessions")) + len(api_rows(client, "checkins")) + measured_values
                    + scale_scores)
    assert len(resources["Observation"]) == observations
    # A Questionnaire for every instrument answered.
    questionnaires = {r["id"].rsplit("-", 1)[0] for r in resources["Questionnaire"]}
    assert {row["instrument_id"] for row in responses} <= questionnaires
    assert {r["id"] for r in resources["Patient"]} == {str(p["id"]) for p in patients}

    # Every reference in the export points at a resource in it.
    present = {f"{kind}/{r['id']}" for kind, rows in resources.items() for r in rows}
    missing = {ref for rows in resources.values() for r in rows for ref in references(r)} - present
    assert not missing, sorted(missing)[:10]


def references(value):
    if isinstance(value, dict):
        if isinstance(value.get("reference"), str) and "/" in value["reference"]:
            yield value["reference"]
        for inner in value.values():
            yield from references(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from references(inner)


def test_a_job_whose_worker_died_is_resumed_by_the_sweep_on_a_real_worker(world, on_postgres, celery_worker_process,
                                                                          export_files):
    """A worker died after writing the Patient file: its claim is stale. The hourly sweep, run by a real worker,
    sends the job again; the new run keeps the Patient file and writes the other types."""
    job = exports.export_start(clinic=world.clinic_a, user=world.admin_a, types=["Patient", "CarePlan"])
    # export_start sent the job to the worker on commit; wait until it is done, then make it look half done.
    deadline = time.monotonic() + 60
    while ExportJob.objects.get(pk=job.pk).status != "done" and time.monotonic() < deadline:
        time.sleep(0.25)
    patient_file = job.files.get(resource_type="Patient")
    careplans = job.files.get(resource_type="CarePlan")
    export_storage().delete(careplans.name)
    careplans.delete()
    died = timezone.now() - exports.STALE_CLAIM - dt.timedelta(minutes=1)
    ExportJob.objects.filter(pk=job.pk).update(status="running", claim_token="dead-worker", claimed_at=died,
                                               expires_at=None, finished_at=None)

    enqueue("fhir.sweep_exports")
    deadline = time.monotonic() + 60
    while ExportJob.objects.get(pk=job.pk).status != "done" and time.monotonic() < deadline:
        time.sleep(0.25)
    job.refresh_from_db()
    assert (job.status, job.attempts, job.error) == ("done", 2, "")
    assert job.files.get(resource_type="Patient") == patient_file
    assert job.files.get(resource_type="CarePlan").count == 2
