"""A clinic admin imports licensed questionnaire wording in a real browser: refused, confirmed, listed."""

import pytest

from outcomes.models import ImportedQuestionnaire
from outcomes.tests.fixtures import FIXTURES
from tests.browser.conftest import check_page
from tests.browser.test_sign_in import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH = 1280
REFUSED = "Failed to load resource: the server responded with a status of 400 (Bad Request)"


def expect_refusal(watch):
    """A refused import answers 400 (so the audit trail records it as refused); the browser logs that."""
    assert watch.console_errors == [REFUSED]
    watch.console_errors.clear()


def test_admin_imports_a_questionnaire_confirming_the_instrument(world, open_page):
    page, watch = open_page(WIDTH, 800)
    sign_in(page, "admin@a.test")
    page.get_by_role("heading", name="Patients").wait_for()
    page.goto("/outcomes/questionnaires/")
    page.get_by_role("heading", name="No questionnaires imported yet").wait_for()
    check_page(page, watch, "o17a-questionnaires-empty", WIDTH)

    page.get_by_role("link", name="Import a questionnaire").first.click()
    page.get_by_role("heading", name="Import a questionnaire").wait_for()
    page.get_by_label("FHIR R4 Questionnaire (JSON)").set_input_files(str(FIXTURES / "lefs_unmatched_linkids.json"))
    page.get_by_role("button", name="Import").click()
    page.get_by_text("Backstep cannot tell which instrument this questionnaire is").wait_for()
    expect_refusal(watch)
    check_page(page, watch, "o17a-questionnaire-confirm", WIDTH)
    assert not ImportedQuestionnaire.objects.exists()

    page.get_by_label("Instrument").select_option("lefs")
    page.get_by_label("This is test wording, not the licensed text").check()
    page.get_by_role("button", name="Import").click()  # the file uploaded first is kept: no second upload
    page.get_by_role("alert").get_by_text("Imported the wording of LEFS").wait_for()
    row = page.get_by_role("row", name="LEFS (Lower Extremity Functional Scale)")
    assert row.get_by_text("Test wording — not the licensed text", exact=True).is_visible()
    check_page(page, watch, "o17a-questionnaires", WIDTH)
    imported = ImportedQuestionnaire.objects.get()
    assert imported.clinic == world.clinic_a and imported.is_test_wording


def test_a_file_that_differs_is_refused_naming_the_item(world, open_page, tmp_path):
    bad = tmp_path / "akps.json"
    bad.write_text((FIXTURES / "akps_test_wording.json").read_text().replace('"valueDecimal": 2', '"valueDecimal": 1'))
    page, watch = open_page(WIDTH, 800)
    sign_in(page, "admin@a.test")
    page.get_by_role("heading", name="Patients").wait_for()
    page.goto("/outcomes/questionnaires/import/")
    page.get_by_label("FHIR R4 Questionnaire (JSON)").set_input_files(str(bad))
    page.get_by_role("button", name="Import").click()
    page.get_by_text("Item K3 has the answer values").wait_for()
    expect_refusal(watch)
    check_page(page, watch, "o17a-questionnaire-refused", WIDTH)
