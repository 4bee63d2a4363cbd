"""`manage.py seed_demo`: idempotent, refused in production, and the demo scenarios are really there."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.utils import timezone

from clinic.models import Clinic, Membership
from patients.demo import DEMO_CLINIC, DEMO_CLINICS, NORTHSIDE
from patients.models import (
    AssignedExercise,
    AssignedLadderStep,
    Assignment,
    Measurement,
    MorningCheckIn,
    Patient,
    PhaseVersion,
    SessionLog,
    StepVersion,
)
from protocols.models import Protocol

pytestmark = pytest.mark.django_db

RUNNING_SPEED = Decimal("5.8")


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    # Real hashing costs a quarter of a second per demo user; these tests check logins, not hash strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.fixture
def seeded() -> str:
    return seed()


def model_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for label in ("clinic", "protocols", "patients")
        for model in apps.get_app_config(label).get_models()
    }


def clinic_today(clinic: Clinic) -> dt.date:
    return timezone.localdate(timezone=zoneinfo.ZoneInfo(clinic.timezone))


def demo_patient(role: str, clinic_def=DEMO_CLINIC) -> Patient:
    definition = next(p for p in clinic_def.patients if p.role == role)
    return Patient.objects.get(
        clinic__slug=clinic_def.slug, first_name=definition.first_name, last_name=definition.last_name
    )


def current_phase(assignment: Assignment):
    return PhaseVersion.objects.filter(assignment=assignment).latest().phase


def current_ladder_exercise(patient: Patient) -> AssignedExercise:
    assignment = patient.assignments.get(status=Assignment.Status.ACTIVE)
    return AssignedExercise.objects.get(
        phase=current_phase(assignment), kind__in=["retro_treadmill_walk", "retro_treadmill_run"]
    )


def step_load(exercise: AssignedExercise, order: int) -> AssignedLadderStep:
    return exercise.ladder_steps.get(order=order)


def test_seeding_twice_leaves_the_same_counts_of_every_model():
    seed()
    first = model_counts()
    seed()
    assert model_counts() == first
    assert first["clinic.Clinic"] == 2
    assert first["patients.Patient"] == 16
    assert first["protocols.Protocol"] == 2


def test_seeding_twice_on_the_same_day_gives_the_same_history():
    def history():
        rows = SessionLog.objects.values_list("patient__external_ref", "date", "step", "pain_during", "client_uuid")
        return sorted(rows, key=lambda row: (row[0], row[1], -1 if row[2] is None else row[2], str(row[4])))

    seed()
    first = history()
    seed()
    assert history() == first


def test_refused_in_production_and_writes_nothing(settings):
    settings.DJANGO_ENV = "production"
    with pytest.raises(CommandError, match="production"):
        seed()
    assert not Clinic.objects.exists()
    assert not Protocol.objects.exists()


def test_the_summary_has_counts_and_logins_but_no_pain(seeded):
    assert "Demo Clinic: 3 staff, 13 patients" in seeded
    assert "Northside Physio: 1 staff, 3 patients" in seeded
    assert "pain" not in seeded.lower()


def test_the_built_in_library_is_installed_first(seeded):
    slugs = set(Protocol.objects.filter(clinic__isnull=True).values_list("slug", flat=True))
    assert slugs == {"pfp-retro-incline-6-weeks", "acl-retro-incline-phases-1-3"}
    assert set(Assignment.objects.values_list("protocol__slug", flat=True)) == slugs


@pytest.mark.parametrize(
    ("email", "password", "clinic_slug", "role"),
    [
        ("admin@demo.clinic", "demo-admin", "demo-clinic", "admin"),
        ("therapist@demo.clinic", "demo-therapist", "demo-clinic", "therapist"),
        ("second@demo.clinic", "demo-therapist", "demo-clinic", "therapist"),
        ("therapist@northside.clinic", "demo-therapist", "northside-physio", "therapist"),
        ("patient@demo.clinic", "demo-patient", "demo-clinic", None),
        ("paciente@demo.clinic", "demo-patient", "demo-clinic", None),
        ("patient@northside.clinic", "demo-patient", "northside-physio", None),
    ],
)
def test_demo_logins_authenticate(seeded, email, password, clinic_slug, role):
    user = authenticate(username=email, password=password)
    assert user is not None and user.email == email
    assert authenticate(username=email, password="wrong-password") is None
    if role:
        assert Membership.objects.get(user=user).clinic.slug == clinic_slug
        assert Membership.objects.get(user=user).role == role
    else:
        assert not user.memberships.exists()
        assert user.patient_profile.clinic.slug == clinic_slug


def test_the_named_therapist_and_a_second_one_share_the_demo_patients(seeded):
    maya = Membership.objects.get(user__email="therapist@demo.clinic").user
    assert (maya.first_name, maya.last_name) == ("Maya", "Okafor")
    per_therapist = {
        email: Patient.objects.filter(clinic__slug="demo-clinic", therapist__email=email).count()
        for email in ("therapist@demo.clinic", "second@demo.clinic")
    }
    assert all(count >= 3 for count in per_therapist.values())
    assert sum(per_therapist.values()) == 13


def test_demo_clinic_has_mostly_pfp_and_a_few_recent_acl_reconstructions(seeded):
    clinic = Clinic.objects.get(slug="demo-clinic")
    today = clinic_today(clinic)
    patients = Patient.objects.filter(clinic=clinic)
    acl = patients.filter(condition="acl")
    assert 3 <= acl.count() <= 4
    assert patients.filter(condition="pfp").count() == 13 - acl.count()
    for patient in acl:
        assert 10 * 7 <= (today - patient.surgery_date).days <= 20 * 7
        dates = sorted(patient.measurements.values_list("date", flat=True))
        assert len(dates) >= 3
        assert all(14 <= (b - a).days <= 21 for a, b in zip(dates, dates[1:]))
    for assignment in Assignment.objects.filter(patient__clinic=clinic):
        assert assignment.start_date == today - dt.timedelta(weeks=8)
        assert 2 <= assignment.baseline_pain <= 5


def test_every_session_step_is_on_its_ladder_and_in_force_on_its_date(seeded):
    ladder_sizes = {e.pk: e.ladder_steps.count() for e in AssignedExercise.objects.all()}
    versions: dict[int, list[StepVersion]] = {}
    for version in StepVersion.objects.order_by("created_at", "id"):
        versions.setdefault(version.exercise_id, []).append(version)
    sessions = SessionLog.objects.select_related("exercise")
    assert sessions.count() > 300
    for session in sessions:
        if not session.exercise.has_ladder:
            assert session.step is None
            continue
        assert 0 <= session.step < ladder_sizes[session.exercise_id]
        in_force = [v.step for v in versions[session.exercise_id] if v.effective_date <= session.date]
        assert in_force and in_force[-1] == session.step
        load = step_load(session.exercise, session.step)
        assert (session.speed_kmh, session.incline_pct) == (load.speed_kmh, load.incline_pct)


def test_nothing_is_dated_in_the_future_or_before_the_assignment(seeded):
    for clinic in Clinic.objects.all():
        today = clinic_today(clinic)
        for session in SessionLog.objects.filter(patient__clinic=clinic).select_related("exercise__assignment"):
            assert session.exercise.assignment.start_date <= session.date <= today
            assert session.pain_after <= session.pain_during
        assert not MorningCheckIn.objects.filter(patient__clinic=clinic, date__gt=today).exists()
        assert not Measurement.objects.filter(patient__clinic=clinic, date__gt=today).exists()
        assert not StepVersion.objects.filter(exercise__assignment__patient__clinic=clinic,
                                              effective_date__gt=today).exists()


def test_pain_during_is_mostly_green_and_step_changes_come_from_the_therapist(seeded):
    pains = list(SessionLog.objects.values_list("pain_during", flat=True))
    assert sum(1 for p in pains if p <= 3) / len(pains) > 0.95
    changes = StepVersion.objects.exclude(source="initial")
    assert changes.exists()
    # History is the therapists'; the only engine change is today's step-down of the red-pain patient.
    assert set(changes.values_list("source", flat=True)) == {"therapist", "engine"}
    engine = changes.filter(source="engine")
    assert list(engine.values_list("exercise__assignment__patient", flat=True)) == [demo_patient("red_pain").pk]
    assert engine.get().rules == ["R1"]
    assert not changes.filter(reason="").exists()
    # Several patients have moved on to the next phase.
    assert PhaseVersion.objects.exclude(source="initial").values("assignment").distinct().count() >= 8


def test_red_pain_patient_hurt_two_days_ago(seeded):
    patient = demo_patient("red_pain")
    today = clinic_today(patient.clinic)
    assert patient.sessions.latest("date").date == today - dt.timedelta(days=2)
    latest = patient.sessions.filter(step__isnull=False).latest("date")
    assert latest.date == today - dt.timedelta(days=2)
    assert latest.pain_during == 7
    assert not latest.completed  # stopped, as the safety notes say
    assert latest.pain_after <= latest.pain_during
    rise = patient.checkins.get(date=today - dt.timedelta(days=1))
    assert rise.pain > patient.assignments.get().baseline_pain


def test_low_adherence_patient_trained_about_once_a_week_lately(seeded):
    patient = demo_patient("low_adherence")
    today = clinic_today(patient.clinic)
    completed_days = set(patient.sessions.filter(completed=True).values_list("date", flat=True))
    recent = {d for d in completed_days if d > today - dt.timedelta(weeks=4)}
    earlier = completed_days - recent
    assert 3 <= len(recent) <= 5
    assert len(earlier) >= 9  # about three a week before that


def test_near_gate_acl_patient_waits_at_the_last_walking_step_of_the_running_phase(seeded):
    patient = demo_patient("near_gate")
    today = clinic_today(patient.clinic)
    assert patient.condition == "acl"
    assert (today - patient.surgery_date).days >= 14 * 7
    exercise = current_ladder_exercise(patient)
    assert exercise.phase.name == "Return to retro running"
    assert step_load(exercise, exercise.current_step).speed_kmh < RUNNING_SPEED
    assert step_load(exercise, exercise.current_step + 1).speed_kmh >= RUNNING_SPEED
    latest = patient.measurements.order_by("-date").first()
    assert (today - latest.date).days <= 7
    assert (latest.effusion, latest.quad_lsi_pct, latest.hop_lsi_pct, latest.rom_pct) == (
        "trace", Decimal("78"), Decimal("68"), Decimal("97"),
    )
    assert not patient.measurements.filter(running_signoff=True).exists()
    # The latest sessions are calm and at the current step, so only the gate holds the patient back.
    last_two = list(patient.sessions.filter(exercise=exercise).order_by("-date")[:2])
    assert [s.step for s in last_two] == [exercise.current_step] * 2
    assert all(s.completed and s.pain_during <= 1 for s in last_two)


def test_login_patients_have_a_session_yesterday_and_no_check_in_yet(seeded):
    for clinic_def in DEMO_CLINICS:
        patient = demo_patient("login", clinic_def)
        today = clinic_today(patient.clinic)
        assert patient.user is not None and patient.user.email == patient.email
        assert patient.sessions.filter(date=today - dt.timedelta(days=1)).exists()
        assert not patient.checkins.filter(date=today).exists()
        assert not patient.sessions.filter(date=today).exists()


def test_demo_login_patient_is_improving(seeded):
    patient = demo_patient("login")
    baseline = patient.assignments.get().baseline_pain
    mornings = list(patient.checkins.order_by("date").values_list("pain", flat=True))
    assert max(mornings) <= baseline
    assert sum(mornings[-3:]) / 3 <= baseline - 2
    assert current_ladder_exercise(patient).phase.order == 1


def test_northside_has_a_few_weeks_of_history(seeded):
    clinic = Clinic.objects.get(slug=NORTHSIDE.slug)
    assert Patient.objects.filter(clinic=clinic).count() == 3
    starts = set(Assignment.objects.filter(patient__clinic=clinic).values_list("start_date", flat=True))
    assert starts == {clinic_today(clinic) - dt.timedelta(weeks=4)}
    assert SessionLog.objects.filter(patient__clinic=clinic).count() >= 20


def test_demo_checks_have_run_and_rerunning_them_changes_nothing():
    from django.core.management import call_command

    from patients.models import Assignment, Flag, ProgressionCheck, StepVersion
    from patients.services import assignments_check

    call_command("seed_demo", stdout=__import__("io").StringIO())
    open_flags = set(Flag.objects.exclude(status="resolved").values_list("exercise_id", "kind", "severity"))
    kinds = {kind for _, kind, _ in open_flags}
    assert {"pain_red", "progression", "low_adherence", "gate_not_met"} <= kinds
    assert ProgressionCheck.objects.filter(applied="regressed").exists()
    before = (StepVersion.objects.count(), Flag.objects.count(), ProgressionCheck.objects.count())
    assignments_check(assignment_ids=list(Assignment.objects.values_list("pk", flat=True)))
    after = (StepVersion.objects.count(), Flag.objects.count(), ProgressionCheck.objects.count())
    assert after == before
    assert set(Flag.objects.exclude(status="resolved").values_list("exercise_id", "kind", "severity")) == open_flags


def test_if_missing_keeps_existing_demo_data():
    import io

    from django.core.management import call_command

    from patients.models import SessionLog

    call_command("seed_demo", stdout=io.StringIO())
    SessionLog.objects.filter(pk=SessionLog.objects.order_by("pk").first().pk).delete()
    before = SessionLog.objects.count()
    out = io.StringIO()
    call_command("seed_demo", "--if-missing", stdout=out)
    assert "already there" in out.getvalue()
    assert SessionLog.objects.count() == before


def test_the_spanish_speaking_patient_has_a_plan_sessions_and_check_ins_in_spanish(seeded, client):
    from django.urls import reverse

    patient = demo_patient("spanish")
    assert (patient.first_name, patient.last_name, patient.language) == ("Lucía", "Fernández", "es")
    assert patient.user.email == "paciente@demo.clinic" and patient.assignments.filter(status="active").exists()
    today = clinic_today(patient.clinic)
    assert patient.sessions.filter(date=today - dt.timedelta(days=1)).exists()
    assert patient.sessions.count() >= 15 and patient.checkins.count() >= 10
    notes = set(patient.sessions.exclude(notes="").values_list("notes", flat=True))
    assert notes and not notes & {"Good session.", "Felt steady today."}  # she writes in Spanish
    assert "paciente@demo.clinic" in seeded  # printed among the logins
    client.force_login(patient.user)
    response = client.get(reverse("patients:today"))
    assert response.status_code == 200 and response["Content-Language"] == "es"
    assert '<html lang="es">' in response.content.decode()


def test_the_spanish_patient_leaves_the_other_histories_as_they_were():
    """She draws her own random numbers: the rest of the demo is what it was before she came."""
    from patients.demo import DEMO_CLINIC, demo_seed
    from patients.demo.definitions import ClinicDef

    def histories():
        rows = SessionLog.objects.exclude(patient__first_name="Lucía").values_list(
            "patient__external_ref", "date", "step", "pain_during", "notes")
        return sorted(rows, key=lambda row: (row[0], row[1], -1 if row[2] is None else row[2], row[4]))

    demo_seed()
    with_her = histories()
    without = ClinicDef(**{**DEMO_CLINIC.__dict__, "patients": tuple(
        p for p in DEMO_CLINIC.patients if p.role != "spanish")})
    demo_seed(clinics=(without, NORTHSIDE))
    assert histories() == with_her
