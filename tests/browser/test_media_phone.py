"""Exercise demonstrations and media in Debian's Chromium: the phone at 360 px shows each exercise's drawing at
the patient's incline, animated unless reduced motion is asked for (then the still key frame), loaded from this
site only and small; a therapist uploads a picture and patients see it in the drawing's place."""

import io
import os
import shutil
from pathlib import Path

import pytest
from PIL import Image

from exercise_media.tests.support import picture_bytes, use_storage
from patients.models import AssignedExercise
from tests.browser.conftest import check_page, screenshot
from tests.factories import PASSWORD, ExerciseTemplateFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_celery")]
PHONE = (360, 740)
# Screenshots people look at, beside the test artifacts (MEDIA_SHOTS=/some/folder to keep them elsewhere).
SHOTS = Path(os.environ.get("MEDIA_SHOTS", Path(__file__).resolve().parents[2] / "test-artifacts"))


def shot(page, name: str) -> None:
    screenshot(page, name)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_in(page, email):
    page.goto("/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


@pytest.fixture
def media_storage_dir(settings, tmp_path):
    use_storage(settings, tmp_path / "media")
    yield tmp_path / "media"
    shutil.rmtree(tmp_path / "media", ignore_errors=True)


@pytest.fixture
def at_level_three(world):
    """Patient A1's walk at its third level: 2.5 km/h on a 2.5 % incline."""
    walk = world.assignment_a1.exercises.get(phase__order=0, order=0)
    AssignedExercise.objects.filter(pk=walk.pk).update(current_step=2)
    return walk


def demonstration_frames(page, locator, pause_ms=450):
    first = locator.screenshot()
    page.wait_for_timeout(pause_ms)
    return first, locator.screenshot()


def test_today_shows_the_demonstration_at_the_patients_incline(world, at_level_three, open_page):
    page, watch = open_page(*PHONE)
    drawings = []
    page.on("response", lambda r: drawings.append(r) if "/demonstrations/" in r.url else None)
    sign_in(page, "a1@a.test")
    page.get_by_role("heading", name="Hello, Alma").wait_for()
    figure = page.locator("img.bs-demo").first
    figure.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=figure.element_handle())
    assert figure.get_attribute("src") == "/demonstrations/retro-treadmill-walk.svg?incline=2.5"
    assert "walks backwards uphill at a 2.5 % incline" in figure.get_attribute("alt")
    box = figure.bounding_box()
    assert 280 <= box["width"] <= 340  # the card's width at 360 px, never wider than the screen
    # The safety checklist before the first session, open; the explanation of retro walking, folded.
    assert page.locator("details[data-topic=first-session]").get_by_text("Safety clip").is_visible()
    assert page.locator("details[data-topic=retro-walking]").get_attribute("open") is None
    assert figure.evaluate("img => img.currentSrc").endswith("?incline=2.5")
    first, later = demonstration_frames(page, figure)
    assert first != later, "the drawing should move"
    (response,) = [r for r in drawings if "retro-treadmill-walk" in r.url]
    assert response.status == 200 and len(response.body()) < 8 * 1024
    check_page(page, watch, "media-today", PHONE[0])
    shot(page, "media-today-360")


def test_reduced_motion_shows_the_still_key_frame(world, at_level_three, open_page):
    page, watch = open_page(*PHONE)
    page.emulate_media(reduced_motion="reduce")
    sign_in(page, "a1@a.test")
    page.get_by_role("heading", name="Hello, Alma").wait_for()
    figure = page.locator("img.bs-demo").first
    figure.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=figure.element_handle())
    assert figure.evaluate("img => img.currentSrc").endswith("/demonstrations/retro-treadmill-walk.svg"
                                                               "?incline=2.5&still=1")
    first, later = demonstration_frames(page, figure)
    assert first == later, "reduced motion: the drawing stands still"
    assert watch.console_errors == [] and watch.foreign_requests == []
    shot(page, "media-today-reduced-motion-360")


def test_the_session_form_shows_how_the_chosen_exercise_is_done(world, at_level_three, open_page):
    page, watch = open_page(*PHONE)
    sign_in(page, "a1@a.test")
    page.get_by_role("heading", name="Hello, Alma").wait_for()
    page.get_by_role("link", name="Log this session").first.click()
    page.get_by_role("heading", name="Log a session").wait_for()
    page.get_by_text("See how it's done").click()
    walk_figure = page.locator(f"[data-figure-for='{at_level_three.pk}'] img.bs-demo")
    assert walk_figure.is_visible()
    quads = world.assignment_a1.exercises.get(phase__order=0, order=1)
    page.get_by_label("Exercise").select_option(str(quads.pk))
    assert not walk_figure.is_visible()
    check_page(page, watch, "media-log", PHONE[0])
    shot(page, "media-log-360")


def test_a_therapist_uploads_a_picture_and_the_patient_sees_it(world, open_page, media_storage_dir, settings):
    from patients.services import assignment_create
    from tests.factories import PatientFactory, UserFactory, make_protocol

    template = ExerciseTemplateFactory(clinic=world.clinic_a, name="Clinic A treadmill walk")
    protocol = make_protocol(clinic=world.clinic_a)
    walk_row = protocol.phases.get().exercises.get(order=0)
    walk_row.template = template
    walk_row.save()
    patient = PatientFactory(clinic=world.clinic_a, therapist=world.therapist_a, first_name="Noor",
                             user=UserFactory(email="noor@a.test"))
    import datetime as dt

    assignment_create(patient=patient, protocol=protocol, start_date=dt.date.today(), baseline_pain=2)

    page, watch = open_page(1280, 900)
    sign_in(page, "therapist@a.test")
    page.goto(f"/exercises/{template.pk}/media/")
    page.locator("input#id_file").set_input_files(files=[{
        "name": "IMG_2041.JPG", "mimeType": "image/jpeg", "buffer": picture_bytes(size=(1600, 1200))}])
    page.get_by_label("What it shows").fill("Our treadmill from the side, hand on the rail")
    page.get_by_role("button", name="Upload").click()
    page.get_by_text("Picture added. Its location and camera details were removed.").wait_for()
    shown = page.get_by_role("img", name="Our treadmill from the side, hand on the rail")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=shown.element_handle())
    check_page(page, watch, "media-template-page", 1280)
    shot(page, "media-template-page-1280")
    page.goto("/exercises/")
    thumbnail = page.locator("img.bs-thumb[alt='Our treadmill from the side, hand on the rail']")
    assert thumbnail.count() == 1
    shot(page, "media-library-1280")

    phone, phone_watch = open_page(*PHONE)
    sign_in(phone, "noor@a.test")
    phone.get_by_role("heading", name="Hello, Noor").wait_for()
    picture = phone.get_by_role("img", name="Our treadmill from the side, hand on the rail")
    picture.scroll_into_view_if_needed()
    phone.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=picture.element_handle())
    with Image.open(io.BytesIO(picture.screenshot())) as seen:
        assert seen.width <= PHONE[0]
    check_page(phone, phone_watch, "media-today-clinic-picture", PHONE[0])
    shot(phone, "media-today-clinic-picture-360")
