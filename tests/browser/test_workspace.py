"""The therapist's workspace in Chromium: add and assign a patient, the patient page's charts, the inbox."""

import datetime as dt

import pytest

from patients.models import Assignment, Flag
from patients.services import assignment_create
from tests.api.support import progression_flag
from tests.browser.conftest import check_page, screenshot
from tests.factories import PASSWORD, MorningCheckInFactory, PatientFactory, SessionLogFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_celery")]
TODAY = dt.date.today()


def sign_in(page, email="therapist@a.test"):
    page.goto("/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Patients").wait_for()


def test_add_assign_and_follow_a_patient(world, open_page):
    page, watch = open_page(1280, 800)
    sign_in(page)
    check_page(page, watch, "workspace-list", 1280)
    page.get_by_role("link", name="Add a patient").click()
    page.get_by_label("First name").fill("Iris")
    page.get_by_label("Last name").fill("Quill")
    page.get_by_label("E-mail").fill("iris@patient.test")
    page.get_by_label("Condition").select_option("pfp")
    page.get_by_label("Affected side").select_option("right")
    check_page(page, watch, "workspace-new-patient", 1280)
    page.get_by_role("button", name="Add patient").click()
    page.get_by_role("heading", name="Assign a protocol to Iris Quill").wait_for()
    page.get_by_label("Protocol").select_option(index=1)
    page.locator("label[for=id_baseline_pain-3]").click()
    check_page(page, watch, "workspace-assign", 1280)
    page.get_by_role("button", name="Assign").click()
    page.get_by_role("heading", name="Iris Quill").wait_for()
    assert Assignment.objects.get(patient__first_name="Iris").baseline_pain == 3
    page.goto("/patients/")
    assert page.get_by_role("link", name="Iris Quill").is_visible()


def test_patient_page_draws_both_charts(world, open_page):
    exercise = world.assignment_a1.exercises.get(order=0, phase__order=0)
    for back, pain in ((9, 3), (6, 2), (2, 1)):
        SessionLogFactory(exercise=exercise, date=TODAY - dt.timedelta(days=back), pain_during=pain)
        MorningCheckInFactory(patient=world.patient_a1, date=TODAY - dt.timedelta(days=back - 1), pain=1)
    page, watch = open_page(1280, 900)
    sign_in(page)
    page.get_by_role("link", name="Alma Ashby").click()
    page.get_by_role("heading", name="Pain over time").wait_for()
    page.wait_for_function("() => window.Chart && Chart.getChart('pain-chart') && Chart.getChart('adherence-chart')")
    points = page.evaluate("Chart.getChart('pain-chart').data.datasets[0].data.filter(v => v !== null).length")
    bars = page.evaluate("Chart.getChart('adherence-chart').data.datasets[0].data.length")
    assert points == 3 and bars >= 3
    check_page(page, watch, "workspace-patient", 1280)


def test_approve_a_suggestion_in_the_inbox(world, open_page):
    from patients.services import assignments_check

    exercise = world.assignment_a1.exercises.get(order=0, phase__order=0)
    for back in (3, 1):
        SessionLogFactory(exercise=exercise, date=TODAY - dt.timedelta(days=back), pain_during=1)
        MorningCheckInFactory(patient=world.patient_a1, date=TODAY - dt.timedelta(days=back - 1), pain=1)
    assignments_check(assignment_ids=[world.assignment_a1.pk], today=TODAY)
    assert Flag.objects.filter(kind="progression", status="open").exists()
    page, watch = open_page(1280, 800)
    sign_in(page)
    page.get_by_role("link", name="Flags").click()
    page.get_by_role("heading", name="Flags").wait_for()
    check_page(page, watch, "workspace-inbox", 1280)
    page.get_by_role("button", name="Approve step up").click()
    page.get_by_text("Approved: the new step applies from today.").wait_for()
    exercise.refresh_from_db()
    assert exercise.current_step == 1


# -- Issue 13: the loop as the clinician lives it ----------------------------------------------------------------

# Each filter control shows its longest choice whole: the text's width fits inside the control's padding.
CUT_OFF_SELECTS = """() => [...document.querySelectorAll('.bs-filters select')].filter(select => {
  const style = getComputedStyle(select);
  const context = document.createElement('canvas').getContext('2d');
  context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  const widest = Math.max(...[...select.options].map(o => context.measureText(o.text).width));
  const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return widest > room;
}).map(select => select.id)"""
# Anything in the navigation bar that ends past the right edge of the window.
NAV_OVERFLOW = """() => [...document.querySelectorAll('.bs-navbar *')].filter(e => {
  const box = e.getBoundingClientRect();
  return box.width > 0 && box.right > window.innerWidth + 0.5;
}).map(e => e.outerHTML.slice(0, 80))"""


def many_patients(world, n=12):
    for i in range(n):
        patient = PatientFactory(clinic=world.clinic_a, therapist=world.therapist_a, first_name=f"Patient{i}",
                                 last_name="Longername-Double barrelled", external_ref=f"REF-{i:05d}")
        assignment_create(patient=patient, protocol=world.assignment_a1.protocol,
                          start_date=world.assignment_a1.start_date, baseline_pain=1)


@pytest.mark.parametrize("width", [1366, 768, 360])
def test_the_patient_list_reads_on_desktop_tablet_and_phone(world, open_page, width):
    many_patients(world)
    progression_flag(world.assignment_a1)
    page, watch = open_page(width, 900)
    sign_in(page)
    assert page.evaluate(NAV_OVERFLOW) == []
    assert page.evaluate(CUT_OFF_SELECTS) == []
    check_page(page, watch, "issue13-patient-list", width)  # no sideways scroll, axe, screenshot
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    if width >= 768:  # from a tablet up, the table itself fits too: every column without scrolling it
        assert page.evaluate("(t => t.scrollWidth <= t.clientWidth)(document.querySelector('.table-responsive'))")
    if width < 992:  # the menu is collapsed: open it, and the flag count is there
        page.get_by_role("button", name="Show menu").click()
        page.get_by_role("button", name="Sign out").wait_for()
        page.wait_for_function("() => !document.querySelector('.navbar-collapse.collapsing')")
        page.get_by_role("link", name="Flags 1 open flag").wait_for()
        assert page.evaluate(NAV_OVERFLOW) == []
        screenshot(page, f"issue13-patient-list-menu-{width}")
    else:
        assert page.get_by_role("link", name="Flags 1 open flag").is_visible()


def test_inbox_keeps_the_clinic_filter_names_the_patient_and_keeps_a_decline_reason(world, open_page):
    flag = progression_flag(world.assignment_a1)
    progression_flag(world.assignment_a2)
    page, watch = open_page(1280, 900)
    sign_in(page)
    page.get_by_role("link", name="Flags").first.click()
    page.get_by_label("Show", exact=True).select_option("all")
    page.get_by_role("button", name="Show", exact=True).click()
    page.wait_for_url("**/flags/?scope=all")
    page.get_by_label("Why decline the step up for Alma Ashby (optional)").fill("Swollen after Saturday's match")
    card = page.locator(f"article[aria-labelledby='flag-{flag.pk}']")
    card.get_by_role("button", name="Decline").click()
    page.get_by_text("Step up declined. — Alma Ashby").wait_for()
    assert page.url.endswith("/flags/?scope=all")
    assert page.get_by_label("Show", exact=True).input_value() == "all"
    flag.refresh_from_db()
    assert flag.resolution_note == "Declined. Swollen after Saturday's match"
    check_page(page, watch, "issue13-inbox-after-decline", 1280)


def test_the_patient_page_shows_a_note_marked_new_and_a_refused_measurement_in_view(world, open_page):
    exercise = world.assignment_a1.exercises.get(order=0, phase__order=0)
    SessionLogFactory(exercise=exercise, date=TODAY - dt.timedelta(days=1), pain_during=7, completed=False,
                      notes="Sharp pain under kneecap at minute 12")
    page, watch = open_page(1280, 800)
    sign_in(page)
    page.get_by_role("link", name="Flags").first.click()
    page.get_by_role("heading", name="New from patients").wait_for()
    screenshot(page, "issue13-inbox-new-notes-1280")
    page.locator(".bs-notes").get_by_role("link", name="Alma Ashby").click()
    page.get_by_role("heading", name="Sessions").wait_for()
    row = page.locator("tr.bs-new")
    assert row.count() == 1
    assert "Sharp pain under kneecap at minute 12" in row.inner_text() and "stopped early" in row.inner_text()
    assert "New" in row.inner_text()
    check_page(page, watch, "issue13-patient-note-new", 1280)
    # A refused measurement: the typed values stay and the field in error is focused, in view.
    page.get_by_label("Quadriceps LSI (%)").fill("250")
    page.get_by_label("Hop LSI (%)").fill("91")
    page.get_by_role("button", name="Save measurements").click()
    page.wait_for_function("() => document.activeElement && document.activeElement.name === 'quad_lsi_pct'")
    assert page.get_by_label("Quadriceps LSI (%)").input_value() == "250"
    assert page.get_by_label("Hop LSI (%)").input_value() == "91"
    # Bootstrap scrolls smoothly: wait for the focused field to arrive in view (it must, within the timeout).
    page.wait_for_function("""() => { const box = document.activeElement.getBoundingClientRect();
        return box.top >= 0 && box.bottom <= window.innerHeight; }""", timeout=5000)
    assert page.get_by_text("Ensure this value is less than or equal to 200.").is_visible()
    screenshot(page, "issue13-refused-measurement-1280")
