"""The exercise library and protocol builder in Chromium: clone the PFP protocol, edit its ladder, see the marker."""

import re

import pytest

from protocols.models import LadderStep, Protocol
from protocols.services import library_install
from tests.browser.conftest import check_page
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PFP = "pfp-retro-incline-6-weeks"


def sign_in(page, email="therapist@a.test"):
    page.goto("/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Patients").wait_for()


def test_clone_the_pfp_protocol_and_adjust_its_ladder(world, open_page):
    library_install()
    builtin = Protocol.objects.get(clinic=None, slug=PFP)
    page, watch = open_page(1280, 800)
    sign_in(page)

    page.goto("/exercises/")
    page.get_by_role("heading", name="Exercise library").wait_for()
    assert page.get_by_role("link", name="Retro treadmill walk", exact=True).is_visible()
    check_page(page, watch, "builder-library", 1280)

    page.goto("/protocols/")
    page.get_by_role("heading", name="Protocols", exact=True).wait_for()
    check_page(page, watch, "builder-list", 1280)
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=builtin.name, exact=True))
    row.get_by_role("button", name=re.compile("^Clone")).click()
    page.get_by_text("Copied into your clinic").wait_for()
    clone = Protocol.objects.get(clinic=world.clinic_a, cloned_from=builtin)
    assert page.url.endswith(f"/protocols/{clone.pk}/")

    phase_one = page.get_by_role("region", name="Phase 1: Settle and start")
    # Step 2 of the walk: 2.5 km/h · 0 % · 15 min -> 17 min (still one change per step).
    phase_one.get_by_role("link", name="Edit step 2 (Retro treadmill walk)", exact=True).click()
    page.get_by_role("heading", name="Step 2 of Retro treadmill walk").wait_for()
    page.get_by_label("Duration (min)").fill("17")
    page.get_by_role("button", name="Save step").click()
    page.get_by_text("Step 2 saved: 2.5 km/h · 0 % · 17 min.").wait_for()
    assert not page.get_by_text("Needs therapist override — the engine will hold here").count()

    # Step 7 (2.5 km/h · 10 % · 20 min) made steeper than 10 %: allowed, and marked.
    phase_one = page.get_by_role("region", name="Phase 1: Settle and start")
    phase_one.get_by_role("link", name="Edit step 7 (Retro treadmill walk)", exact=True).click()
    page.get_by_label("Incline (%)").fill("12.5")
    page.get_by_role("button", name="Save step").click()
    page.get_by_text("Step 7 needs a therapist override").wait_for()
    step_row = page.locator("tr.bs-step-override")
    assert step_row.count() == 1
    assert step_row.get_by_text("Needs therapist override — the engine will hold here").is_visible()
    assert step_row.get_by_text("Incline above 10 %.").is_visible()
    check_page(page, watch, "builder-detail", 1280)

    walk = LadderStep.objects.filter(exercise__phase__protocol=clone, exercise__phase__order=0).order_by("order")
    assert [(s.incline_pct, s.duration_min) for s in walk][1] == (0, 17)
    assert float(walk[6].incline_pct) == 12.5
    builtin_walk = LadderStep.objects.filter(exercise__phase__protocol=builtin, exercise__phase__order=0)
    assert not builtin_walk.filter(duration_min=17).exists()


def test_ladder_preview_then_save(world, open_page):
    library_install()
    page, watch = open_page(1280, 800)
    sign_in(page)
    builtin = Protocol.objects.get(clinic=None, slug=PFP)
    page.goto(f"/protocols/{builtin.pk}/")
    page.get_by_role("button", name="Clone into my clinic to edit").click()
    page.get_by_text("Copied into your clinic").wait_for()
    page.get_by_role("link", name="Regenerate ladder (Retro treadmill walk)").first.click()
    page.get_by_label("Incline cap (%)").fill("5")
    page.get_by_role("button", name="Preview ladder").click()
    page.get_by_role("heading", name="Preview — not saved yet").wait_for()
    check_page(page, watch, "builder-ladder-preview", 1280)
    # Changing a value after the preview disables saving until the next preview.
    page.get_by_label("Incline cap (%)").fill("7.5")
    assert page.get_by_role("button", name=re.compile("^Save this ladder")).is_disabled()
    page.get_by_role("button", name="Preview ladder").click()
    page.get_by_role("button", name=re.compile("^Save this ladder")).click()
    page.get_by_text(re.compile(r"Ladder saved: \d+ steps\.")).wait_for()
    assert watch.console_errors == [] and watch.foreign_requests == []


def test_builder_forms_are_accessible(world, open_page):
    """Template form (ladder fields only for treadmill kinds), new protocol, phase, exercise and step forms."""
    library_install()
    page, watch = open_page(1280, 800)
    sign_in(page)

    page.goto("/exercises/new/")
    page.get_by_role("heading", name="New exercise template").wait_for()
    ladder_fields = page.locator(".bs-ladder-fields")
    assert ladder_fields.is_hidden()  # no kind chosen yet
    page.get_by_label("Kind").select_option("retro_treadmill_walk")
    assert ladder_fields.is_visible()
    page.get_by_label("Name").fill("Clinic retro walk")
    page.get_by_label("Speed cap (km/h)").fill("2.0")
    page.get_by_label("Patient instructions").fill("Walk backwards, holding the rail lightly.")
    page.get_by_role("button", name="Save template").click()
    page.get_by_text("The speed cap must be at least the start speed (2.5 km/h).").wait_for()
    check_page(page, watch, "builder-template-form", 1280)
    page.get_by_label("Kind").select_option("strength")
    assert ladder_fields.is_hidden()
    page.get_by_role("button", name="Save template").click()  # the hidden ladder values are not sent
    page.get_by_text("Exercise template “Clinic retro walk” created.").wait_for()
    check_page(page, watch, "builder-template-detail", 1280)

    page.goto("/protocols/new/")
    page.get_by_label("Name").fill("Our PFP plan")
    page.get_by_label("Condition").select_option("pfp")
    page.get_by_label("Planned training days per week").fill("15")
    page.get_by_role("button", name="Create protocol").click()
    page.get_by_text("Enter the planned training days per week, from 1 to 14.").wait_for()
    check_page(page, watch, "builder-protocol-form", 1280)
    page.get_by_label("Planned training days per week").fill("3")
    page.get_by_role("button", name="Create protocol").click()

    page.get_by_role("heading", name="Add a phase").wait_for()
    page.get_by_label("Name").fill("Settle")
    page.get_by_label("Expected weeks").fill("3")
    check_page(page, watch, "builder-phase-form", 1280)
    page.get_by_role("button", name="Add phase").click()
    page.get_by_text("Phase added").wait_for()
    page.get_by_role("link", name="Add an exercise to phase 1").click()
    page.get_by_label("Exercise template").select_option(label="Retro treadmill walk — Retro treadmill walk (built-in)")
    page.get_by_label("Times per week").fill("15")
    page.get_by_role("button", name="Add exercise").click()
    page.get_by_text("Enter how many times a week, from 1 to 14.").wait_for()
    check_page(page, watch, "builder-exercise-form", 1280)
    page.get_by_label("Times per week").fill("3")
    page.get_by_role("button", name="Add exercise").click()
    page.get_by_role("heading", name="Load ladder for Retro treadmill walk").wait_for()
    check_page(page, watch, "builder-ladder-form", 1280)
    page.get_by_role("link", name="Back to the protocol").click()
    page.get_by_role("link", name="Edit step 1 (Retro treadmill walk)", exact=True).click()
    page.get_by_label("Speed (km/h)").fill("25")
    page.get_by_role("button", name="Save step").click()
    page.get_by_text("Enter a value from 0 to 20 km/h.").wait_for()
    check_page(page, watch, "builder-step-form", 1280)
