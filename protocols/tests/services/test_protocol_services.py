"""Services behind the exercise library and protocol builder: templates, phases, exercises and ladders."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from patients.services import assignment_create
from protocols import services
from protocols.ladder import (
    MAX_STEPS,
    LadderSpec,
    Load,
    changed_variables,
    generate_ladder,
    ladder_spec_from_ladder,
    review_ladder,
)
from protocols.models import ExerciseKind, ExerciseTemplate, LadderStep, Phase, PrescribedExercise, Protocol
from tests.factories import ClinicFactory, ExerciseTemplateFactory, PatientFactory, make_protocol

pytestmark = pytest.mark.django_db
D = Decimal
PFP = "pfp-retro-incline-6-weeks"


@pytest.fixture
def clinic():
    return ClinicFactory(slug="clinic-services")


@pytest.fixture
def library(db):
    services.library_install()


@pytest.fixture
def own_protocol(clinic):
    return services.protocol_create(clinic=clinic, name="Knee plan", condition="pfp")


def walk_template(**overrides) -> ExerciseTemplate:
    return ExerciseTemplateFactory(**overrides)


def strength_template(**overrides) -> ExerciseTemplate:
    values = dict(kind=ExerciseKind.STRENGTH, name="Wall sit", default_speed_kmh=None, default_incline_pct=None,
                  default_duration_min=None, default_sets=3, default_reps=None, default_hold_seconds=30)
    return ExerciseTemplateFactory(**{**values, **overrides})


def loads(exercise: PrescribedExercise) -> list[tuple]:
    return [(s.speed_kmh, s.incline_pct, s.duration_min) for s in exercise.ladder_steps.order_by("order")]


TREADMILL = dict(
    default_speed_kmh=D("2.5"), default_incline_pct=D("0"), default_duration_min=10,
    speed_step_kmh=D("0.5"), incline_step_pct=D("2.5"), duration_step_min=5,
    max_speed_kmh=D("5.5"), max_incline_pct=D("10"), max_duration_min=30, handrail="light",
)


# -- exercise templates -----------------------------------------------------


def test_template_create_makes_a_clinic_template_with_a_free_slug(clinic):
    first = services.template_create(clinic=clinic, name="Retro walk", kind=ExerciseKind.RETRO_TREADMILL_WALK,
                                     instructions="Walk backwards.", **TREADMILL)
    second = services.template_create(clinic=clinic, name="Retro walk", kind=ExerciseKind.RETRO_TREADMILL_WALK,
                                      instructions="Walk backwards.", **TREADMILL)
    assert (first.clinic, first.slug, second.slug) == (clinic, "retro-walk", "retro-walk-2")
    assert not first.is_builtin


def test_template_caps_must_be_at_least_the_start_values(clinic):
    values = {**TREADMILL, "max_speed_kmh": D("2.0"), "max_incline_pct": D("0"), "max_duration_min": 5}
    with pytest.raises(ValidationError) as error:
        services.template_create(clinic=clinic, name="Bad", kind=ExerciseKind.RETRO_TREADMILL_WALK,
                                 instructions="x", **values)
    messages = error.value.message_dict
    assert messages["max_speed_kmh"] == ["The speed cap must be at least the start speed (2.5 km/h)."]
    assert messages["max_duration_min"] == ["The duration cap must be at least the start duration (10 min)."]
    assert "max_incline_pct" not in messages  # 0 % cap with a 0 % start is fine
    assert not ExerciseTemplate.objects.filter(name="Bad").exists()


def test_treadmill_templates_need_every_ladder_value(clinic):
    values = {**TREADMILL, "default_speed_kmh": None, "incline_step_pct": None}
    with pytest.raises(ValidationError) as error:
        services.template_create(clinic=clinic, name="Bad", kind=ExerciseKind.RETRO_TREADMILL_RUN,
                                 instructions="x", **values)
    assert set(error.value.message_dict) == {"default_speed_kmh", "incline_step_pct"}
    assert "Enter the start speed" in error.value.message_dict["default_speed_kmh"][0]


def test_a_zero_step_with_a_higher_cap_is_refused_because_the_cap_is_unreachable(clinic):
    with pytest.raises(ValidationError) as error:
        services.template_create(clinic=clinic, name="Bad", kind=ExerciseKind.RETRO_TREADMILL_WALK,
                                 instructions="x", **{**TREADMILL, "speed_step_kmh": D("0")})
    assert "never reaches the speed cap" in error.value.message_dict["speed_step_kmh"][0]
    # Keeping the speed fixed is done with cap = start, and is fine.
    template = services.template_create(
        clinic=clinic, name="Fixed speed", kind=ExerciseKind.RETRO_TREADMILL_WALK, instructions="x",
        **{**TREADMILL, "speed_step_kmh": D("0"), "max_speed_kmh": D("2.5")},
    )
    assert template.max_speed_kmh == D("2.5")


def test_non_ladder_templates_drop_ladder_values_and_keep_sets_reps_hold(clinic):
    template = services.template_create(
        clinic=clinic, name="Step-down", kind=ExerciseKind.STRENGTH, instructions="Step down slowly.",
        default_sets=3, default_reps=10, default_duration_min=5, default_speed_kmh=D("3"), max_incline_pct=D("5"),
    )
    assert (template.default_sets, template.default_reps, template.default_duration_min) == (3, 10, 5)
    assert template.default_speed_kmh is None and template.max_incline_pct is None


def test_template_update_changes_a_clinic_template_and_validates(clinic):
    template = walk_template(clinic=clinic)
    services.template_update(template=template, name="Slow retro walk", max_speed_kmh=D("4.0"))
    template.refresh_from_db()
    assert (template.name, template.max_speed_kmh) == ("Slow retro walk", D("4.0"))
    with pytest.raises(ValidationError):
        services.template_update(template=template, max_incline_pct=D("-1"))
    with pytest.raises(TypeError):
        services.template_update(template=template, clinic=None)


def test_built_in_templates_are_read_only_but_can_be_cloned(clinic):
    builtin = walk_template(name="Retro treadmill walk")
    with pytest.raises(PermissionDenied):
        services.template_update(template=builtin, name="Mine now")
    clone = services.template_clone(template=builtin, clinic=clinic)
    assert (clone.clinic, clone.cloned_from, clone.name) == (clinic, builtin, "Retro treadmill walk (copy)")
    assert (clone.max_speed_kmh, clone.instructions, clone.safety_notes) == (
        builtin.max_speed_kmh, builtin.instructions, builtin.safety_notes)
    services.template_update(template=clone, name="Our retro walk")
    builtin.refresh_from_db()
    assert builtin.name == "Retro treadmill walk"
    assert services.template_clone(template=clone, clinic=clinic).name == "Our retro walk (copy)"


def test_template_clone_refuses_another_clinics_template(clinic):
    foreign = walk_template(clinic=ClinicFactory(slug="elsewhere"))
    with pytest.raises(PermissionDenied):
        services.template_clone(template=foreign, clinic=clinic)


# -- protocols: clone, archive, delete --------------------------------------


def test_clone_of_the_pfp_built_in_keeps_phases_exercises_and_ladders(clinic, library):
    builtin = Protocol.objects.get(clinic=None, slug=PFP)
    clone = services.protocol_clone(protocol=builtin, clinic=clinic)
    assert (clone.clinic, clone.cloned_from, clone.name) == (clinic, builtin, f"{builtin.name} (copy)")
    original = [(p.order, p.name, [(e.template_id, e.frequency_per_week, loads(e)) for e in p.exercises.all()])
                for p in builtin.phases.order_by("order")]
    copied = [(p.order, p.name, [(e.template_id, e.frequency_per_week, loads(e)) for e in p.exercises.all()])
              for p in clone.phases.order_by("order")]
    assert copied == original
    assert len(copied[0][2][0][2]) == 7  # 2.5 km/h · 0 % · 10 min up to 2.5 km/h · 10 % · 20 min
    # The copies are separate rows: editing the clone leaves the built-in alone.
    step = LadderStep.objects.filter(exercise__phase__protocol=clone).order_by("exercise__phase__order", "order")[1]
    services.ladder_step_update(step=step, speed_kmh=D("2.5"), incline_pct=D("0"), duration_min=14)
    assert LadderStep.objects.filter(exercise__phase__protocol=builtin, duration_min=14).count() == 0


def test_a_clone_that_fails_half_way_leaves_nothing_behind(clinic, library, monkeypatch):
    builtin = Protocol.objects.get(clinic=None, slug=PFP)

    def fail(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(Phase, "save", fail)
    with pytest.raises(RuntimeError):
        services.protocol_clone(protocol=builtin, clinic=clinic, name="Half a copy")
    assert not Protocol.objects.filter(clinic=clinic).exists()


def test_built_in_protocols_are_immutable(library):
    builtin = Protocol.objects.get(clinic=None, slug=PFP)
    phase = builtin.phases.order_by("order").first()
    exercise = phase.exercises.order_by("order").first()
    step = exercise.ladder_steps.first()
    attempts = [
        lambda: services.protocol_update(protocol=builtin, name="Changed"),
        lambda: services.protocol_archive(protocol=builtin),
        lambda: services.protocol_delete(protocol=builtin),
        lambda: services.phase_add(protocol=builtin, name="Extra"),
        lambda: services.phase_update(phase=phase, name="Changed"),
        lambda: services.phase_move(phase=phase, direction="down"),
        lambda: services.phase_remove(phase=phase),
        lambda: services.exercise_add(phase=phase, template=exercise.template),
        lambda: services.exercise_update(exercise=exercise, frequency_per_week=4),
        lambda: services.exercise_move(exercise=exercise, direction="down"),
        lambda: services.exercise_remove(exercise=exercise),
        lambda: services.ladder_save(exercise=exercise, spec=LadderSpec()),
        lambda: services.ladder_step_update(step=step, speed_kmh=D("3"), incline_pct=D("0"), duration_min=10),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()
    assert services.library_install().count("protocols", "unchanged") == 2


def test_protocol_with_assignments_is_archived_not_deleted(world):
    protocol = make_protocol(clinic=world.clinic_a, condition="pfp")
    assignment_create(patient=PatientFactory(clinic=world.clinic_a), protocol=protocol,
                      start_date=world.assignment_a1.start_date, baseline_pain=1)
    with pytest.raises(ValidationError) as error:
        services.protocol_delete(protocol=protocol)
    assert "archive it instead" in error.value.messages[0]
    services.protocol_archive(protocol=protocol)
    protocol.refresh_from_db()
    assert protocol.is_archived
    with pytest.raises(ValidationError):
        assignment_create(patient=PatientFactory(clinic=world.clinic_a), protocol=protocol,
                          start_date=world.assignment_a1.start_date, baseline_pain=1)
    services.protocol_restore(protocol=protocol)
    protocol.refresh_from_db()
    assert not protocol.is_archived


def test_protocol_without_assignments_can_be_deleted(own_protocol):
    phase = services.phase_add(protocol=own_protocol, name="Start")
    services.exercise_add(phase=phase, template=walk_template())
    services.protocol_delete(protocol=own_protocol)
    assert not Protocol.objects.filter(pk=own_protocol.pk).exists()
    assert not Phase.objects.filter(pk=phase.pk).exists()


# -- phases -------------------------------------------------------------------


def phase_names(protocol) -> list[str]:
    return list(protocol.phases.order_by("order").values_list("name", flat=True))


def test_phases_are_added_at_the_end_and_reordered(own_protocol):
    for name in ("One", "Two", "Three"):
        services.phase_add(protocol=own_protocol, name=name, expected_weeks=3)
    three = own_protocol.phases.get(name="Three")
    assert services.phase_move(phase=three, direction="up") is True
    assert phase_names(own_protocol) == ["One", "Three", "Two"]
    one = own_protocol.phases.get(name="One")
    assert services.phase_move(phase=one, direction="up") is False  # already first
    assert services.phase_move(phase=one, direction="down") is True
    assert phase_names(own_protocol) == ["Three", "One", "Two"]
    assert list(own_protocol.phases.order_by("order").values_list("order", flat=True)) == [0, 1, 2]
    with pytest.raises(ValidationError):
        services.phase_move(phase=one, direction="sideways")


def test_removing_a_phase_closes_the_gap_and_removes_its_exercises(own_protocol):
    phases = [services.phase_add(protocol=own_protocol, name=name) for name in ("One", "Two", "Three")]
    exercise = services.exercise_add(phase=phases[0], template=walk_template())
    services.phase_remove(phase=phases[0])
    assert phase_names(own_protocol) == ["Two", "Three"]
    assert list(own_protocol.phases.order_by("order").values_list("order", flat=True)) == [0, 1]
    assert not PrescribedExercise.objects.filter(pk=exercise.pk).exists()
    assert services.phase_add(protocol=own_protocol, name="Four").order == 2


def test_phase_validation_names_the_field(own_protocol):
    with pytest.raises(ValidationError) as error:
        services.phase_add(protocol=own_protocol, name="Long", expected_weeks=60)
    assert "expected_weeks" in error.value.message_dict
    phase = services.phase_add(protocol=own_protocol, name="Start")
    services.phase_update(phase=phase, goals="Walk backwards for 20 minutes.", entry_criteria="Pain ≤ 3/10")
    phase.refresh_from_db()
    assert phase.goals.startswith("Walk backwards")


# -- prescribed exercises ------------------------------------------------------


def test_exercise_add_generates_the_templates_ladder_and_uses_default_doses(own_protocol):
    phase = services.phase_add(protocol=own_protocol, name="Start")
    walk = services.exercise_add(phase=phase, template=walk_template(), frequency_per_week=3)
    assert loads(walk) == [(s.speed_kmh, s.incline_pct, s.duration_min) for s in generate_ladder()]
    sits = services.exercise_add(phase=phase, template=strength_template(), frequency_per_week=5)
    assert (sits.order, sits.sets, sits.hold_seconds, sits.reps) == (1, 3, 30, None)
    assert not sits.ladder_steps.exists()
    own_dose = services.exercise_add(phase=phase, template=strength_template(), sets=2, reps=8)
    assert (own_dose.sets, own_dose.reps, own_dose.hold_seconds) == (2, 8, None)


@pytest.mark.parametrize("frequency", [0, 15])
def test_exercise_frequency_must_be_1_to_14(own_protocol, frequency):
    phase = services.phase_add(protocol=own_protocol, name="Start")
    with pytest.raises(ValidationError) as error:
        services.exercise_add(phase=phase, template=strength_template(), frequency_per_week=frequency)
    assert "frequency_per_week" in error.value.message_dict
    exercise = services.exercise_add(phase=phase, template=strength_template(), frequency_per_week=14)
    with pytest.raises(ValidationError):
        services.exercise_update(exercise=exercise, frequency_per_week=frequency)


def test_exercise_add_refuses_another_clinics_template(own_protocol):
    phase = services.phase_add(protocol=own_protocol, name="Start")
    foreign = walk_template(clinic=ClinicFactory(slug="elsewhere"))
    with pytest.raises(ValidationError) as error:
        services.exercise_add(phase=phase, template=foreign)
    assert "another clinic" in error.value.message_dict["template"][0]


def test_exercises_move_and_remove_within_their_phase(own_protocol):
    phase = services.phase_add(protocol=own_protocol, name="Start")
    first, second, third = (services.exercise_add(phase=phase, template=strength_template(name=name))
                            for name in ("A", "B", "C"))
    services.exercise_move(exercise=third, direction="up")
    order = lambda: list(phase.exercises.order_by("order").values_list("template__name", flat=True))  # noqa: E731
    assert order() == ["A", "C", "B"]
    services.exercise_remove(exercise=first)
    assert order() == ["C", "B"]
    assert list(phase.exercises.order_by("order").values_list("order", flat=True)) == [0, 1]


# -- ladders ------------------------------------------------------------------


def test_ladder_generate_is_a_pure_preview(own_protocol):
    phase = services.phase_add(protocol=own_protocol, name="Start")
    exercise = services.exercise_add(phase=phase, template=walk_template())
    before = loads(exercise)
    spec = LadderSpec(start_speed_kmh=D("2.0"), max_speed_kmh=D("3.0"), max_incline_pct=D("5"), max_duration_min=25)
    preview = services.ladder_generate(spec=spec)
    assert preview[0] == Load(D("2.0"), D("0"), 10)
    assert preview[-1] == Load(D("3.0"), D("5"), 25)
    assert all(len(changed_variables(a, b)) == 1 for a, b in zip(preview, preview[1:]))
    assert loads(exercise) == before  # nothing saved


def test_ladder_save_replaces_the_ladder_with_the_previewed_one(own_protocol):
    phase = services.phase_add(protocol=own_protocol, name="Start")
    exercise = services.exercise_add(phase=phase, template=walk_template())
    spec = LadderSpec(max_incline_pct=D("5"), max_speed_kmh=D("3.5"), max_duration_min=20)
    preview = services.ladder_generate(spec=spec)
    services.ladder_save(exercise=exercise, spec=spec)
    assert loads(exercise) == [(p.speed_kmh, p.incline_pct, p.duration_min) for p in preview]
    assert list(exercise.ladder_steps.values_list("order", flat=True)) == list(range(len(preview)))


def test_ladder_generate_explains_bad_specs_by_field():
    with pytest.raises(ValidationError) as error:
        services.ladder_generate(spec=LadderSpec(start_speed_kmh=D("6"), max_incline_pct=D("-1")))
    messages = error.value.message_dict
    assert messages["max_speed_kmh"] == ["The speed cap must be at least the start speed (6 km/h)."]
    assert messages["max_incline_pct"] == ["The incline cap must be at least the start incline (0 %)."]
    with pytest.raises(ValidationError) as error:
        services.ladder_generate(spec=LadderSpec(first_duration_cap_min=40))
    assert "between the start duration (10 min) and the duration cap (30 min)" in \
        error.value.message_dict["first_duration_cap_min"][0]


def test_ladder_generate_refuses_step_sizes_that_would_never_reach_the_caps():
    spec = LadderSpec(speed_step_kmh=D("0.1"), max_speed_kmh=D("20"), duration_step_min=1, max_duration_min=180)
    with pytest.raises(ValidationError) as error:
        services.ladder_generate(spec=spec)
    assert f"more than {MAX_STEPS} steps" in error.value.messages[0]


def test_ladder_save_refuses_non_ladder_exercises(own_protocol):
    phase = services.phase_add(protocol=own_protocol, name="Start")
    sits = services.exercise_add(phase=phase, template=strength_template())
    with pytest.raises(ValidationError):
        services.ladder_save(exercise=sits, spec=LadderSpec())


def test_ladder_steps_may_need_an_override_but_are_saved(own_protocol):
    phase = services.phase_add(protocol=own_protocol, name="Start")
    exercise = services.exercise_add(phase=phase, template=walk_template())
    steps = list(exercise.ladder_steps.order_by("order"))
    # Steeper than 10 %: allowed, and the review marks it.
    services.ladder_step_update(step=steps[6], speed_kmh=D("2.5"), incline_pct=D("12.5"), duration_min=20)
    # Speed and duration at once: allowed, and marked.
    services.ladder_step_update(step=steps[1], speed_kmh=D("3.0"), incline_pct=D("0"), duration_min=15)
    saved = [Load(s.speed_kmh, s.incline_pct, s.duration_min) for s in exercise.ladder_steps.order_by("order")]
    reviews = review_ladder(saved)
    assert [i for i, r in enumerate(reviews) if r.needs_override] == [1, 2, 6, 7]
    assert reviews[1].multi_change and reviews[1].changed == ("speed_kmh", "duration_min")
    assert reviews[2].changed == ("speed_kmh", "duration_min")  # back down to 2.5 km/h and up to 20 min
    assert reviews[6].steep and not reviews[6].multi_change
    assert reviews[7].multi_change  # 12.5 -> 10 % and 2.5 -> 3.0 km/h


def test_ladder_step_update_validates_the_ranges(own_protocol):
    phase = services.phase_add(protocol=own_protocol, name="Start")
    step = services.exercise_add(phase=phase, template=walk_template()).ladder_steps.first()
    with pytest.raises(ValidationError) as error:
        services.ladder_step_update(step=step, speed_kmh=D("25"), incline_pct=D("41"), duration_min=0)
    assert set(error.value.message_dict) == {"speed_kmh", "incline_pct", "duration_min"}


def test_review_uses_the_clinics_incline_limit_and_never_holds_at_step_zero():
    ladder = [Load(D("2.5"), D("12"), 10), Load(D("2.5"), D("12"), 15), Load(D("2.5"), D("14"), 15)]
    default = review_ladder(ladder)
    assert [r.needs_override for r in default] == [False, True, True]
    assert default[0].steep
    lenient = review_ladder(ladder, Decimal("12"))
    assert [r.needs_override for r in lenient] == [False, False, True]


def test_a_spec_from_an_existing_ladder_regenerates_each_pfp_phase_exactly(library):
    """The built-in PFP protocol splits the walk's ladder between two phases; each part can be regenerated."""
    builtin = Protocol.objects.get(clinic=None, slug=PFP)
    walks = PrescribedExercise.objects.filter(phase__protocol=builtin, template__slug="retro-treadmill-walk")
    assert walks.count() == 2
    for walk in walks:
        current = [Load(*row) for row in loads(walk)]
        spec = ladder_spec_from_ladder(template=walk.template, loads=current)
        assert services.ladder_generate(spec=spec) == current
