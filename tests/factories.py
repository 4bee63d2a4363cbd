"""factory_boy factories. Structural rows go through the real services where one exists."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from clinic.models import Clinic, ClinicSettings, Membership, User
from patients.models import Measurement, MorningCheckIn, Patient, SessionLog
from protocols.models import ExerciseKind, ExerciseTemplate, LadderStep, Phase, PrescribedExercise, Protocol

PASSWORD = "correct-horse-battery-42"


class ClinicFactory(DjangoModelFactory):
    class Meta:
        model = Clinic
        django_get_or_create = ("slug",)
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Clinic {n}")
    slug = factory.Sequence(lambda n: f"clinic-{n}")
    timezone = "Europe/London"

    @factory.post_generation
    def with_settings(obj, create, extracted, **kwargs):
        if create:
            ClinicSettings.objects.get_or_create(clinic=obj)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    clinic = factory.SubFactory(ClinicFactory)
    role = Membership.Role.THERAPIST


class PatientFactory(DjangoModelFactory):
    class Meta:
        model = Patient

    clinic = factory.SubFactory(ClinicFactory)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    condition = "pfp"
    side = "left"


class ExerciseTemplateFactory(DjangoModelFactory):
    class Meta:
        model = ExerciseTemplate

    clinic = None
    slug = factory.Sequence(lambda n: f"template-{n}")
    name = factory.Sequence(lambda n: f"Retro walk {n}")
    kind = ExerciseKind.RETRO_TREADMILL_WALK
    default_speed_kmh = Decimal("2.5")
    default_incline_pct = Decimal("0")
    default_duration_min = 10
    speed_step_kmh = Decimal("0.5")
    incline_step_pct = Decimal("2.5")
    duration_step_min = 5
    max_speed_kmh = Decimal("5.5")
    max_incline_pct = Decimal("10")
    max_duration_min = 30
    instructions = "Walk backwards on the treadmill, holding the rail lightly."
    safety_notes = "Clip on the safety key. Start the belt from 0 km/h."


class ProtocolFactory(DjangoModelFactory):
    class Meta:
        model = Protocol

    clinic = None
    slug = factory.Sequence(lambda n: f"protocol-{n}")
    name = factory.Sequence(lambda n: f"Protocol {n}")
    condition = "pfp"
    sessions_per_week = 3


def make_protocol(*, clinic=None, condition: str = "pfp", ladder=((2.5, 0, 10), (2.5, 0, 15), (2.5, 2.5, 15))):
    """A one-phase protocol with a retro walk (given ladder) and a quad-sets companion."""
    protocol = ProtocolFactory(clinic=clinic, condition=condition)
    phase = Phase.objects.create(protocol=protocol, order=0, name="Start", expected_weeks=3)
    walk = PrescribedExercise.objects.create(
        phase=phase, template=ExerciseTemplateFactory(), order=0, frequency_per_week=3
    )
    for order, (speed, incline, duration) in enumerate(ladder):
        LadderStep.objects.create(
            exercise=walk, order=order, speed_kmh=Decimal(str(speed)), incline_pct=Decimal(str(incline)),
            duration_min=duration,
        )
    quads = ExerciseTemplateFactory(kind=ExerciseKind.STRENGTH, name="Quad sets", default_speed_kmh=None,
                                    default_incline_pct=None, default_duration_min=None, default_sets=3,
                                    default_reps=10)
    PrescribedExercise.objects.create(phase=phase, template=quads, order=1, frequency_per_week=5, sets=3, reps=10)
    return protocol


class SessionLogFactory(DjangoModelFactory):
    class Meta:
        model = SessionLog

    patient = factory.LazyAttribute(lambda o: o.exercise.assignment.patient)
    date = factory.LazyFunction(dt.date.today)
    step = 0
    completed = True
    duration_min = 10
    speed_kmh = Decimal("2.5")
    incline_pct = Decimal("0")
    pain_during = 2
    pain_after = 1
    client_uuid = factory.LazyFunction(uuid.uuid4)


class MorningCheckInFactory(DjangoModelFactory):
    class Meta:
        model = MorningCheckIn

    date = factory.LazyFunction(dt.date.today)
    pain = 1
    client_uuid = factory.LazyFunction(uuid.uuid4)


class MeasurementFactory(DjangoModelFactory):
    class Meta:
        model = Measurement

    date = factory.LazyFunction(dt.date.today)
    effusion = "trace"
