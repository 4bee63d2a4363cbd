"""A clinic admin sets the clinic's own change threshold in a real browser, then goes back to the default."""

from decimal import Decimal

import pytest

from outcomes.models import ClinicThreshold
from tests.browser.conftest import check_page
from tests.browser.test_sign_in import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1280, 390])
def test_admin_sets_and_resets_a_threshold(world, open_page, width):
    page, watch = open_page(width, 900)
    sign_in(page, "admin@a.test")
    page.get_by_role("heading", name="Patients").wait_for()
    page.goto("/outcomes/thresholds/")
    page.get_by_role("heading", name="Change thresholds").wait_for()
    check_page(page, watch, "thr-thresholds", width)

    page.get_by_label("Your clinic's threshold for SANE (Single Assessment Numeric Evaluation), Knee, % of normal") \
        .fill("15")
    page.get_by_role("row", name="SANE").get_by_role("button", name="Save").click()
    page.get_by_role("alert").get_by_text("Saved your clinic's threshold.").wait_for()
    assert ClinicThreshold.objects.get(clinic=world.clinic_a).important_change == Decimal(15)
    check_page(page, watch, "thr-thresholds-set", width)

    page.get_by_role("row", name="SANE").get_by_role("button", name="Use the default").click()
    page.get_by_role("alert").get_by_text("The default threshold is used again.").wait_for()
    assert not ClinicThreshold.objects.exists()
