"""The Bulk Data endpoints: kick-off, polling, the manifest, files, cancel; who may and may not reach them."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from clinic.models import AuditEvent
from fhir import exports
from fhir.models import ExportJob
from fhir.tests.support import finished_export, use_export_storage
from tests.api.support import api  # noqa: F401 - fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]

ASYNC = {"HTTP_PREFER": "respond-async", "HTTP_ACCEPT": "application/fhir+json"}


@pytest.fixture(autouse=True)
def _storage(settings, tmp_path):
    use_export_storage(settings, tmp_path / "exports")


def kick_off(client, capture, url="/fhir/R4/$export", **params):
    with capture(execute=True):  # the task is sent on commit; eager Celery runs it right there
        return client.get(url, params, **ASYNC)


def path_of(url: str) -> str:
    return url.removeprefix("http://testserver")


def test_an_export_from_kick_off_to_files(api, world, django_capture_on_commit_callbacks):
    client = api("key_a")
    response = kick_off(client, django_capture_on_commit_callbacks)
    assert response.status_code == 202, response.content
    status_url = response["Content-Location"]
    assert status_url.startswith("http://testserver/fhir/R4/$export-status/")

    done = client.get(path_of(status_url))
    assert done.status_code == 200 and done["Content-Type"].startswith("application/fhir+json")
    manifest = done.json()
    assert manifest["requiresAccessToken"] is True and manifest["error"] == []
    assert manifest["request"].endswith("/fhir/R4/$export") and manifest["transactionTime"]
    counts = {item["type"]: item["count"] for item in manifest["output"]}
    assert counts["Patient"] == 2 and counts["Organization"] == 1 and counts["CarePlan"] == 2

    patients = client.get(path_of(next(o["url"] for o in manifest["output"] if o["type"] == "Patient")))
    assert patients.status_code == 200 and patients["Content-Type"] == "application/fhir+ndjson"
    lines = [json.loads(line) for line in b"".join(patients.streaming_content).decode().splitlines()]
    assert {line["id"] for line in lines} == {str(world.patient_a1.pk), str(world.patient_a2.pk)}

    event = AuditEvent.objects.filter(route="fhir:export").get()
    assert event.actor_role == "api_key" and event.detail["patients"] == 2 and "Patient" in event.detail["types"]
    assert AuditEvent.objects.filter(route="fhir:export-file").count() == 1


def test_type_and_since_are_honoured_and_checked(api, django_capture_on_commit_callbacks):
    client = api("therapist_a")
    response = kick_off(client, django_capture_on_commit_callbacks, _type="Patient,Flag",
                        _since=(timezone.now() - dt.timedelta(days=1)).isoformat())
    assert response.status_code == 202
    manifest = client.get(path_of(response["Content-Location"])).json()
    assert [item["type"] for item in manifest["output"]] == ["Patient", "Flag"]

    for params, words in (({"_type": "Patient,Bogus"}, "Unsupported resource type: Bogus"),
                          ({"_since": "last week"}, "instant"),
                          ({"_outputFormat": "text/csv"}, "NDJSON")):
        refused = kick_off(client, django_capture_on_commit_callbacks, **params)
        assert refused.status_code == 400
        body = refused.json()
        assert body["resourceType"] == "OperationOutcome" and words in body["issue"][0]["diagnostics"]


def test_kick_off_needs_prefer_respond_async(api):
    response = api("admin_a").get("/fhir/R4/$export")
    assert response.status_code == 400
    assert "respond-async" in response.json()["issue"][0]["diagnostics"]
    assert not ExportJob.objects.exists()


@pytest.mark.parametrize("role, status", [("anonymous", 401), ("revoked_key_a", 401), ("patient_a1", 403)])
def test_nobody_and_patients_are_refused(api, role, status):
    response = api(role).get("/fhir/R4/$export", **ASYNC)
    assert response.status_code == status
    assert response.json()["resourceType"] == "OperationOutcome"
    assert not ExportJob.objects.exists()


def test_polling_a_running_job_says_how_far_it_is(api, world, django_capture_on_commit_callbacks):
    client = api("therapist_a")
    with django_capture_on_commit_callbacks(execute=False):
        response = client.get("/fhir/R4/$export", **ASYNC)
    ExportJob.objects.update(status="running", progress="Observation 40/120")
    polled = client.get(path_of(response["Content-Location"]))
    assert polled.status_code == 202
    assert polled["X-Progress"] == "Observation 40/120" and polled["Retry-After"] == "5"


def test_one_export_at_a_time_per_clinic(api, world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        assert api("therapist_a").get("/fhir/R4/$export", **ASYNC).status_code == 202
    busy = api("key_a").get("/fhir/R4/$export", **ASYNC)
    assert busy.status_code == 429 and busy["Retry-After"] == str(exports.RETRY_AFTER_BUSY)
    assert api("therapist_b").get("/fhir/R4/$export", **ASYNC).status_code == 202  # clinic B is not held up


def test_a_failed_job_answers_500_with_its_reason(api, world):
    job, _file = finished_export(world.clinic_a, user=world.therapist_a)
    ExportJob.objects.filter(pk=job.pk).update(status="failed", error="The export stopped several times.")
    response = api("therapist_a").get(f"/fhir/R4/$export-status/{job.pk}")
    assert response.status_code == 500
    assert response.json()["issue"][0]["diagnostics"] == "The export stopped several times."


def test_status_and_files_are_the_callers_alone(api, world):
    job, export_file = finished_export(world.clinic_a, user=world.therapist_a)
    status_url = f"/fhir/R4/$export-status/{job.pk}"
    file_url = f"{status_url}/files/{export_file.pk}"
    assert api("therapist_a").get(status_url).status_code == 200
    assert api("therapist_a").get(file_url).status_code == 200
    for role in ("admin_a", "key_a", "therapist_b", "key_b"):  # same clinic, other caller; other clinic
        assert api(role).get(status_url).status_code == 404, role
        assert api(role).get(file_url).status_code == 404, role
        assert api(role).delete(status_url).status_code == 404, role
    assert api("patient_a1").get(file_url).status_code == 403
    assert api("anonymous").get(file_url).status_code == 401


def test_a_key_reads_only_its_own_exports(api, world):
    from clinic.services import api_key_create

    key, _raw = api_key_create(clinic=world.clinic_a, name="Another system")
    job, export_file = finished_export(world.clinic_a, api_key=key)
    assert api("key_a").get(f"/fhir/R4/$export-status/{job.pk}").status_code == 404


def test_cancel_deletes_the_files_and_the_status(api, world, django_capture_on_commit_callbacks):
    client = api("key_a")
    response = kick_off(client, django_capture_on_commit_callbacks, _type="Patient")
    status_url = path_of(response["Content-Location"])
    job = ExportJob.objects.get()
    names = list(job.files.values_list("name", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(status_url).status_code == 202
    assert client.get(status_url).status_code == 404
    assert not any(exports.export_storage().exists(name) for name in names)
    assert not AuditEvent.objects.filter(route="fhir:export-status").exists()  # polls and cancels: no patient data


def test_expired_exports_answer_404(api, world):
    job, export_file = finished_export(world.clinic_a, user=world.therapist_a)
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    client = api("therapist_a")
    assert client.get(f"/fhir/R4/$export-status/{job.pk}").status_code == 404
    assert client.get(f"/fhir/R4/$export-status/{job.pk}/files/{export_file.pk}").status_code == 404


def test_a_group_is_a_therapists_caseload_of_this_clinic(api, world, django_capture_on_commit_callbacks):
    from tests.factories import PatientFactory

    other = PatientFactory(clinic=world.clinic_a, therapist=world.admin_a)
    client = api("key_a")
    response = kick_off(client, django_capture_on_commit_callbacks, f"/fhir/R4/Group/{world.admin_a.pk}/$export",
                        _type="Patient")
    assert response.status_code == 202
    output = client.get(path_of(response["Content-Location"])).json()["output"]
    lines = b"".join(client.get(path_of(output[0]["url"])).streaming_content).decode().splitlines()
    assert [json.loads(line)["id"] for line in lines] == [str(other.pk)]
    for group in (world.therapist_b.pk, 10**9):  # another clinic's therapist, nobody
        refused = client.get(f"/fhir/R4/Group/{group}/$export", **ASYNC)
        assert refused.status_code == 404 and refused.json()["resourceType"] == "OperationOutcome"


def test_polling_costs_a_fixed_number_of_queries(api, world, django_assert_max_num_queries):
    job, _file = finished_export(world.clinic_a, user=world.therapist_a)
    for _ in range(5):
        finished_export(world.clinic_a, user=world.therapist_a)
    client = api("therapist_a")
    with django_assert_max_num_queries(12):
        assert client.get(f"/fhir/R4/$export-status/{job.pk}").status_code == 200


def test_the_capability_statement_offers_export(api):
    statement = api("anonymous").get("/fhir/R4/metadata").json()
    assert {"name": "export", "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export"} in \
        statement["rest"][0]["operation"]
