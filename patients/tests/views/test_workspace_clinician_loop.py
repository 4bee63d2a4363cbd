"""The rehab loop as a clinician lives it (issue 13): what patients write reaches the therapist, marked when new;
refused forms keep what was typed; the inbox keeps its filter and names the patient; the invite buttons explain."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from patients.models import Flag, Measurement, PatientPageVisit
from patients.services import assignment_create, assignments_check, invitation_create
from tests.api.support import progression_flag
from tests.factories import PatientFactory, SessionLogFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]
TODAY = dt.date.today()
NOTE = "Sharp pain under kneecap at minute 12"


def walk(assignment):
    return assignment.exercises.get(order=0, phase__order=0)


def painful_session(world, **values):
    """The brief's patient: pain 7, stopped early, with a note; the checks raise a pain flag."""
    values = {"date": TODAY - dt.timedelta(days=1), "pain_during": 7, "completed": False, "notes": NOTE, **values}
    session = SessionLogFactory(exercise=walk(world.assignment_a1), **values)
    assignments_check(assignment_ids=[world.assignment_a1.pk], today=TODAY)
    return session


def detail(client, world):
    return client.get(reverse("patients:detail", args=[world.patient_a1.pk]))


def new_rows(response) -> list:
    return [s for s in response.context["sessions"] if s.is_new]


# -- 1. Notes reach the therapist ------------------------------------------------------------------------------


def test_the_patient_page_shows_the_note_and_stopped_early_marked_new_until_seen(client, world):
    painful_session(world)
    client.force_login(world.therapist_a)
    first = detail(client, world)
    body = first.content.decode()
    assert NOTE in body and "stopped early" in body
    assert len(new_rows(first)) == 1 and 'class="bs-new"' in body
    assert "this is your first visit, so every session is new to you" in body
    again = detail(client, world)
    assert NOTE in again.content.decode() and new_rows(again) == []
    assert "logged since you last opened this page (" in again.content.decode()
    later = SessionLogFactory(exercise=walk(world.assignment_a1), date=TODAY, notes="Fine today")
    third = detail(client, world)
    assert [s.pk for s in new_rows(third)] == [later.pk]


def test_new_is_per_staff_member(client, world):
    painful_session(world)
    client.force_login(world.admin_a)
    detail(client, world)  # the admin has seen it; the patient's therapist has not
    client.force_login(world.therapist_a)
    assert len(new_rows(detail(client, world))) == 1
    assert PatientPageVisit.objects.filter(patient=world.patient_a1).count() == 2


def test_the_inbox_lists_unseen_notes_until_the_patient_page_is_opened(client, world):
    painful_session(world)
    SessionLogFactory(exercise=walk(world.assignment_b1), date=TODAY, notes="Clinic B patient writes")
    client.force_login(world.therapist_a)
    inbox = client.get(reverse("patients:flags")).content.decode()
    assert "New from patients" in inbox and NOTE in inbox and "Alma Ashby" in inbox
    assert "Clinic B patient writes" not in inbox  # another clinic's note, never
    detail(client, world)
    inbox = client.get(reverse("patients:flags"))
    assert inbox.context["notes"] == [] and "New from patients" not in inbox.content.decode()
    # Still behind the flag, no longer marked new.
    flag = Flag.objects.get(kind="pain_red")
    behind = next(sessions for f, sessions, _open in inbox.context["items"] if f.pk == flag.pk)
    assert [s.notes for s in behind] == [NOTE] and not behind[0].is_new


def test_my_patients_scope_leaves_out_colleagues_notes(client, world):
    colleague_patient = PatientFactory(clinic=world.clinic_a, therapist=world.admin_a, first_name="Cole")
    plan = assignment_create(patient=colleague_patient, protocol=world.assignment_a1.protocol,
                             start_date=world.assignment_a1.start_date, baseline_pain=1)
    SessionLogFactory(exercise=walk(plan), date=TODAY, notes="Note from Cole")
    client.force_login(world.therapist_a)
    assert "Note from Cole" not in client.get(reverse("patients:flags")).content.decode()
    assert "Note from Cole" in client.get(reverse("patients:flags"), {"scope": "all"}).content.decode()


def test_the_evidence_behind_a_flag_shows_the_note_marked_new_and_opens_itself(client, world):
    painful_session(world)
    client.force_login(world.therapist_a)
    response = client.get(reverse("patients:flags"))
    flag = Flag.objects.get(kind="pain_red")
    sessions, opened = next((s, o) for f, s, o in response.context["items"] if f.pk == flag.pk)
    assert [s.notes for s in sessions] == [NOTE] and sessions[0].is_new and opened
    body = response.content.decode()
    article = body[body.index(f'aria-labelledby="flag-{flag.pk}"'):]
    article = article[:article.index("</article>")]
    assert NOTE in article and "<details class=\"mb-2\" open>" in article and "bs-badge-new" in article


def test_the_inbox_reads_a_fixed_number_of_queries(client, world):
    client.force_login(world.therapist_a)
    painful_session(world)
    client.get(reverse("patients:flags"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("patients:flags"))
    for back in range(2, 12):
        SessionLogFactory(exercise=walk(world.assignment_a1), date=TODAY - dt.timedelta(days=back), notes=f"n{back}")
        SessionLogFactory(exercise=walk(world.assignment_a2), date=TODAY - dt.timedelta(days=back), completed=False)
    assignments_check(assignment_ids=[world.assignment_a1.pk, world.assignment_a2.pk], today=TODAY)
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("patients:flags"))
    assert len(response.context["notes"]) == 20 and response.context["more_notes"]
    assert len(many) == len(few)


# -- 10. Refused forms keep what was typed --------------------------------------------------------------------


def test_a_refused_measurement_keeps_the_values_and_focuses_the_field_in_error(client, world):
    client.force_login(world.therapist_a)
    response = client.post(reverse("patients:measurement", args=[world.patient_a1.pk]),
                           {"date": TODAY.isoformat(), "effusion": "trace", "quad_lsi_pct": "250",
                            "hop_lsi_pct": "91"})
    assert response.status_code == 400 and not Measurement.objects.exists()
    body = response.content.decode()
    quad = body[body.index('name="quad_lsi_pct"') - 300:body.index('name="quad_lsi_pct"') + 400]
    assert 'value="250"' in quad and "autofocus" in quad and 'aria-invalid="true"' in quad
    assert "Ensure this value is less than or equal to 200" in body
    assert 'value="91"' in body and '<option value="trace" selected>' in body
    assert body.count("autofocus") == 1


def test_a_refused_level_change_reopens_its_panel_with_the_choice_kept(client, world):
    exercise = walk(world.assignment_a1)
    client.force_login(world.therapist_a)
    response = client.post(reverse("patients:step-change", args=[world.patient_a1.pk]),
                           {"exercise": exercise.pk, "step": "2", "reason": ""})
    assert response.status_code == 400 and exercise.step_versions.count() == 1
    body = response.content.decode()
    assert '<details class="mb-2" open><summary class="fw-semibold">Change a level by hand' in body
    assert response.context["step_form"].data["step"] == "2"
    reason = body[body.index('name="reason"') - 300:body.index('name="reason"') + 200]
    assert "autofocus" in reason


def test_a_refused_end_of_plan_keeps_the_chosen_ending(client, world):
    client.force_login(world.therapist_a)
    response = client.post(reverse("patients:end-plan", args=[world.patient_a1.pk]),
                           {"status": "stopped", "end_date": ""})
    assert response.status_code == 400
    body = response.content.decode()
    assert '<option value="stopped" selected>' in body and "<details open>" in body
    world.assignment_a1.refresh_from_db()
    assert world.assignment_a1.status == "active"


# -- 11. The inbox ----------------------------------------------------------------------------------------------


def test_acting_on_a_flag_keeps_the_filter_and_names_the_patient(client, world):
    flag = progression_flag(world.assignment_a1)
    client.force_login(world.admin_a)
    inbox = client.get(reverse("patients:flags"), {"scope": "all", "page": "1"}).content.decode()
    assert inbox.count('name="next" value="/flags/?scope=all&amp;page=1"') >= 3  # bulk, approve, decline
    response = client.post(reverse("patients:flag-action", args=[flag.pk]),
                           {"action": "acknowledge", "next": "/flags/?scope=all"})
    assert response.url == "/flags/?scope=all"
    page = client.get(response.url)
    messages = [str(m) for m in page.context["messages"]]
    assert messages == ["Flag acknowledged. — Alma Ashby"]
    assert page.context["scope"] == "all"


def test_declining_asks_for_an_optional_reason_and_keeps_it(client, world):
    flag = progression_flag(world.assignment_a1)
    other = progression_flag(world.assignment_a2)
    client.force_login(world.therapist_a)
    inbox = client.get(reverse("patients:flags")).content.decode()
    assert f'id="decline-{flag.pk}"' in inbox and "Reason for declining (optional)" in inbox
    client.post(reverse("patients:flag-action", args=[flag.pk]),
                {"action": "decline", "note": "Swelling after the weekend match"})
    client.post(reverse("patients:flag-action", args=[other.pk]), {"action": "decline", "note": ""})
    flag.refresh_from_db()
    other.refresh_from_db()
    assert (flag.status, flag.resolution_note) == ("resolved", "Declined. Swelling after the weekend match")
    assert (other.status, other.resolution_note) == ("resolved", "Declined.")


def test_bulk_confirmation_names_the_patients(client, world):
    ids = [progression_flag(world.assignment_a1).pk, progression_flag(world.assignment_a2).pk]
    client.force_login(world.therapist_a)
    page = client.post(reverse("patients:flag-bulk"), {"action": "acknowledge", "flag": ids}, follow=True)
    assert [str(m) for m in page.context["messages"]] == ["Flag acknowledged. — Alma Ashby, Arlo Avery"]


def test_the_navigation_counts_the_open_flags_of_the_inbox_as_it_opens(client, world):
    client.force_login(world.therapist_a)
    assert "open flag" not in client.get(reverse("patients:list")).content.decode()
    progression_flag(world.assignment_a1)
    acknowledged = progression_flag(world.assignment_a2)
    Flag.objects.filter(pk=acknowledged.pk).update(status="acknowledged")  # acknowledged flags are still open
    progression_flag(world.assignment_b1)  # another clinic's
    body = client.get(reverse("patients:list")).content.decode()
    assert '2<span class="visually-hidden"> open flags</span>' in body
    colleague = PatientFactory(clinic=world.clinic_a, therapist=world.admin_a)
    plan = assignment_create(patient=colleague, protocol=world.assignment_a1.protocol, start_date=TODAY,
                             baseline_pain=1)
    progression_flag(plan)
    # The therapist's inbox opens on their own patients; the admin's on the whole clinic.
    assert '2<span class="visually-hidden"> open flags</span>' in client.get(reverse("patients:list")).content.decode()
    client.force_login(world.admin_a)
    assert '3<span class="visually-hidden"> open flags</span>' in client.get(reverse("patients:list")).content.decode()
    client.force_login(world.patient_a1.user)
    assert "open flag" not in client.get(reverse("patients:today")).content.decode()


def test_the_patient_list_still_reads_thirteen_queries_with_the_flag_count(client, world,
                                                                            django_assert_max_num_queries):
    progression_flag(world.assignment_a1)
    client.force_login(world.therapist_a)
    # 12 reads and the audit trail's one INSERT of the patients the page showed (issue 12, point 4).
    with django_assert_max_num_queries(13):
        body = client.get(reverse("patients:list")).content.decode()
    assert '1<span class="visually-hidden"> open flag</span>' in body


# -- 13. The invite buttons ---------------------------------------------------------------------------------------


def test_the_invite_button_says_why_it_is_disabled(client, world):
    patient = PatientFactory(clinic=world.clinic_a, therapist=world.therapist_a, email="")
    client.force_login(world.therapist_a)
    body = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert 'disabled aria-describedby="invite-why"' in body
    assert "To invite, add the patient's e-mail address" in body


def test_revoke_is_offered_only_while_an_invitation_works(client, world):
    patient = PatientFactory(clinic=world.clinic_a, therapist=world.therapist_a, email="p@x.test")
    client.force_login(world.therapist_a)
    url = reverse("patients:detail", args=[patient.pk])
    assert "Revoke invitation" not in client.get(url).content.decode()
    invitation_create(patient=patient, send=False)
    body = client.get(url).content.decode()
    assert "Revoke invitation" in body and "Send a new invitation" in body
    client.post(reverse("patients:invite-revoke", args=[patient.pk]))
    assert "Revoke invitation" not in client.get(url).content.decode()
