"""The therapist's patient pages: list filters, patient page, assignment, manual changes, measurements, inbox."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from patients.models import Assignment, Flag, Measurement, Patient
from patients.services import assignments_check, invitation_create
from tests.factories import MorningCheckInFactory, PatientFactory, SessionLogFactory, make_protocol

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]
TODAY = dt.date.today()


def walk(assignment):
    return assignment.exercises.get(order=0, phase__order=0)


def test_create_patient_takes_the_clinic_from_the_therapist(client, world):
    client.force_login(world.therapist_a)
    data = {"first_name": "Ada", "last_name": "Lovel", "email": "ada@x.test", "external_ref": "X-1",
            "condition": "acl", "side": "left", "surgery_date": "", "therapist": world.therapist_a.pk,
            "clinic": world.clinic_b.pk}
    refused = client.post(reverse("patients:create"), data)
    assert "required after ACL reconstruction" in refused.content.decode()
    response = client.post(reverse("patients:create"), {**data, "surgery_date": "2026-08-01"})
    patient = Patient.objects.get(external_ref="X-1")
    assert response.url == reverse("patients:assign", args=[patient.pk])
    assert patient.clinic == world.clinic_a  # never from the form


def test_therapist_of_another_clinic_cannot_be_chosen(client, world):
    client.force_login(world.therapist_a)
    data = {"first_name": "Ada", "last_name": "L", "condition": "pfp", "side": "left",
            "therapist": world.therapist_b.pk}
    body = client.post(reverse("patients:create"), data).content.decode()
    assert "Select a valid choice" in body
    assert not Patient.objects.filter(first_name="Ada").exists()


def test_edit_patient_and_duplicate_reference(client, world):
    PatientFactory(clinic=world.clinic_a, external_ref="DUP")
    client.force_login(world.therapist_a)
    p = world.patient_a1
    data = {"first_name": "Alma", "last_name": "Ashby-Reed", "email": "", "external_ref": "DUP", "condition": "pfp",
            "side": "right", "therapist": world.therapist_a.pk}
    assert "Another patient of this clinic has this reference" in client.post(
        reverse("patients:edit", args=[p.pk]), data).content.decode()
    client.post(reverse("patients:edit", args=[p.pk]), {**data, "external_ref": "NEW"})
    p.refresh_from_db()
    assert (p.last_name, p.side, p.external_ref) == ("Ashby-Reed", "right", "NEW")


def test_assign_snapshots_a_protocol_and_blocks_a_second_plan(client, world):
    patient = PatientFactory(clinic=world.clinic_a, therapist=world.therapist_a)
    protocol = make_protocol()
    archived = make_protocol()
    archived.is_archived = True
    archived.save()
    other_clinic = make_protocol(clinic=world.clinic_b)
    client.force_login(world.therapist_a)
    page = client.get(reverse("patients:assign", args=[patient.pk])).content.decode()
    assert protocol.name in page and archived.name not in page and other_clinic.name not in page
    response = client.post(reverse("patients:assign", args=[patient.pk]),
                           {"protocol": protocol.pk, "start_date": TODAY.isoformat(), "baseline_pain": "3"})
    assert response.url == reverse("patients:detail", args=[patient.pk])
    assignment = Assignment.objects.get(patient=patient)
    assert assignment.baseline_pain == 3 and assignment.exercises.count() == 2
    again = client.get(reverse("patients:assign", args=[patient.pk])).content.decode()
    assert "is still running" in again


def test_assigning_an_acl_protocol_records_the_surgery_date(client, world):
    patient = PatientFactory(clinic=world.clinic_a, condition="acl", surgery_date=dt.date(2026, 6, 1))
    protocol = make_protocol(condition="acl")
    client.force_login(world.therapist_a)
    client.post(reverse("patients:assign", args=[patient.pk]),
                {"protocol": protocol.pk, "start_date": TODAY.isoformat(), "baseline_pain": "2",
                 "surgery_date": "2026-06-15"})
    patient.refresh_from_db()
    assert patient.surgery_date == dt.date(2026, 6, 15)
    assert Assignment.objects.filter(patient=patient).exists()


def test_patient_page_shows_plan_charts_and_history(client, world):
    exercise = walk(world.assignment_a1)
    SessionLogFactory(exercise=exercise, date=TODAY - dt.timedelta(days=2), pain_during=3)
    MorningCheckInFactory(patient=world.patient_a1, date=TODAY - dt.timedelta(days=1), pain=2)
    client.force_login(world.therapist_a)
    response = client.get(reverse("patients:detail", args=[world.patient_a1.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Current plan" in body and "2.5 km/h · 0 % · 10 min" in body
    assert 'id="pain-chart"' in body and 'id="adherence-chart"' in body
    chart = response.context["overview"].chart
    assert chart["during"] == [3] and chart["morning"] == [2]
    assert chart["weeks"]["labels"]


def test_patient_page_query_count_does_not_grow_with_history(client, world, django_assert_max_num_queries):
    client.force_login(world.therapist_a)
    url = reverse("patients:detail", args=[world.patient_a1.pk])
    exercise = walk(world.assignment_a1)
    SessionLogFactory(exercise=exercise, date=TODAY)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for back in range(1, 21):
        SessionLogFactory(exercise=exercise, date=TODAY - dt.timedelta(days=back))
        MorningCheckInFactory(patient=world.patient_a1, date=TODAY - dt.timedelta(days=back))
    # 23: the phase-change form's entry criteria read the latest measurement once (issue 13, point 6).
    # 24: the remote-monitoring panel reads the viewer's timer and the patient's enrolment in one query (issue 19;
    # an enrolled patient's panel is guarded in monitoring/tests/views/test_panel.py).
    with django_assert_max_num_queries(24):
        client.get(url)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_patient_pages_are_scoped(client, world):
    other = world.patient_b1
    client.force_login(world.therapist_a)
    for name in ("patients:detail", "patients:edit", "patients:assign", "patients:handout"):
        assert client.get(reverse(name, args=[other.pk])).status_code == 404
    for name in ("patients:step-change", "patients:phase-change", "patients:measurement", "patients:end-plan",
                 "patients:invite-revoke"):
        assert client.post(reverse(name, args=[other.pk]), {}).status_code == 404
    client.force_login(world.patient_a1.user)
    assert client.get(reverse("patients:detail", args=[world.patient_a1.pk])).status_code == 403
    assert client.get(reverse("patients:create")).status_code == 403


def test_manual_step_change_needs_a_reason(client, world):
    client.force_login(world.therapist_a)
    exercise = walk(world.assignment_a1)
    url = reverse("patients:step-change", args=[world.patient_a1.pk])
    client.post(url, {"exercise": exercise.pk, "step": 2, "reason": ""})
    assert exercise.step_versions.count() == 1
    client.post(url, {"exercise": exercise.pk, "step": 2, "reason": "Felt great"})
    version = exercise.step_versions.first()
    assert (version.step, version.source, version.changed_by, version.reason) == (2, "therapist", world.therapist_a,
                                                                                  "Felt great")


def test_measurements_are_recorded_and_recheck_the_plan(client, world):
    client.force_login(world.therapist_a)
    client.post(reverse("patients:measurement", args=[world.patient_a1.pk]),
                {"date": TODAY.isoformat(), "effusion": "trace", "quad_lsi_pct": "82.5", "rom_pct": "",
                 "hop_lsi_pct": ""})
    m = Measurement.objects.get(patient=world.patient_a1)
    assert (m.effusion, str(m.quad_lsi_pct), m.rom_pct, m.recorded_by) == ("trace", "82.5", None, world.therapist_a)
    response = client.post(reverse("patients:measurement", args=[world.patient_a1.pk]),
                           {"date": TODAY.isoformat(), "quad_lsi_pct": "500"}, follow=True)
    assert response.status_code == 400 and Measurement.objects.count() == 1
    assert response.context["measurement_form"].errors["quad_lsi_pct"]


def test_end_plan_then_assign_again(client, world):
    client.force_login(world.therapist_a)
    client.post(reverse("patients:end-plan", args=[world.patient_a1.pk]),
                {"status": "stopped", "end_date": TODAY.isoformat()})
    world.assignment_a1.refresh_from_db()
    assert (world.assignment_a1.status, world.assignment_a1.end_date) == ("stopped", TODAY)
    body = client.get(reverse("patients:assign", args=[world.patient_a1.pk])).content.decode()
    assert "is still running" not in body


def test_invitation_revoke(client, world):
    patient = PatientFactory(clinic=world.clinic_a, email="x@y.test")
    _inv, link = invitation_create(patient=patient, send=False)
    client.force_login(world.therapist_a)
    client.post(reverse("patients:invite-revoke", args=[patient.pk]))
    token = link.split("/invite/")[1].strip("/")
    client.logout()
    assert client.get(reverse("patients:invitation", args=[token])).status_code == 410


def test_handout_lists_the_plan_with_safety_notes(client, world):
    client.force_login(world.therapist_a)
    body = client.get(reverse("patients:handout", args=[world.patient_a1.pk])).content.decode()
    assert "Walk backwards at 2.5 km/h on a 0 % incline for 10 minutes" in body
    assert "Clip on the safety key" in body and "bs-print" in body


def test_list_filters_sorting_and_adherence(client, world):
    acl = PatientFactory(clinic=world.clinic_a, therapist=world.therapist_a, condition="acl",
                         surgery_date=dt.date(2026, 5, 1), last_name="Zed")
    SessionLogFactory(exercise=walk(world.assignment_a1), date=TODAY - dt.timedelta(days=1), pain_during=8)
    assignments_check(assignment_ids=[world.assignment_a1.pk], today=TODAY)
    client.force_login(world.therapist_a)
    body = client.get(reverse("patients:list"), {"condition": "acl"}).content.decode()
    assert "Zed" in body and "Ashby" not in body
    body = client.get(reverse("patients:list"), {"severity": "urgent"}).content.decode()
    assert "Ashby" in body and "Avery" not in body
    body = client.get(reverse("patients:list"), {"sort": "flags"}).content.decode()
    assert body.index("Ashby") < body.index("Avery")
    body = client.get(reverse("patients:list"), {"therapist": world.admin_a.pk}).content.decode()
    assert "No patients match these filters" in body
    response = client.get(reverse("patients:list"))
    adherence = {p.last_name: a for p, _steps, a in response.context["rows"]}
    # 1 day trained in 14 days at 3 a week, plan started 21 days ago: 1 of 6 planned days, 17 % (whole per cent,
    # the figure a low-adherence flag states too: rules v1.1, "Applying decisions").
    assert (adherence["Ashby"].trained, adherence["Ashby"].planned, adherence["Ashby"].percent) == (1, 6, 17)
    assert "17 %" in response.content.decode()
    assert acl.last_name in adherence and adherence["Zed"] is None


def test_bulk_flag_actions(client, world):
    for patient in ("a1", "a2"):
        assignment = getattr(world, f"assignment_{patient}")
        SessionLogFactory(exercise=walk(assignment), date=TODAY - dt.timedelta(days=1), pain_during=8)
        assignments_check(assignment_ids=[assignment.pk], today=TODAY)
    SessionLogFactory(exercise=walk(world.assignment_b1), date=TODAY - dt.timedelta(days=1), pain_during=8)
    assignments_check(assignment_ids=[world.assignment_b1.pk], today=TODAY)
    ids = list(Flag.objects.filter(kind="pain_red").values_list("pk", flat=True))
    client.force_login(world.therapist_a)
    refused = client.post(reverse("patients:flag-bulk"), {"action": "resolve", "flag": ids, "note": ""}, follow=True)
    assert "Say how this was resolved." in refused.content.decode()
    client.post(reverse("patients:flag-bulk"), {"action": "acknowledge", "flag": ids})
    statuses = dict(Flag.objects.filter(kind="pain_red").values_list("patient__clinic__slug", "status"))
    assert set(Flag.objects.filter(kind="pain_red", patient__clinic=world.clinic_a).values_list("status", flat=True)) \
        == {"acknowledged"}
    assert statuses["clinic-b"] == "open"  # another clinic's flag is never touched


def test_inbox_shows_the_sessions_behind_a_flag(client, world):
    SessionLogFactory(exercise=walk(world.assignment_a1), date=TODAY - dt.timedelta(days=1), pain_during=8)
    assignments_check(assignment_ids=[world.assignment_a1.pk], today=TODAY)
    client.force_login(world.therapist_a)
    body = client.get(reverse("patients:flags")).content.decode()
    assert "The session behind it" in body and "8 / 1" in body
    assert Flag.objects.get(kind="pain_red").rules == ["R1"]
    assert Flag.objects.get(kind="low_adherence").rules == ["F1"]


@pytest.mark.parametrize("bad", ["²", "-1", "18446744073709551616", "abc"])
def test_odd_ids_in_filters_and_bulk_actions_are_ignored_not_500(client, world, bad):
    client.force_login(world.therapist_a)
    assert client.get(reverse("patients:list"), {"therapist": bad}).status_code == 200
    response = client.post(reverse("patients:flag-bulk"), {"action": "acknowledge", "flag": [bad]}, follow=True)
    assert response.status_code == 200 and "Tick at least one flag" in response.content.decode()


def test_changes_need_a_running_plan(client, world):
    from patients.services import assignment_end

    assignment_end(assignment=world.assignment_a1, end_date=TODAY)
    exercise = walk(world.assignment_a1)
    client.force_login(world.therapist_a)
    response = client.post(reverse("patients:step-change", args=[world.patient_a1.pk]),
                           {"exercise": exercise.pk, "step": 1, "reason": "x"}, follow=True)
    assert "no running plan" in response.content.decode()
    assert exercise.step_versions.count() == 1


def test_future_measurements_are_refused(client, world):
    client.force_login(world.therapist_a)
    response = client.post(reverse("patients:measurement", args=[world.patient_a1.pk]),
                           {"date": (TODAY + dt.timedelta(days=400)).isoformat(), "effusion": "3+"}, follow=True)
    assert "cannot be dated in the future" in response.content.decode()
    assert not Measurement.objects.exists()
