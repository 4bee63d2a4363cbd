"""The patient's copy of their data on the phone, and a clinic admin's bulk export and erasure, in Chromium."""

import json
import shutil
from pathlib import Path

import pytest

from fhir.tests.support import use_export_storage
from patients.models import Patient
from tests.browser.conftest import check_page
from tests.browser.test_sign_in import sign_in
from tests.factories import SessionLogFactory

# Exports run in the server thread on commit (eager Celery), even where CI sets REDIS_URL.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_celery")]
SHOTS = Path("/work/shots")


def shot(page, name: str) -> None:
    if SHOTS.is_dir():
        page.screenshot(path=str(SHOTS / f"f18b-{name}.png"), full_page=True)


@pytest.fixture
def export_dir(settings, tmp_path):
    use_export_storage(settings, tmp_path / "exports")
    yield
    shutil.rmtree(tmp_path / "exports", ignore_errors=True)


def test_a_patient_downloads_their_data_from_the_phone(world, open_page):
    SessionLogFactory(exercise=world.assignment_a1.exercises.order_by("pk").first(), pain_during=3)
    page, watch = open_page(360, 740)
    sign_in(page, "a1@a.test")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.goto("/history/")
    page.get_by_role("link", name="Download my data").click()
    page.get_by_role("heading", name="Everything we hold about you").wait_for()
    assert page.get_by_role("heading", name="1 session").is_visible()
    check_page(page, watch, "my-data", 360)
    shot(page, "my-data")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download my data (FHIR file, JSON)").click()
    bundle = json.loads(Path(download.value.path()).read_text())
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    assert bundle["entry"][0]["resource"]["id"] == str(world.patient_a1.pk)


def test_an_admin_exports_the_clinic_and_erases_a_patient(world, open_page, export_dir):
    patient = world.patient_a2
    patient.external_ref = "MRN-42"
    patient.save()
    page, watch = open_page(1280, 800)
    sign_in(page, "admin@a.test")

    page.goto("/clinic/exports/")
    page.get_by_text("No exports yet").wait_for()
    page.get_by_role("button", name="Start an export").click()
    page.get_by_text("Export started").wait_for()
    link = page.get_by_role("link", name="Patient (2)")
    link.wait_for()
    check_page(page, watch, "fhir-exports", 1280)
    shot(page, "exports")
    with page.expect_download() as download:
        link.click()
    lines = Path(download.value.path()).read_text().splitlines()
    assert len(lines) == 2 and all(json.loads(line)["resourceType"] == "Patient" for line in lines)

    page.goto(f"/patients/{patient.pk}/")
    page.get_by_role("link", name="Erase…").click()
    page.get_by_text("This cannot be undone.").wait_for()
    check_page(page, watch, "patient-erase", 1280)
    page.get_by_label("Type it again to confirm").fill("MRN-41")
    page.get_by_role("button", name="Erase this patient").click()
    page.get_by_text("Type the patient's external reference exactly").wait_for()
    shot(page, "erase-refused")
    assert Patient.objects.filter(pk=patient.pk).exists()
    page.get_by_label("Type it again to confirm").fill("MRN-42")
    page.get_by_role("button", name="Erase this patient").click()
    page.get_by_text("The patient was erased").wait_for()
    shot(page, "erased")
    assert not Patient.objects.filter(pk=patient.pk).exists()
    assert page.get_by_role("rowheader", name="Arlo Avery").count() == 0
