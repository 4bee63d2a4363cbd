"""The patient resources of /api/v1/ (patients, me, assignments, measurements, flags): what each returns and does,
filters, and fields nobody may set."""

import datetime as dt

import pytest

from patients.models import Assignment, Flag, Measurement, Patient, StepVersion
from patients.services import clinic_today
from tests.api.support import api, ids, progression_flag, rows, sessions_for, walk  # noqa: F401 (fixtures)
from tests.factories import MorningCheckInFactory, PatientFactory, SessionLogFactory, make_protocol

pytestmark = pytest.mark.django_db



# ---------------------------------------------------------------------------
# Patients
# ---------------------------------------------------------------------------


def test_patients_list_only_the_callers_clinic_with_summaries(world, rows, api):
    listing = api("therapist_a").get("/api/v1/patients/")
    assert ids(listing) == {world.patient_a1.pk, world.patient_a2.pk}
    a1 = next(p for p in listing.json()["results"] if p["id"] == world.patient_a1.pk)
    assert a1["clinic"] == world.clinic_a.pk and a1["therapist"] == world.therapist_a.pk
    assert a1["has_login"] is True and a1["open_flags"] == 1
    assert a1["last_session_date"] == rows.session_a1.date.isoformat()


def test_patient_filters(world, api):
    other_therapist = world.admin_a
    acl = PatientFactory(clinic=world.clinic_a, therapist=other_therapist, condition="acl",
                         surgery_date=dt.date(2026, 1, 5), external_ref="EHR-77", last_name="Zed")
    client = api("therapist_a")
    assert ids(client.get(f"/api/v1/patients/?therapist={other_therapist.pk}")) == {acl.pk}
    assert ids(client.get("/api/v1/patients/?condition=acl")) == {acl.pk}
    assert ids(client.get("/api/v1/patients/?search=ehr-7")) == {acl.pk}
    assert ids(client.get("/api/v1/patients/?search=ashby")) == {world.patient_a1.pk}
    assert client.get("/api/v1/patients/?therapist=abc").status_code == 400


def test_patient_create_in_the_callers_clinic(world, api):
    response = api("therapist_a").post("/api/v1/patients/", {
        "first_name": "Nia", "last_name": "New", "condition": "acl", "side": "right",
        "surgery_date": "2026-02-01", "therapist": world.therapist_a.pk, "external_ref": "EHR-1",
        "clinic": world.clinic_b.pk, "id": 999, "open_flags": 9,
    }, format="json")
    assert response.status_code == 201, response.content
    patient = Patient.objects.get(pk=response.json()["id"])
    assert patient.clinic == world.clinic_a and patient.therapist == world.therapist_a and patient.pk != 999
    assert response.json()["open_flags"] == 0 and response.json()["has_login"] is False


@pytest.mark.parametrize(("body", "field"), [
    ({"therapist": "therapist_b"}, "therapist"),
    ({"condition": "acl"}, "surgery_date"),
    ({"external_ref": "TAKEN"}, "external_ref"),
    ({"side": "middle"}, "side"),
    ({"first_name": ""}, "first_name"),
])
def test_patient_create_errors_name_the_field(world, api, body, field):
    PatientFactory(clinic=world.clinic_a, external_ref="TAKEN")
    if body.get("therapist") == "therapist_b":
        body = {"therapist": world.therapist_b.pk}
    data = {"first_name": "Nia", "last_name": "New", "condition": "pfp", "side": "left", **body}
    before = Patient.objects.count()
    response = api("therapist_a").post("/api/v1/patients/", data, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert Patient.objects.count() == before


def test_patient_update_cannot_move_the_patient_to_another_clinic(world, api):
    url = f"/api/v1/patients/{world.patient_a1.pk}/"
    response = api("therapist_a").patch(url, {"first_name": "Alba", "clinic": world.clinic_b.pk}, format="json")
    assert response.status_code == 200, response.content
    patient = Patient.objects.get(pk=world.patient_a1.pk)
    assert patient.first_name == "Alba" and patient.clinic == world.clinic_a and patient.user == world.patient_a1.user
    refused = api("therapist_a").patch(url, {"therapist": world.therapist_b.pk}, format="json")
    assert refused.status_code == 400 and "therapist" in refused.json()
    assert api("therapist_a").patch(url, {"therapist": None}, format="json").json()["therapist"] is None


# ---------------------------------------------------------------------------
# Me: the patient's own profile and plan
# ---------------------------------------------------------------------------


def test_me_gives_the_profile_and_todays_plan(world, api):
    today = clinic_today(world.clinic_a)
    body = api("patient_a1").get("/api/v1/me/").json()
    assert (body["id"], body["first_name"], body["clinic"], body["today"]) == (
        world.patient_a1.pk, "Alma", "Clinic A", today.isoformat())
    plan = body["plan"]
    assert plan["assignment"] == world.assignment_a1.pk and plan["sessions_per_week"] == 3
    walk_ = plan["exercises"][0]
    assert walk_["id"] == walk(world.assignment_a1).pk
    assert (walk_["current_step"], walk_["speed_kmh"], walk_["step_duration_min"], walk_["logged_today"]) == (
        0, 2.5, 10, False)
    assert walk_["load_in_words"] == "2.5 km/h · 0 % · 10 min" and walk_["safety_notes"]


def test_me_shows_what_was_logged_today_and_no_plan_without_assignment(world, api, eager_celery):
    sessions_for(world.assignment_a1, count=1, start=clinic_today(world.clinic_a))
    plan = api("patient_a1").get("/api/v1/me/").json()["plan"]
    assert plan["exercises"][0]["logged_today"] is True and plan["days_trained_this_week"] == 1
    Assignment.objects.filter(pk=world.assignment_a2.pk).update(status=Assignment.Status.COMPLETED)
    assert api("patient_a2").get("/api/v1/me/").json()["plan"] is None


# ---------------------------------------------------------------------------
# Assignments
# ---------------------------------------------------------------------------


def test_assignment_create_snapshots_the_protocol(world, rows, api):
    patient = PatientFactory(clinic=world.clinic_a, therapist=world.therapist_a)
    response = api("therapist_a").post("/api/v1/assignments/", {
        "patient": patient.pk, "protocol": rows.protocol_a.pk, "baseline_pain": 3, "sessions_per_week": 4,
        "assigned_by": world.admin_a.pk, "status": "completed",
    }, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assignment = Assignment.objects.get(pk=body["id"])
    assert assignment.assigned_by == world.therapist_a and assignment.status == "active"
    assert body["start_date"] == clinic_today(world.clinic_a).isoformat()
    assert (body["sessions_per_week"], body["baseline_pain"], body["patient"]) == (4, 3, patient.pk)
    phase = body["phases"][0]
    assert body["current_phase"] == phase["id"]
    assert phase["exercises"][0]["current_step"] == 0 and len(phase["exercises"][0]["ladder_steps"]) == 3


@pytest.mark.parametrize("case", ["other_clinic_patient", "other_clinic_protocol", "already_active",
                                  "wrong_condition", "bad_pain"])
def test_assignment_create_errors_name_the_field(world, rows, api, case):
    patient = PatientFactory(clinic=world.clinic_a)
    body = {"patient": patient.pk, "protocol": rows.protocol_a.pk, "baseline_pain": 1}
    field = {"other_clinic_patient": "patient", "other_clinic_protocol": "protocol", "already_active": "patient",
             "wrong_condition": "protocol", "bad_pain": "baseline_pain"}[case]
    if case == "other_clinic_patient":
        body["patient"] = world.patient_b1.pk
    elif case == "other_clinic_protocol":
        body["protocol"] = rows.protocol_b.pk
    elif case == "already_active":
        body["patient"] = world.patient_a1.pk
    elif case == "wrong_condition":
        body["protocol"] = make_protocol(clinic=world.clinic_a, condition="acl").pk
    else:
        body["baseline_pain"] = 11
    before = Assignment.objects.count()
    response = api("therapist_a").post("/api/v1/assignments/", body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert Assignment.objects.count() == before


def test_patients_read_only_their_own_assignments(world, api):
    client = api("patient_a1")
    assert ids(client.get("/api/v1/assignments/")) == {world.assignment_a1.pk}
    assert client.get(f"/api/v1/assignments/{world.assignment_a2.pk}/").status_code == 404
    # Asking for another patient's rows by filter shows nothing, never their rows.
    assert ids(client.get(f"/api/v1/assignments/?patient={world.patient_a2.pk}")) == set()


def test_assignment_filters(world, api):
    Assignment.objects.filter(pk=world.assignment_a2.pk).update(status=Assignment.Status.STOPPED)
    client = api("key_a")
    assert ids(client.get(f"/api/v1/assignments/?patient={world.patient_a1.pk}")) == {world.assignment_a1.pk}
    assert ids(client.get("/api/v1/assignments/?status=stopped")) == {world.assignment_a2.pk}
    assert client.get("/api/v1/assignments/?status=paused").status_code == 400


# ---------------------------------------------------------------------------
# Measurements
# ---------------------------------------------------------------------------


def test_measurement_create_by_staff(world, api, eager_celery):
    response = api("therapist_a").post("/api/v1/measurements/", {
        "patient": world.patient_a1.pk, "effusion": "1+", "quad_lsi_pct": 78.5, "running_signoff": False,
        "recorded_by": world.admin_a.pk,
    }, format="json")
    assert response.status_code == 201, response.content
    measurement = Measurement.objects.get(pk=response.json()["id"])
    assert measurement.recorded_by == world.therapist_a and measurement.date == clinic_today(world.clinic_a)
    assert response.json()["quad_lsi_pct"] == 78.5


def test_measurement_errors_and_other_clinics_patient(world, api):
    client = api("therapist_a")
    bad = client.post("/api/v1/measurements/", {"patient": world.patient_a1.pk, "effusion": "4+",
                                                "rom_pct": 250}, format="json")
    assert bad.status_code == 400 and set(bad.json()) == {"effusion", "rom_pct"}
    other = client.post("/api/v1/measurements/", {"patient": world.patient_b1.pk}, format="json")
    assert other.status_code == 400 and other.json() == {"patient": [f"Not found: {world.patient_b1.pk}."]}
    assert not Measurement.objects.exists()


def test_measurement_filters(world, rows, api):
    client = api("key_a")
    assert ids(client.get(f"/api/v1/measurements/?patient={world.patient_a1.pk}")) == {rows.measurement_a1.pk}
    assert ids(client.get(f"/api/v1/measurements/?patient={world.patient_a2.pk}")) == set()
    later = (rows.measurement_a1.date + dt.timedelta(days=1)).isoformat()
    assert ids(client.get(f"/api/v1/measurements/?date_from={later}")) == set()


# ---------------------------------------------------------------------------
# Flags
# ---------------------------------------------------------------------------


def test_flag_filters(world, rows, api):
    urgent = progression_flag(world.assignment_a2, kind=Flag.Kind.PAIN_RED, severity=Flag.Severity.URGENT,
                              decision="regress", suggested_step=None)
    client = api("key_a")
    assert ids(client.get("/api/v1/flags/?severity=urgent")) == {urgent.pk}
    assert ids(client.get("/api/v1/flags/?kind=progression")) == {rows.flag_a1.pk}
    assert ids(client.get(f"/api/v1/flags/?patient={world.patient_a2.pk}")) == {urgent.pk}
    assert ids(client.get("/api/v1/flags/?status=open")) == {rows.flag_a1.pk, urgent.pk}
    assert ids(client.get("/api/v1/flags/?status=resolved")) == set()
    assert ids(client.get("/api/v1/flags/?unresolved=true")) == {rows.flag_a1.pk, urgent.pk}
    assert client.get("/api/v1/flags/?severity=apocalyptic").status_code == 400
    body = client.get(f"/api/v1/flags/{rows.flag_a1.pk}/").json()
    assert body["rules"] == ["R11"] and body["evidence"] == {"green_sessions": 3}
    assert body["exercise_name"] == walk(world.assignment_a1).name


def test_acknowledge_then_resolve_with_a_note(world, rows, api):
    client = api("therapist_a")
    url = f"/api/v1/flags/{rows.flag_a1.pk}/"
    acknowledged = client.post(url + "acknowledge/")
    assert acknowledged.status_code == 200 and acknowledged.json()["status"] == "acknowledged"
    assert acknowledged.json()["acknowledged_by"] == world.therapist_a.pk
    no_note = client.post(url + "resolve/", {}, format="json")
    assert no_note.status_code == 400 and list(no_note.json()) == ["note"]
    blank = client.post(url + "resolve/", {"note": "   "}, format="json")
    assert blank.status_code == 400 and list(blank.json()) == ["note"]
    resolved = client.post(url + "resolve/", {"note": "Discussed in clinic."}, format="json")
    assert resolved.status_code == 200
    assert (resolved.json()["status"], resolved.json()["resolution_note"]) == ("resolved", "Discussed in clinic.")
    again = client.post(url + "acknowledge/")
    assert again.status_code == 400 and again.json() == {"flag": ["This flag is already resolved."]}


def test_approve_applies_the_suggested_step(world, rows, api):
    # Approval re-runs the check (rules v1.1): give the suggestion the evidence it stands on, two
    # comfortable sessions in a row whose next mornings settled (yesterday's check-in is in the rows).
    today = clinic_today(world.clinic_a)
    SessionLogFactory(exercise=walk(world.assignment_a1), date=today - dt.timedelta(days=2))
    MorningCheckInFactory(patient=world.patient_a1, date=today, pain=1)
    response = api("therapist_a").post(f"/api/v1/flags/{rows.flag_a1.pk}/approve/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "resolved"
    exercise = walk(world.assignment_a1)
    exercise.refresh_from_db()
    assert exercise.current_step == 1
    version = StepVersion.objects.filter(exercise=exercise).latest()
    assert version.changed_by == world.therapist_a and version.effective_date == clinic_today(world.clinic_a)


def test_decline_with_a_note_and_approve_only_suggestions(world, rows, api):
    client = api("admin_a")
    declined = client.post(f"/api/v1/flags/{rows.flag_a1.pk}/decline/", {"note": "Wait a week."}, format="json")
    assert declined.status_code == 200
    assert declined.json()["resolution_note"] == "Declined. Wait a week."
    pain = progression_flag(world.assignment_a2, kind=Flag.Kind.PAIN_RED, severity=Flag.Severity.URGENT)
    refused = client.post(f"/api/v1/flags/{pain.pk}/approve/")
    assert refused.status_code == 400 and refused.json() == {"flag": ["Only progression suggestions can be approved."]}
    walk_a2 = walk(world.assignment_a2)
    walk_a2.refresh_from_db()
    assert walk_a2.current_step == 0
