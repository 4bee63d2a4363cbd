"""The pages: the patient's copy (own data only, audited), an admin's copy and erasure of a patient, the export list."""

from __future__ import annotations

import pytest
from django.urls import reverse

from clinic.models import AuditEvent
from fhir.tests.support import finished_export, use_export_storage
from patients.models import Patient
from tests.factories import SessionLogFactory

pytestmark = pytest.mark.django_db


def test_a_patient_reads_and_downloads_their_own_data_only(client, world, django_assert_max_num_queries):
    exercise = world.assignment_a1.exercises.order_by("pk").first()
    session = SessionLogFactory(exercise=exercise, pain_during=3)
    SessionLogFactory(exercise=world.assignment_a2.exercises.order_by("pk").first())
    client.force_login(world.patient_a1.user)
    with django_assert_max_num_queries(25):
        page = client.get(reverse("interop:my-data"))
    body = page.content.decode()
    assert page.status_code == 200 and world.patient_a1.last_name in body and world.patient_a2.last_name not in body
    assert "1 session" in body and "3/10" in body

    download = client.get(reverse("interop:my-data-bundle"))
    assert download["Content-Type"] == "application/fhir+json" and "attachment" in download["Content-Disposition"]
    bundle = download.json()
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    resources = [entry["resource"] for entry in bundle["entry"]]
    assert resources[0] == {**resources[0], "resourceType": "Patient", "id": str(world.patient_a1.pk)}
    assert any(r["resourceType"] == "Observation" and r["id"] == f"session-{session.pk}" for r in resources)
    patients = {r["id"] for r in resources if r["resourceType"] == "Patient"}
    assert patients == {str(world.patient_a1.pk)}
    assert all(entry["fullUrl"].startswith("http://testserver/fhir/R4/") for entry in bundle["entry"])
    events = AuditEvent.objects.filter(route__startswith="interop:my-data")
    assert [(e.route, e.patient_id) for e in events.order_by("id")] == [
        ("interop:my-data", world.patient_a1.pk), ("interop:my-data-bundle", world.patient_a1.pk)]


def test_an_admin_exports_then_erases_a_patient(client, world):
    patient = world.patient_a1
    patient.external_ref = "MRN-7"
    patient.save()
    patient_id = patient.pk
    client.force_login(world.admin_a)
    record = client.get(reverse("interop:patient-record", kwargs={"pk": patient.pk}))
    assert record.json()["entry"][0]["resource"]["id"] == str(patient.pk)

    url = reverse("interop:patient-erase", kwargs={"pk": patient.pk})
    page = client.get(url)
    assert "MRN-7" in page.content.decode() and "cannot be undone" in page.content.decode()
    wrong = client.post(url, {"confirmation": "MRN-8"})
    assert wrong.status_code == 400 and Patient.objects.filter(pk=patient.pk).exists()
    done = client.post(url, {"confirmation": "MRN-7"})
    assert done.status_code == 302 and done["Location"] == reverse("patients:list")
    assert not Patient.objects.filter(pk=patient_id).exists()
    erased = AuditEvent.objects.get(route="interop:patient-erase", method="POST", status_code=302)
    assert erased.patient_id == patient_id and erased.detail["erased"]["patient"] == 1
    assert "MRN-7" not in str(erased.detail)


@pytest.mark.parametrize("who", ["therapist_a", "therapist_b"])
def test_only_the_clinics_admins_erase(client, world, who):
    client.force_login(getattr(world, who))
    url = reverse("interop:patient-erase", kwargs={"pk": world.patient_a1.pk})
    assert client.post(url, {"confirmation": world.patient_a1.full_name}).status_code == 403
    assert Patient.objects.filter(pk=world.patient_a1.pk).exists()


def test_another_clinics_admin_cannot_find_the_patient(client, world):
    from clinic.models import Membership
    from tests.factories import MembershipFactory

    admin_b = MembershipFactory(clinic=world.clinic_b, role=Membership.Role.ADMIN).user
    client.force_login(admin_b)
    url = reverse("interop:patient-erase", kwargs={"pk": world.patient_a1.pk})
    assert client.post(url, {"confirmation": world.patient_a1.full_name}).status_code == 404
    assert client.get(reverse("interop:patient-record", kwargs={"pk": world.patient_a1.pk})).status_code == 404
    assert Patient.objects.filter(pk=world.patient_a1.pk).exists()


def test_the_export_page_lists_exports_and_starts_one(client, world, settings, tmp_path,
                                                     django_capture_on_commit_callbacks):
    use_export_storage(settings, tmp_path)
    client.force_login(world.admin_a)
    empty = client.get(reverse("interop:exports"))
    assert "No exports yet" in empty.content.decode()
    with django_capture_on_commit_callbacks(execute=False):
        started = client.post(reverse("interop:export-start"), {"group": ""})
    assert started.status_code == 302
    page = client.get(reverse("interop:exports")).content.decode()
    assert "Waiting for a worker" in page and 'http-equiv="refresh"' in page
    again = client.post(reverse("interop:export-start"), {"group": ""}, follow=True)
    assert "already running" in again.content.decode()


def test_the_export_page_links_only_the_admins_own_files(client, world, settings, tmp_path):
    use_export_storage(settings, tmp_path)
    mine, my_file = finished_export(world.clinic_a, user=world.admin_a)
    theirs, their_file = finished_export(world.clinic_a, user=world.therapist_a)
    client.force_login(world.admin_a)
    page = client.get(reverse("interop:exports")).content.decode()
    assert reverse("fhir:export-file", kwargs={"pk": mine.pk, "file_pk": my_file.pk}) in page
    assert reverse("fhir:export-file", kwargs={"pk": theirs.pk, "file_pk": their_file.pk}) not in page
