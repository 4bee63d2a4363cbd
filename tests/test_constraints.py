"""Every database constraint refuses a bad value, even when application validation is bypassed."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from clinic.models import Membership
from patients.models import Assignment, Flag, Measurement, MorningCheckIn, Patient, SessionLog, StepVersion
from protocols.models import ExerciseTemplate, LadderStep, PrescribedExercise, Protocol

pytestmark = pytest.mark.django_db


def walk_exercise(world):
    return world.assignment_a1.exercises.get(phase__order=0, order=0)


def session_kwargs(world, **bad):
    exercise = walk_exercise(world)
    values = dict(patient=world.patient_a1, exercise=exercise, date=dt.date.today(), duration_min=10,
                  speed_kmh=Decimal("2.5"), incline_pct=Decimal("0"), pain_during=2, pain_after=1, rpe=3,
                  client_uuid=uuid.uuid4())
    values.update(bad)
    return values


def ladder_kwargs(world, **bad):
    exercise = PrescribedExercise.objects.filter(ladder_steps__isnull=False).first()
    values = dict(exercise=exercise, order=99, speed_kmh=Decimal("3"), incline_pct=Decimal("5"), duration_min=10)
    values.update(bad)
    return values


def assignment_kwargs(world, **bad):
    values = dict(patient=world.patient_a1, protocol_name="P", condition="pfp", start_date=dt.date.today(),
                  sessions_per_week=3, baseline_pain=2, status="completed")
    values.update(bad)
    return values


def flag_kwargs(world, **bad):
    values = dict(patient=world.patient_a1, exercise=walk_exercise(world), kind="pain_red", severity="urgent")
    values.update(bad)
    return values


def measurement_kwargs(world, **bad):
    values = dict(patient=world.patient_a1, date=dt.date.today())
    values.update(bad)
    return values


CASES = [
    # (model, kwargs builder, bad values)
    (SessionLog, session_kwargs, {"pain_during": 11}),
    (SessionLog, session_kwargs, {"pain_after": 11}),
    (SessionLog, session_kwargs, {"rpe": 11}),
    (SessionLog, session_kwargs, {"speed_kmh": Decimal("20.5")}),
    (SessionLog, session_kwargs, {"incline_pct": Decimal("40.5")}),
    (SessionLog, session_kwargs, {"duration_min": 0}),
    (SessionLog, session_kwargs, {"duration_min": 181}),
    (LadderStep, ladder_kwargs, {"speed_kmh": Decimal("21")}),
    (LadderStep, ladder_kwargs, {"incline_pct": Decimal("41")}),
    (LadderStep, ladder_kwargs, {"duration_min": 0}),
    (LadderStep, ladder_kwargs, {"duration_min": 200}),
    (Assignment, assignment_kwargs, {"baseline_pain": 11}),
    (Assignment, assignment_kwargs, {"sessions_per_week": 0}),
    (Assignment, assignment_kwargs, {"sessions_per_week": 15}),
    (Assignment, assignment_kwargs, {"end_date": dt.date.today() - dt.timedelta(days=1)}),
    (Assignment, assignment_kwargs, {"status": "paused"}),
    (Flag, flag_kwargs, {"severity": "mild"}),
    (Flag, flag_kwargs, {"status": "gone"}),
    (Flag, flag_kwargs, {"status": "resolved"}),  # resolved needs resolved_at
    (Measurement, measurement_kwargs, {"effusion": "4+"}),
    (Measurement, measurement_kwargs, {"quad_lsi_pct": Decimal("250")}),
    (Measurement, measurement_kwargs, {"rom_pct": Decimal("201")}),
]


@pytest.mark.parametrize(("model", "build", "bad"), CASES, ids=[f"{m.__name__}-{b}" for m, _, b in CASES])
def test_constraint_refuses_bad_value(world, model, build, bad):
    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.create(**build(world, **bad))


@pytest.mark.parametrize(("model", "build"), [(SessionLog, session_kwargs), (LadderStep, ladder_kwargs),
                                              (Assignment, assignment_kwargs), (Flag, flag_kwargs),
                                              (Measurement, measurement_kwargs)])
def test_valid_rows_are_accepted(world, model, build):
    model.objects.create(**build(world))


def test_pain_zero_and_ten_are_accepted(world):
    SessionLog.objects.create(**session_kwargs(world, pain_during=0, pain_after=10, rpe=10))


def test_checkin_pain_bounds_and_one_per_day(world):
    today = dt.date.today()
    with pytest.raises(IntegrityError), transaction.atomic():
        MorningCheckIn.objects.create(patient=world.patient_a1, date=today, pain=11, client_uuid=uuid.uuid4())
    MorningCheckIn.objects.create(patient=world.patient_a1, date=today, pain=3, client_uuid=uuid.uuid4())
    with pytest.raises(IntegrityError), transaction.atomic():
        MorningCheckIn.objects.create(patient=world.patient_a1, date=today, pain=4, client_uuid=uuid.uuid4())


def test_session_client_uuid_unique_per_patient_only(world):
    shared = uuid.uuid4()
    SessionLog.objects.create(**session_kwargs(world, client_uuid=shared))
    with pytest.raises(IntegrityError), transaction.atomic():
        SessionLog.objects.create(**session_kwargs(world, client_uuid=shared))
    other = world.assignment_a2.exercises.get(phase__order=0, order=0)
    SessionLog.objects.create(**session_kwargs(world, patient=world.patient_a2, exercise=other, client_uuid=shared))


def test_one_unresolved_flag_per_exercise_and_kind(world):
    from django.utils import timezone

    first = Flag.objects.create(**flag_kwargs(world))
    with pytest.raises(IntegrityError), transaction.atomic():
        Flag.objects.create(**flag_kwargs(world, status="acknowledged"))
    Flag.objects.create(**flag_kwargs(world, kind="morning_pain", severity="warning"))
    first.status, first.resolved_at = "resolved", timezone.now()
    first.save()
    Flag.objects.create(**flag_kwargs(world))  # a new one may open once the old one is resolved


def test_one_active_assignment_per_patient(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(**assignment_kwargs(world, status="active"))


def test_acl_patient_needs_surgery_date(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        Patient.objects.create(clinic=world.clinic_a, first_name="A", last_name="B", condition="acl", side="left")


def test_patient_condition_side_and_external_ref(world):
    for bad in ({"condition": "hip"}, {"side": "middle"}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Patient.objects.create(**{"clinic": world.clinic_a, "first_name": "A", "last_name": "B",
                                      "condition": "pfp", "side": "left", **bad})
    Patient.objects.create(clinic=world.clinic_a, first_name="A", last_name="B", condition="pfp", side="left",
                           external_ref="MRN-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        Patient.objects.create(clinic=world.clinic_a, first_name="C", last_name="D", condition="pfp",
                               side="left", external_ref="MRN-1")
    # The same reference in another clinic is a different person.
    Patient.objects.create(clinic=world.clinic_b, first_name="C", last_name="D", condition="pfp", side="left",
                           external_ref="MRN-1")


def test_membership_role_and_uniqueness(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=world.therapist_a, clinic=world.clinic_a, role="therapist")
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=world.therapist_a, clinic=world.clinic_b, role="owner")


def test_protocol_and_template_constraints(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        Protocol.objects.create(slug="x", name="X", condition="hip")
    with pytest.raises(IntegrityError), transaction.atomic():
        Protocol.objects.create(slug="y", name="Y", condition="pfp", sessions_per_week=15)
    with pytest.raises(IntegrityError), transaction.atomic():
        PrescribedExercise.objects.create(phase=world.assignment_a1.protocol.phases.first(),
                                          template=ExerciseTemplate.objects.first(), order=50,
                                          frequency_per_week=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        ExerciseTemplate.objects.create(slug="t", name="T", kind="strength", instructions="i",
                                        default_incline_pct=Decimal("45"))


def test_step_versions_need_a_reason_and_valid_source(world):
    exercise = walk_exercise(world)
    with pytest.raises(IntegrityError), transaction.atomic():
        StepVersion.objects.create(exercise=exercise, step=1, effective_date=dt.date.today(), source="therapist",
                                   reason="")
    with pytest.raises(IntegrityError), transaction.atomic():
        StepVersion.objects.create(exercise=exercise, step=1, effective_date=dt.date.today(), source="robot",
                                   reason="r")
