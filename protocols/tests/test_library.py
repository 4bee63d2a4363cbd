"""The built-in library: what `load_library` installs, and that running it again is harmless."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command

from clinic.services import clinic_create
from patients.models import AssignedLadderStep
from patients.services import assignment_create, patient_create
from protocols.ladder import LadderSpec, Load, changed_variables, generate_ladder
from protocols.library import PROTOCOLS, TEMPLATES, LadderPart
from protocols.models import ExerciseKind, ExerciseTemplate, LadderStep, PrescribedExercise, Protocol
from protocols.services import LibraryError, library_install, library_ladder, protocol_clone

pytestmark = pytest.mark.django_db

D = Decimal
PFP_SLUG = "pfp-retro-incline-6-weeks"
ACL_SLUG = "acl-retro-incline-phases-1-3"


def load_library() -> str:
    out = StringIO()
    call_command("load_library", stdout=out)
    return out.getvalue()


def model_counts(*app_labels: str) -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for label in app_labels
        for model in apps.get_app_config(label).get_models()
    }


def ladder_of(exercise: PrescribedExercise) -> list[Load]:
    return [Load(s.speed_kmh, s.incline_pct, s.duration_min) for s in exercise.ladder_steps.order_by("order")]


def treadmill_exercise(protocol: Protocol, phase_order: int) -> PrescribedExercise:
    return PrescribedExercise.objects.get(
        phase__protocol=protocol, phase__order=phase_order, template__kind__startswith="retro_treadmill"
    )


def protocol_snapshot(protocol: Protocol) -> list:
    """Every row under a protocol, with ids and timestamps, to prove nothing was rewritten."""
    rows = [("protocol", protocol.pk, protocol.name, protocol.updated_at)]
    for phase in protocol.phases.order_by("order"):
        rows.append(("phase", phase.pk, phase.name, phase.entry_criteria))
        for exercise in phase.exercises.order_by("order"):
            rows.append(("exercise", exercise.pk, exercise.template_id, exercise.frequency_per_week, exercise.notes))
            rows += [("step", s.pk, s.speed_kmh, s.incline_pct, s.duration_min) for s in exercise.ladder_steps.all()]
    return rows


def test_installs_the_templates_and_both_protocols_with_their_phases():
    load_library()

    templates = ExerciseTemplate.objects.builtin()
    assert templates.count() >= 10
    assert not ExerciseTemplate.objects.filter(clinic__isnull=False).exists()
    kinds = set(templates.values_list("kind", flat=True))
    assert {
        ExerciseKind.RETRO_TREADMILL_WALK, ExerciseKind.RETRO_TREADMILL_RUN, ExerciseKind.RETRO_STAIRS,
        ExerciseKind.SLED_DRAG, ExerciseKind.RETRO_FLAT_WALK, ExerciseKind.STRENGTH, ExerciseKind.BALANCE,
    } <= kinds

    protocols = {p.slug: p for p in Protocol.objects.filter(clinic__isnull=True)}
    assert set(protocols) == {PFP_SLUG, ACL_SLUG}
    pfp, acl = protocols[PFP_SLUG], protocols[ACL_SLUG]
    assert (pfp.condition, pfp.sessions_per_week) == ("pfp", 3)
    assert (acl.condition, acl.sessions_per_week) == ("acl", 3)
    assert list(pfp.phases.values_list("order", "name", "expected_weeks")) == [
        (0, "Settle and start", 3), (1, "Build speed and time", 3),
    ]
    assert list(acl.phases.values_list("order", "name", "expected_weeks")) == [
        (0, "Early retro walking", 4), (1, "Build walking load", 6), (2, "Return to retro running", 6),
    ]
    companions = {
        (p.slug, phase.order): sorted(phase.exercises.exclude(template__kind__startswith="retro_treadmill")
                                      .values_list("template__slug", flat=True))
        for p in (pfp, acl) for phase in p.phases.all()
    }
    assert companions == {
        (PFP_SLUG, 0): ["quad-sets", "wall-sit"],
        (PFP_SLUG, 1): ["lateral-step-down", "side-lying-hip-abduction"],
        (ACL_SLUG, 0): ["quad-sets", "single-leg-balance"],
        (ACL_SLUG, 1): ["lateral-step-down", "retro-step-up"],
        (ACL_SLUG, 2): ["backward-sled-drag"],
    }
    gate = acl.phases.get(order=2).entry_criteria
    for criterion in ("12 weeks", "70 %", "95 %", "trace", "sign-off", "Rambaud"):
        assert criterion in gate


def test_treadmill_templates_carry_the_documented_defaults():
    load_library()
    walk = ExerciseTemplate.objects.builtin().get(kind=ExerciseKind.RETRO_TREADMILL_WALK)
    run = ExerciseTemplate.objects.builtin().get(kind=ExerciseKind.RETRO_TREADMILL_RUN)

    def values(t):
        return (t.default_speed_kmh, t.default_incline_pct, t.default_duration_min, t.speed_step_kmh,
                t.incline_step_pct, t.duration_step_min, t.max_speed_kmh, t.max_incline_pct, t.max_duration_min)

    assert values(walk) == (D("2.5"), D("0"), 10, D("0.5"), D("2.5"), 5, D("5.5"), D("10"), 30)
    assert walk.handrail == "light"
    assert values(run) == (D("5.5"), D("2.5"), 15, D("0.5"), D("2.5"), 5, D("8.0"), D("5"), 25)


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]


def test_every_template_speaks_to_the_patient_and_says_how_to_stay_safe():
    for template in TEMPLATES:
        assert 2 <= len(sentences(template.instructions)) <= 4, template.slug
        assert re.search(r"\byour?\b", template.instructions, re.IGNORECASE), template.slug
        assert "sharp pain" in template.safety_notes, template.slug
    treadmill = [t for t in TEMPLATES
                 if t.kind in (ExerciseKind.RETRO_TREADMILL_WALK, ExerciseKind.RETRO_TREADMILL_RUN)]
    for template in treadmill:
        notes = template.safety_notes.lower()
        for must in ("behind", "safety key", "0 km/h", "handrail", "gentle incline", "one thing", "gives way"):
            assert must in notes, (template.slug, must)


def test_every_built_in_ladder_changes_one_variable_per_step():
    load_library()
    exercises = PrescribedExercise.objects.filter(phase__protocol__clinic__isnull=True, ladder_steps__isnull=False)
    assert exercises.distinct().count() == 5  # walk x2 (PFP), walk x2 + run (ACL)
    for exercise in exercises.distinct():
        ladder = ladder_of(exercise)
        assert len(ladder) >= 2
        for a, b in zip(ladder, ladder[1:]):
            assert len(changed_variables(a, b)) == 1, (exercise, a, b)


def test_the_walking_ladder_is_the_default_ladder_split_across_two_phases():
    load_library()
    split = Load(D("2.5"), D("10"), 20)
    for slug in (PFP_SLUG, ACL_SLUG):
        protocol = Protocol.objects.get(clinic__isnull=True, slug=slug)
        first, second = ladder_of(treadmill_exercise(protocol, 0)), ladder_of(treadmill_exercise(protocol, 1))
        assert first[0] == Load(D("2.5"), D("0"), 10)
        assert first[-1] == split == second[0]
        assert second[-1] == Load(D("5.5"), D("10"), 30)
        assert first + second[1:] == generate_ladder(LadderSpec())


def test_the_running_ladder_starts_walking_and_its_first_speed_rise_crosses_into_running():
    load_library()
    protocol = Protocol.objects.get(clinic__isnull=True, slug=ACL_SLUG)
    exercise = treadmill_exercise(protocol, 2)
    assert exercise.template.kind == ExerciseKind.RETRO_TREADMILL_RUN
    ladder = ladder_of(exercise)
    assert ladder[0] == Load(D("5.5"), D("2.5"), 15)
    first_rise = next(i for i, (a, b) in enumerate(zip(ladder, ladder[1:]), 1) if b.speed_kmh > a.speed_kmh)
    assert all(step.speed_kmh < D("5.8") for step in ladder[:first_rise])
    assert ladder[first_rise].speed_kmh >= D("5.8")
    assert ladder[-1] == Load(D("8.0"), D("5"), 25)


def test_doses_are_within_limits_and_companions_have_sets():
    load_library()
    for exercise in PrescribedExercise.objects.filter(phase__protocol__clinic__isnull=True).select_related("template"):
        assert 1 <= exercise.frequency_per_week <= 14
        if not exercise.template.has_ladder:
            assert exercise.sets and (exercise.reps or exercise.hold_seconds), exercise
    quad_sets = PrescribedExercise.objects.filter(template__slug="quad-sets").first()
    assert quad_sets.hold_seconds == 5


def test_running_twice_changes_nothing_and_leaves_clinic_rows_alone():
    first_output = load_library()
    assert "10 created" in first_output and "2 created" in first_output
    clinic = clinic_create(name="Riverside Physio", slug="riverside")
    builtin = Protocol.objects.get(clinic__isnull=True, slug=PFP_SLUG)
    clone = protocol_clone(protocol=builtin, clinic=clinic)
    own_template = ExerciseTemplate.objects.create(
        clinic=clinic, slug="quad-sets", name="Our quad sets", kind=ExerciseKind.STRENGTH, instructions="Ours."
    )
    counts = model_counts("protocols")
    clone_rows, builtin_rows = protocol_snapshot(clone), protocol_snapshot(builtin)

    second_output = load_library()

    assert "0 created, 0 updated, 10 unchanged" in second_output
    assert "0 created, 0 updated, 2 unchanged" in second_output
    assert model_counts("protocols") == counts
    assert protocol_snapshot(Protocol.objects.get(pk=clone.pk)) == clone_rows
    assert protocol_snapshot(Protocol.objects.get(pk=builtin.pk)) == builtin_rows
    own_template.refresh_from_db()
    assert (own_template.name, own_template.instructions) == ("Our quad sets", "Ours.")


def test_a_changed_built_in_is_put_back_without_touching_clones_or_assignments():
    library_install()
    clinic = clinic_create(name="Riverside Physio", slug="riverside")
    builtin = Protocol.objects.get(clinic__isnull=True, slug=PFP_SLUG)
    clone = protocol_clone(protocol=builtin, clinic=clinic)
    patient = patient_create(clinic=clinic, first_name="Ada", last_name="Lowe", condition="pfp", side="left")
    assignment = assignment_create(patient=patient, protocol=builtin, start_date=dt.date(2026, 1, 5), baseline_pain=3)
    snapshot_steps = AssignedLadderStep.objects.filter(exercise__assignment=assignment).count()
    clone_rows = protocol_snapshot(clone)
    # Someone edited built-in rows by hand: a template's text and a ladder step.
    walk = ExerciseTemplate.objects.builtin().get(slug="retro-treadmill-walk")
    ExerciseTemplate.objects.filter(pk=walk.pk).update(instructions="Edited by hand.")
    LadderStep.objects.filter(exercise=treadmill_exercise(builtin, 0)).order_by("-order").first().delete()

    report = library_install()

    assert report.templates["retro-treadmill-walk"] == "updated"
    assert report.protocols == {PFP_SLUG: "updated", ACL_SLUG: "unchanged"}
    walk_after = ExerciseTemplate.objects.get(pk=walk.pk)  # updated in place, same row
    assert walk_after.instructions != "Edited by hand."
    assert ladder_of(treadmill_exercise(builtin, 0))[-1] == Load(D("2.5"), D("10"), 20)
    assert protocol_snapshot(Protocol.objects.get(pk=clone.pk)) == clone_rows
    assert AssignedLadderStep.objects.filter(exercise__assignment=assignment).count() == snapshot_steps


def test_a_ladder_part_must_name_loads_on_the_generated_ladder():
    library_install()
    walk = ExerciseTemplate.objects.builtin().get(slug="retro-treadmill-walk")
    with pytest.raises(LibraryError, match="not a step"):
        library_ladder(LadderPart(last=Load(D("2.5"), D("3"), 20)), walk)


def test_library_definitions_use_unique_slugs():
    assert len({t.slug for t in TEMPLATES}) == len(TEMPLATES)
    assert len({p.slug for p in PROTOCOLS}) == len(PROTOCOLS)
