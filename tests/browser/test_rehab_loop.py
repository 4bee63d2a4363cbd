"""The rehab loop in Chromium at 1366, 768 and 360 px (issue 13): sets and reps on the phone, a correction
within 24 hours, going back keeps every choice, and the phase-change form's unmet-criteria warning."""

import datetime as dt

import pytest

from patients.models import PhaseVersion, SessionLog
from tests.browser.conftest import check_page
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_celery")]
SIZES = [(1366, 900), (768, 1024), (360, 740)]


def sign_in(page, email: str, heading: str):
    page.goto("/accounts/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name=heading).wait_for()


def pick(page, field: str, value: str):
    page.locator(f"label[for=id_{field}-{value}]").click()


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_strength_exercise_logged_in_sets_then_corrected(world, open_page, width, height):
    patient = world.patient_a1
    page, watch = open_page(width, height)
    sign_in(page, patient.user.email, "Hello, Alma")
    page.goto("/log/")
    page.get_by_label("Exercise").select_option(label="Quad sets")
    # Quad sets are logged in sets and reps: no minutes, speed or incline to fill in.
    assert page.get_by_role("spinbutton", name="Sets done").input_value() == "3"
    assert page.get_by_role("spinbutton", name="Reps in each set").input_value() == "10"
    assert not page.get_by_role("spinbutton", name="Minutes").is_visible()
    assert not page.get_by_role("spinbutton", name="Speed (km/h)").is_visible()
    page.get_by_role("button", name="Less: Reps in each set").click()
    page.get_by_role("button", name="Less: Reps in each set").click()
    pick(page, "pain_during", "3")
    pick(page, "pain_after", "2")
    pick(page, "rpe", "6")
    page.locator("label[for=completed-no]").click()
    page.get_by_label("Notes (optional)").fill("Thigh tired.")
    check_page(page, watch, "rehab-log-sets", width)
    page.get_by_role("button", name="Save session").click()
    page.get_by_role("heading", name="Session saved").wait_for()
    session = SessionLog.objects.get(patient=patient)
    assert (session.sets, session.reps, session.duration_min, session.pain_during) == (3, 8, None, 3)
    assert page.get_by_text("3 sets of 8 reps").is_visible()
    assert page.get_by_text("Your therapist sees this session with your plan").is_visible()
    check_page(page, watch, "rehab-saved-sets", width)

    # Going back to the form: every choice is still there, and saving it again stores nothing twice.
    page.go_back()
    page.get_by_role("heading", name="Log a session").wait_for()
    assert page.get_by_label("Exercise").input_value() == str(session.exercise_id)
    assert page.locator("#id_pain_during-3").is_checked() and page.locator("#id_pain_after-2").is_checked()
    assert page.locator("#id_rpe-6").is_checked() and page.locator("#completed-no").is_checked()
    assert page.get_by_label("Notes (optional)").input_value() == "Thigh tired."
    assert page.get_by_role("spinbutton", name="Reps in each set").input_value() == "8"
    page.get_by_role("button", name="Save session").click()
    page.get_by_role("heading", name="Session saved").wait_for()
    assert SessionLog.objects.filter(patient=patient).count() == 1

    # A correction within 24 hours.
    page.get_by_role("link", name="Correct this session").click()
    page.get_by_role("heading", name="Correct a session").wait_for()
    assert page.locator("#id_pain_during-3").is_checked() and page.locator("#completed-no").is_checked()
    check_page(page, watch, "rehab-correct", width)
    pick(page, "pain_during", "5")
    page.get_by_role("spinbutton", name="Reps in each set").fill("10")
    page.get_by_role("button", name="Save correction").click()
    page.get_by_text("Your correction is saved.").wait_for()
    session.refresh_from_db()
    assert (session.pain_during, session.reps, session.notes) == (5, 10, "Thigh tired.")
    assert page.get_by_text("3 sets of 10 reps").is_visible()


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_phase_change_warns_about_unmet_entry_criteria(world, open_page, width, height):
    from patients.services import assignment_create, measurement_record, patient_create
    from protocols.models import Protocol
    from protocols.services import library_install

    library_install()
    today = dt.date.today()
    patient = patient_create(clinic=world.clinic_a, therapist=world.therapist_a, first_name="Cy", last_name="Dunn",
                             condition="acl", side="right", surgery_date=today - dt.timedelta(weeks=12))
    assignment = assignment_create(
        patient=patient, protocol=Protocol.objects.get(slug="acl-retro-incline-phases-1-3"),
        start_date=today - dt.timedelta(weeks=8), baseline_pain=1)
    measurement_record(patient=patient, date=today, recorded_by=world.therapist_a, effusion="trace",
                       quad_lsi_pct=66, rom_pct=97)
    page, watch = open_page(width, height)
    sign_in(page, "therapist@a.test", "Patients")
    page.goto(f"/patients/{patient.pk}/")
    page.get_by_text("Move to another phase").click()
    form = page.locator("form.bs-phase-change")
    form.get_by_label("Move to phase").select_option(label="3. Return to retro running")
    criteria = form.locator(".bs-phase-criteria:visible")
    assert criteria.count() == 1  # only the chosen phase's criteria
    assert criteria.get_by_text("Not met: quadriceps LSI at least 70 % — now 66 %").is_visible()
    assert criteria.get_by_text("Not met: hop LSI at least 70 % — now not measured").is_visible()
    assert criteria.get_by_text("3 entry criteria are not met").is_visible()
    form.scroll_into_view_if_needed()
    check_page(page, watch, "rehab-phase-form", width)
    form.get_by_label("Reason").fill("Walking ladder finished.")
    form.get_by_role("button", name="Change phase").click()
    page.get_by_role("heading", name="Move to another phase").wait_for()
    assert page.get_by_text("Not yet met for “Return to retro running”").is_visible()
    assert form.get_by_label("Reason").input_value() == "Walking ladder finished."
    check_page(page, watch, "rehab-phase-refused", width)
    assert PhaseVersion.objects.filter(assignment=assignment).count() == 1
    form.get_by_label("Move anyway, although entry criteria are not met").check()
    form.get_by_role("button", name="Change phase").click()
    page.get_by_text("Phase changed.").wait_for()
    assert len(PhaseVersion.objects.filter(assignment=assignment).latest().unmet_criteria) == 3



def test_charts_show_words_whole_days_and_steps_up_and_down(world, open_page):
    from patients.services import step_change
    from tests.factories import MorningCheckInFactory, SessionLogFactory

    today = dt.date.today()
    exercise = world.assignment_a1.exercises.get(order=0, phase__order=0)
    for back, pain in ((9, 3), (6, 2), (2, 7)):
        SessionLogFactory(exercise=exercise, date=today - dt.timedelta(days=back), pain_during=pain)
        MorningCheckInFactory(patient=world.patient_a1, date=today - dt.timedelta(days=back - 1), pain=2)
    step_change(exercise=exercise, step=2, effective_date=today - dt.timedelta(days=6), source="therapist",
                reason="Up two.")
    step_change(exercise=exercise, step=1, effective_date=today - dt.timedelta(days=2), source="engine",
                reason="Pain above 5.")
    page, watch = open_page(1366, 900)
    sign_in(page, "therapist@a.test", "Patients")
    page.goto(f"/patients/{world.patient_a1.pk}/")
    page.wait_for_function("() => window.Chart && Chart.getChart('pain-chart') && Chart.getChart('adherence-chart')")
    pain = page.evaluate("""() => { const c = Chart.getChart('pain-chart');
        return {labels: c.data.labels, max: c.options.scales.y.max,
                morning: c.data.datasets[2].data, ups: c.data.datasets[3].data.filter(v => v !== null).length,
                downs: c.data.datasets[4].data.filter(v => v !== null).length,
                rotations: [c.data.datasets[3].rotation, c.data.datasets[4].rotation]}; }""")
    assert pain["max"] == 10 and pain["ups"] == 1 and pain["downs"] == 1 and pain["rotations"] == [0, 180]
    assert all("-" not in label for label in pain["labels"])  # "3 Dec", not "2026-12-03"
    assert pain["morning"] == [2, 2, 2]  # each on its session's day
    planned = page.evaluate("Chart.getChart('adherence-chart').data.datasets[1].data")
    assert planned and all(value == int(value) for value in planned)
    page.locator("#pain-h").scroll_into_view_if_needed()
    check_page(page, watch, "rehab-charts", 1366)
