"""The audit trail in a real browser: a therapist opens a patient, the clinic admin finds that read and filters."""

import pytest

from tests.browser.conftest import check_page
from tests.browser.test_sign_in import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1366, 1280, 390, 360])
def test_admin_sees_who_opened_a_patient_and_filters_by_patient(world, open_page, width):
    therapist, _watch = open_page(width, 800)
    sign_in(therapist, "therapist@a.test")
    therapist.goto(f"/patients/{world.patient_a1.pk}/")
    therapist.get_by_role("heading", name=world.patient_a1.full_name).first.wait_for()
    therapist.goto("/patients/?q=Alm")
    therapist.get_by_role("link", name=world.patient_a1.full_name).first.wait_for()

    page, watch = open_page(width, 800)
    sign_in(page, "admin@a.test")
    page.goto("/clinic/audit/")
    page.get_by_role("heading", name="Audit trail").wait_for()
    row = page.get_by_role("row").filter(has_text="patients:detail")
    assert row.count() == 1
    assert "viewed a patient page" in row.inner_text() and world.patient_a1.full_name in row.inner_text()
    # The list read names the patient it showed and that a search was made, never the words searched.
    # (Signing in lands on the patient list too: those reads are there, unsearched.)
    listed = page.get_by_role("row").filter(has_text="viewed the patient list").filter(has_text="searched")
    assert listed.count() == 1
    assert world.patient_a1.full_name in listed.inner_text() and "searched (3 characters)" in listed.inner_text()
    assert "Alm" not in listed.inner_text().replace(world.patient_a1.full_name, "")
    check_page(page, watch, "audit-trail", width)

    # Only this patient, then nothing written yet: the empty filter result says what to do.
    row.get_by_role("link", name="only this patient").click()
    page.get_by_text("event", exact=False).first.wait_for()
    assert "patient=" in page.url
    page.get_by_label("Action").select_option("write")
    page.get_by_role("button", name="Filter").click()
    page.get_by_role("heading", name="No events match these filters").wait_for()
    check_page(page, watch, "audit-trail-filtered-empty", width)
