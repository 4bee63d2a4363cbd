"""A patient chooses Spanish on a 360 px phone, and a German patient types a decimal comma on the log page."""

from decimal import Decimal

import pytest

from patients.models import Patient, SessionLog
from tests.browser.conftest import check_page
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_celery")]


def sign_in_patient(page, world):
    user = world.patient_a1.user
    user.set_password(PASSWORD)
    user.save()
    page.goto("/accounts/login/")
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/today/")


def test_a_patient_switches_their_phone_to_spanish(world, open_page):
    page, watch = open_page(360, 740)
    sign_in_patient(page, world)
    page.get_by_role("button", name="Show menu").click()
    page.get_by_role("link", name="Language").click()
    page.get_by_role("heading", name="Language", exact=True).wait_for()
    check_page(page, watch, "r20-language", 360)
    page.get_by_label("Español").check()
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Idioma guardado.").wait_for()
    assert page.locator("html").get_attribute("lang") == "es"
    assert Patient.objects.get(pk=world.patient_a1.pk).language == "es"
    check_page(page, watch, "r20-language-es", 360)


def test_a_german_patient_steps_and_types_a_decimal_comma(world, open_page):
    Patient.objects.filter(pk=world.patient_a1.pk).update(language="de")
    page, watch = open_page(360, 740)
    sign_in_patient(page, world)
    page.goto("/log/")
    walk = world.assignment_a1.exercises.get(order=0, phase__order=0)
    page.locator("#id_exercise").select_option(str(walk.pk))
    speed = page.locator("#id_speed_kmh")
    assert speed.input_value() == "2,5"  # the plan's speed, the German way
    page.locator("[data-logged='speed_kmh'] .bs-step-up").click()
    assert speed.input_value() == "2,6"  # the + button keeps the comma
    speed.fill("3,5")
    page.locator("label[for='id_pain_during-2']").click()
    page.locator("label[for='id_pain_after-1']").click()
    page.locator("form[data-offline] button[type='submit']").last.click()
    page.wait_for_url("**/log/*/")
    assert SessionLog.objects.get(patient=world.patient_a1).speed_kmh == Decimal("3.5")
