"""The protocol builder pages: access, listing, cloning, phases, exercises, ladders, archive vs delete, query counts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clinic.models import ClinicSettings
from patients.services import assignment_create
from protocols import services
from protocols.forms import LadderSpecForm
from protocols.ladder import LadderSpec
from protocols.models import ExerciseKind, LadderStep, PrescribedExercise, Protocol
from tests.factories import ExerciseTemplateFactory, PatientFactory, make_protocol

pytestmark = pytest.mark.django_db
PFP = "pfp-retro-incline-6-weeks"


@pytest.fixture
def library(db):
    services.library_install()
    return Protocol.objects.get(clinic=None, slug=PFP)


@pytest.fixture
def own(world):
    """Clinic A's own protocol: one phase with a retro walk (default ladder) and wall sits."""
    protocol = services.protocol_create(clinic=world.clinic_a, name="Clinic A knee plan", condition="pfp")
    phase = services.phase_add(protocol=protocol, name="Start", expected_weeks=3)
    services.exercise_add(phase=phase, template=ExerciseTemplateFactory(name="Retro walk"))
    services.exercise_add(phase=phase, template=ExerciseTemplateFactory(
        name="Wall sit", kind=ExerciseKind.STRENGTH, default_speed_kmh=None, default_sets=3,
        default_hold_seconds=30))
    return protocol


@pytest.fixture
def foreign(world):
    return make_protocol(clinic=world.clinic_b)


def url(name, *args):
    return reverse(f"protocols:{name}", args=args)


def walk_of(protocol) -> PrescribedExercise:
    return PrescribedExercise.objects.filter(phase__protocol=protocol, template__kind=ExerciseKind.RETRO_TREADMILL_WALK
                                             ).order_by("phase__order", "order").first()


def every_page(protocol) -> list[tuple[str, str]]:
    """(method, url) for each builder page of `protocol`."""
    phase = protocol.phases.order_by("order").first()
    exercise = walk_of(protocol)
    step = exercise.ladder_steps.first()
    pk = protocol.pk
    return [
        ("get", url("detail", pk)), ("get", url("edit", pk)), ("post", url("clone", pk)),
        ("post", url("archive", pk)), ("post", url("restore", pk)), ("get", url("delete", pk)),
        ("get", url("phase-add", pk)), ("get", url("phase-edit", pk, phase.pk)),
        ("get", url("phase-remove", pk, phase.pk)), ("post", url("phase-move", pk, phase.pk)),
        ("get", url("exercise-add", pk, phase.pk)), ("get", url("exercise-edit", pk, exercise.pk)),
        ("get", url("exercise-remove", pk, exercise.pk)), ("post", url("exercise-move", pk, exercise.pk)),
        ("get", url("ladder", pk, exercise.pk)), ("get", url("step-edit", pk, step.pk)),
    ]


# -- who may use the builder --------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client, own):
    for _method, page in [("get", url("list")), ("get", url("create")), *every_page(own)]:
        response = client.get(page)
        assert response.status_code == 302 and response.url.startswith(reverse("login")), page


def test_patients_get_403(client, world, own):
    client.force_login(world.patient_a1.user)
    for method, page in [("get", url("list")), ("get", url("create")), *every_page(own)]:
        assert getattr(client, method)(page).status_code == 403, page


def test_another_clinics_protocol_is_404_on_every_page(client, world, foreign):
    client.force_login(world.therapist_a)
    for method, page in every_page(foreign):
        assert getattr(client, method)(page, {"direction": "up"}).status_code == 404, page
    assert Protocol.objects.filter(cloned_from=foreign).count() == 0


def test_nested_objects_must_belong_to_the_protocol_in_the_url(client, world, own, library):
    """A phase, exercise or step of protocol X cannot be reached through protocol Y's URL."""
    client.force_login(world.therapist_a)
    other = services.protocol_create(clinic=world.clinic_a, name="Other", condition="pfp")
    phase = own.phases.first()
    exercise = walk_of(own)
    assert client.get(url("phase-edit", other.pk, phase.pk)).status_code == 404
    assert client.get(url("exercise-edit", other.pk, exercise.pk)).status_code == 404
    assert client.get(url("step-edit", other.pk, exercise.ladder_steps.first().pk)).status_code == 404
    # The built-in's steps are not reachable through the clinic's protocol either.
    assert client.get(url("step-edit", own.pk, walk_of(library).ladder_steps.first().pk)).status_code == 404


def test_built_in_protocols_are_read_only(client, world, library):
    client.force_login(world.therapist_a)
    for method, page in every_page(library):
        if page in (url("detail", library.pk), url("clone", library.pk)):
            continue
        assert getattr(client, method)(page, {"direction": "down"}).status_code == 403, page
    step = walk_of(library).ladder_steps.first()
    response = client.post(url("step-edit", library.pk, step.pk),
                           {"speed_kmh": "3", "incline_pct": "0", "duration_min": "10"})
    assert response.status_code == 403
    step.refresh_from_db()
    assert step.speed_kmh == Decimal("2.5")
    body = client.get(url("detail", library.pk)).content.decode()
    assert "Clone into my clinic to edit" in body and "read-only" in body
    assert url("phase-add", library.pk) not in body and "Edit<span" not in body


# -- the list -------------------------------------------------------------------


def test_list_shows_built_ins_and_own_but_not_other_clinics(client, world, own, foreign, library):
    client.force_login(world.therapist_a)
    body = client.get(url("list")).content.decode()
    assert library.name in body and "Clinic A knee plan" in body
    assert foreign.name not in body
    # The world's built-in protocol has two clinic A assignments (and one of clinic B, not counted here).
    world_protocol = world.assignment_a1.protocol
    row = client.get(url("list")).context["page"].object_list
    assert {p.pk: p.assignment_count for p in row}[world_protocol.pk] == 2


def test_list_filters_by_condition_and_hides_archived_protocols(client, world, own, library):
    client.force_login(world.therapist_a)
    acl = Protocol.objects.get(clinic=None, slug="acl-retro-incline-phases-1-3")
    body = client.get(url("list"), {"condition": "acl"}).content.decode()
    assert acl.name in body and library.name not in body
    services.protocol_archive(protocol=own)
    assert "Clinic A knee plan" not in client.get(url("list")).content.decode()
    body = client.get(url("list"), {"archived": "1"}).content.decode()
    assert "Clinic A knee plan" in body and "Archived" in body


def test_empty_filtered_list_says_what_to_do(client, world):
    client.force_login(world.therapist_a)
    body = client.get(url("list"), {"q": "no such protocol"}).content.decode()
    assert "No protocols match these filters" in body and url("create") in body


# -- starting a protocol ---------------------------------------------------------


def test_start_an_empty_protocol(client, world, library):
    client.force_login(world.therapist_a)
    page = client.get(url("create")).content.decode()
    assert library.name in page  # built-ins offered to clone
    response = client.post(url("create"), {"name": "My PFP plan", "condition": "pfp", "sessions_per_week": "4",
                                           "description": "Gentle start."})
    protocol = Protocol.objects.get(name="My PFP plan")
    assert (protocol.clinic, protocol.sessions_per_week, protocol.created_by) == (world.clinic_a, 4, world.therapist_a)
    assert response.url == url("phase-add", protocol.pk)
    body = client.get(url("detail", protocol.pk)).content.decode()
    assert "No phases yet" in body and url("phase-add", protocol.pk) in body


@pytest.mark.parametrize("days", ["0", "15"])
def test_sessions_per_week_must_be_1_to_14(client, world, days):
    client.force_login(world.therapist_a)
    response = client.post(url("create"), {"name": "X", "condition": "pfp", "sessions_per_week": days})
    assert response.status_code == 200
    assert "Enter the planned training days per week, from 1 to 14." in response.content.decode()
    assert not Protocol.objects.filter(name="X").exists()


def test_clone_the_pfp_built_in_keeps_its_ladders(client, world, library):
    client.force_login(world.therapist_a)
    response = client.post(url("clone", library.pk))
    clone = Protocol.objects.get(cloned_from=library, clinic=world.clinic_a)
    assert response.url == url("detail", clone.pk)
    original = list(LadderStep.objects.filter(exercise__phase__protocol=library)
                    .order_by("exercise__phase__order", "exercise__order", "order")
                    .values_list("speed_kmh", "incline_pct", "duration_min"))
    copied = list(LadderStep.objects.filter(exercise__phase__protocol=clone)
                  .order_by("exercise__phase__order", "exercise__order", "order")
                  .values_list("speed_kmh", "incline_pct", "duration_min"))
    assert copied == original and len(copied) == 7 + 9
    body = client.get(response.url).content.decode()
    assert "Copied into your clinic" in body and url("phase-add", clone.pk) in body


def test_cloning_your_own_protocol_names_the_copy(client, world, own):
    client.force_login(world.therapist_a)
    client.post(url("clone", own.pk))
    assert Protocol.objects.filter(clinic=world.clinic_a, name="Clinic A knee plan (copy)").exists()


def test_a_clone_of_a_built_in_is_named_as_a_copy_too(client, world, library):
    client.force_login(world.therapist_a)
    client.post(url("clone", library.pk))
    clone = Protocol.objects.get(cloned_from=library, clinic=world.clinic_a)
    assert clone.name == f"{library.name} (copy)"
    listing = client.get(url("list")).content.decode()
    assert f"{library.name} (copy)" in listing


def test_a_long_name_keeps_its_copy_suffix():
    assert services.copy_name("x" * 200, 160) == "x" * 153 + " (copy)"
    assert len(services.copy_name("x" * 200, 160)) == 160


def test_edit_protocol_details(client, world, own):
    client.force_login(world.therapist_a)
    response = client.post(url("edit", own.pk), {"name": "Renamed", "condition": "acl", "sessions_per_week": "5"})
    assert response.status_code == 302
    own.refresh_from_db()
    assert (own.name, own.condition, own.sessions_per_week) == ("Renamed", "acl", 5)


# -- phases -------------------------------------------------------------------------


def test_add_edit_reorder_and_remove_phases(client, world, own):
    client.force_login(world.therapist_a)
    response = client.post(url("phase-add", own.pk), {"name": "Build", "expected_weeks": "4",
                                                      "goals": "Faster.", "entry_criteria": "Pain ≤ 3/10."})
    build = own.phases.get(name="Build")
    assert response.url == url("detail", own.pk) + f"#phase-{build.pk}"
    client.post(url("phase-move", own.pk, build.pk), {"direction": "up"})
    assert list(own.phases.order_by("order").values_list("name", flat=True)) == ["Build", "Start"]
    client.post(url("phase-edit", own.pk, build.pk), {"name": "Build up", "expected_weeks": "5"})
    build.refresh_from_db()
    assert (build.name, build.expected_weeks) == ("Build up", 5)
    confirm = client.get(url("phase-remove", own.pk, build.pk)).content.decode()
    assert "Remove phase “Build up”?" in confirm
    client.post(url("phase-remove", own.pk, build.pk))
    assert list(own.phases.values_list("name", "order")) == [("Start", 0)]


def test_phase_form_errors_are_clear(client, world, own):
    client.force_login(world.therapist_a)
    response = client.post(url("phase-add", own.pk), {"name": "", "expected_weeks": "60"})
    assert set(response.context["form"].errors) == {"name", "expected_weeks"}


def test_phase_move_with_an_unknown_direction_changes_nothing(client, world, own):
    client.force_login(world.therapist_a)
    phase = own.phases.get()
    response = client.post(url("phase-move", own.pk, phase.pk), {"direction": "sideways"}, follow=True)
    assert "Choose up or down." in response.content.decode()


# -- exercises ------------------------------------------------------------------------


def test_add_a_strength_exercise_with_its_default_dose(client, world, own, library):
    client.force_login(world.therapist_a)
    phase = own.phases.get()
    quad_sets = own.clinic.exercise_templates.model.objects.get(clinic=None, slug="quad-sets")
    response = client.post(url("exercise-add", own.pk, phase.pk), {"template": quad_sets.pk,
                                                                   "frequency_per_week": "5"})
    exercise = phase.exercises.get(template=quad_sets)
    assert response.url == url("detail", own.pk) + f"#exercise-{exercise.pk}"
    assert (exercise.sets, exercise.reps, exercise.hold_seconds, exercise.order) == (3, 10, 5, 2)
    body = client.get(url("detail", own.pk)).content.decode()
    assert "5× a week · 3 sets of 10 reps, holding each for 5 seconds" in body


def test_adding_a_ladder_exercise_generates_its_ladder_and_opens_the_ladder_page(client, world, own, library):
    client.force_login(world.therapist_a)
    phase = own.phases.get()
    run = own.clinic.exercise_templates.model.objects.get(clinic=None, slug="retro-treadmill-run")
    response = client.post(url("exercise-add", own.pk, phase.pk), {"template": run.pk, "frequency_per_week": "3"})
    exercise = phase.exercises.get(template=run)
    assert response.url == url("ladder", own.pk, exercise.pk)
    assert exercise.ladder_steps.count() > 1


@pytest.mark.parametrize("frequency", ["0", "15", ""])
def test_frequency_must_be_1_to_14_a_week(client, world, own, frequency):
    client.force_login(world.therapist_a)
    exercise = walk_of(own)
    response = client.post(url("exercise-edit", own.pk, exercise.pk), {"frequency_per_week": frequency})
    assert response.status_code == 200
    body = response.content.decode()
    assert ("Enter how many times a week, from 1 to 14." in body) or (frequency == "" and "required" in body)
    exercise.refresh_from_db()
    assert exercise.frequency_per_week == 3


def test_another_clinics_template_cannot_be_prescribed(client, world, own):
    client.force_login(world.therapist_a)
    secret = ExerciseTemplateFactory(clinic=world.clinic_b, name="Clinic B secret")
    phase = own.phases.get()
    page = client.get(url("exercise-add", own.pk, phase.pk)).content.decode()
    assert "Clinic B secret" not in page
    response = client.post(url("exercise-add", own.pk, phase.pk), {"template": secret.pk, "frequency_per_week": "3"})
    assert "template" in response.context["form"].errors
    assert not phase.exercises.filter(template=secret).exists()


def test_reorder_and_remove_exercises(client, world, own):
    client.force_login(world.therapist_a)
    phase = own.phases.get()
    sits = phase.exercises.get(order=1)
    client.post(url("exercise-move", own.pk, sits.pk), {"direction": "up"})
    assert list(phase.exercises.order_by("order").values_list("template__name", flat=True)) == ["Wall sit",
                                                                                                "Retro walk"]
    walk = walk_of(own)
    confirm = client.get(url("exercise-remove", own.pk, walk.pk)).content.decode()
    assert "Its load ladder (15 steps) is removed too." in confirm
    client.post(url("exercise-remove", own.pk, walk.pk))
    assert list(phase.exercises.values_list("template__name", "order")) == [("Wall sit", 0)]


# -- ladders ------------------------------------------------------------------------------


def spec_post(action: str, **changes) -> dict:
    values = {name: str(value) for name, value in LadderSpec().__dict__.items()}
    values.update({name: str(value) for name, value in changes.items()})
    values["action"] = action
    return values


def test_ladder_page_is_prefilled_from_the_template(client, world, own):
    client.force_login(world.therapist_a)
    exercise = walk_of(own)
    form = client.get(url("ladder", own.pk, exercise.pk)).context["form"]
    assert form.initial["start_speed_kmh"] == Decimal("2.5")
    assert form.initial["max_incline_pct"] == Decimal("10")
    assert form.initial["first_duration_cap_min"] == 20


def test_preview_shows_the_ladder_without_saving_it(client, world, own):
    client.force_login(world.therapist_a)
    exercise = walk_of(own)
    before = list(exercise.ladder_steps.values_list("pk", flat=True))
    response = client.post(url("ladder", own.pk, exercise.pk), spec_post("preview", max_incline_pct="5"))
    assert response.status_code == 200
    preview = response.context["preview"]
    assert [row.review.load.incline_pct for row in preview][-1] == Decimal("5")
    assert all(len(row.review.changed) <= 1 for row in preview)
    body = response.content.decode()
    assert "Preview — not saved yet" in body and "Save this ladder (13 steps)" in body
    assert list(exercise.ladder_steps.values_list("pk", flat=True)) == before


def test_save_stores_exactly_the_previewed_ladder(client, world, own):
    client.force_login(world.therapist_a)
    exercise = walk_of(own)
    spec = LadderSpec(max_incline_pct=Decimal("5"))
    post = spec_post("save", max_incline_pct="5", previewed=LadderSpecForm.fingerprint(spec))
    response = client.post(url("ladder", own.pk, exercise.pk), post)
    assert response.status_code == 302
    assert exercise.ladder_steps.count() == 13
    assert exercise.ladder_steps.order_by("order").last().incline_pct == Decimal("5")


def test_save_after_changing_a_value_previews_again_instead(client, world, own):
    client.force_login(world.therapist_a)
    exercise = walk_of(own)
    stale = LadderSpecForm.fingerprint(LadderSpec(max_incline_pct=Decimal("5")))
    response = client.post(url("ladder", own.pk, exercise.pk),
                           spec_post("save", max_incline_pct="7.5", previewed=stale))
    assert response.status_code == 200
    assert "The values changed since the preview" in response.content.decode()
    assert exercise.ladder_steps.count() == 15  # unchanged


def test_ladder_form_explains_bad_values(client, world, own):
    client.force_login(world.therapist_a)
    exercise = walk_of(own)
    response = client.post(url("ladder", own.pk, exercise.pk),
                           spec_post("preview", max_speed_kmh="2.0", first_duration_cap_min="40"))
    body = response.content.decode()
    assert "The speed cap must be at least the start speed (2.5 km/h)." in body
    assert "between the start duration (10 min) and the duration cap (30 min)" in body
    assert response.context["preview"] is None


def test_non_ladder_exercises_have_no_ladder_page(client, world, own):
    client.force_login(world.therapist_a)
    sits = own.phases.get().exercises.get(template__kind=ExerciseKind.STRENGTH)
    assert client.get(url("ladder", own.pk, sits.pk)).status_code == 403


def test_edit_a_step_and_see_the_override_marker(client, world, own):
    client.force_login(world.therapist_a)
    exercise = walk_of(own)
    steps = list(exercise.ladder_steps.order_by("order"))
    detail = client.get(url("detail", own.pk)).content.decode()
    assert "Needs therapist override" not in detail
    response = client.post(url("step-edit", own.pk, steps[1].pk),
                           {"speed_kmh": "2.5", "incline_pct": "0", "duration_min": "17"}, follow=True)
    assert "Step 2 saved: 2.5 km/h · 0 % · 17 min." in response.content.decode()
    assert "Needs therapist override" not in response.content.decode()
    # Editing step 3 to 18 min makes step 4 change incline and duration at once: the page says so.
    response = client.post(url("step-edit", own.pk, steps[2].pk),
                           {"speed_kmh": "2.5", "incline_pct": "0", "duration_min": "18"}, follow=True)
    assert "Step 4 needs a therapist override" in response.content.decode()
    client.post(url("step-edit", own.pk, steps[2].pk), {"speed_kmh": "2.5", "incline_pct": "0", "duration_min": "20"})
    response = client.post(url("step-edit", own.pk, steps[6].pk),
                           {"speed_kmh": "2.5", "incline_pct": "12.5", "duration_min": "20"}, follow=True)
    body = response.content.decode()
    steps[6].refresh_from_db()
    assert steps[6].incline_pct == Decimal("12.5")  # allowed
    assert "Step 7 needs a therapist override" in body
    assert "Needs therapist override — the engine will hold here" in body
    assert "Incline above 10 %." in body
    # Step 8 now changes incline (12.5 -> 10) and speed at once: marked too.
    assert "Changes speed and incline at once." in body
    assert "2 ladder steps need a therapist override" in body


def test_step_edit_rejects_out_of_range_values(client, world, own):
    client.force_login(world.therapist_a)
    step = walk_of(own).ladder_steps.first()
    response = client.post(url("step-edit", own.pk, step.pk),
                           {"speed_kmh": "21", "incline_pct": "-1", "duration_min": "0"})
    assert set(response.context["form"].errors) == {"speed_kmh", "incline_pct", "duration_min"}
    body = response.content.decode()
    assert "Enter a value from 0 to 20 km/h." in body and "Enter a value from 0 to 40 %." in body
    assert "Enter a value from 1 to 180 min." in body and "Ensure this value" not in body
    step.refresh_from_db()
    assert step.speed_kmh == Decimal("2.5")


def test_override_marker_follows_the_clinics_incline_limit(client, world, own):
    ClinicSettings.objects.update_or_create(clinic=world.clinic_a,
                                            defaults={"engine_overrides": {"max_auto_incline_pct": 5}})
    client.force_login(world.therapist_a)
    body = client.get(url("detail", own.pk)).content.decode()
    assert "Incline above 5 %." in body


# -- archive instead of delete ---------------------------------------------------------------


def assign(protocol, world):
    return assignment_create(patient=PatientFactory(clinic=world.clinic_a), protocol=protocol,
                             start_date=world.assignment_a1.start_date, baseline_pain=1)


def test_a_protocol_with_assignments_is_archived_not_deleted(client, world, own):
    assign(own, world)
    client.force_login(world.therapist_a)
    detail = client.get(url("detail", own.pk)).content.decode()
    assert url("delete", own.pk) not in detail and "archive it instead of deleting it" in detail
    response = client.post(url("delete", own.pk), follow=True)
    assert "archive it instead" in response.content.decode()
    assert Protocol.objects.filter(pk=own.pk).exists()
    client.post(url("archive", own.pk))
    own.refresh_from_db()
    assert own.is_archived
    assert "Archived: this protocol cannot be assigned" in client.get(url("detail", own.pk)).content.decode()
    client.post(url("restore", own.pk))
    own.refresh_from_db()
    assert not own.is_archived


def test_a_protocol_never_assigned_can_be_deleted(client, world, own):
    client.force_login(world.therapist_a)
    assert "Delete “Clinic A knee plan”?" in client.get(url("delete", own.pk)).content.decode()
    response = client.post(url("delete", own.pk))
    assert response.url == url("list")
    assert not Protocol.objects.filter(pk=own.pk).exists()


# -- query counts -------------------------------------------------------------------------------


def grow(protocol, phases: int = 4, exercises: int = 3) -> None:
    template = ExerciseTemplateFactory(name="Growth walk")
    for n in range(phases):
        phase = services.phase_add(protocol=protocol, name=f"Extra {n}")
        for _ in range(exercises):
            services.exercise_add(phase=phase, template=template)


def test_protocol_detail_does_not_grow_in_queries(client, world, own, django_assert_max_num_queries):
    client.force_login(world.therapist_a)
    with CaptureQueriesContext(connection) as small:
        client.get(url("detail", own.pk))
    grow(own)
    assert LadderStep.objects.filter(exercise__phase__protocol=own).count() > 150
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url("detail", own.pk))
    assert response.status_code == 200
    assert len(small.captured_queries) <= 12


def test_protocol_list_does_not_grow_in_queries(client, world, own, library, django_assert_max_num_queries):
    client.force_login(world.therapist_a)
    with CaptureQueriesContext(connection) as small:
        client.get(url("list"))
    for n in range(8):
        protocol = services.protocol_clone(protocol=library, clinic=world.clinic_a, name=f"Copy {n}")
        assign(protocol, world)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url("list"))
    assert response.context["page"].paginator.count >= 11


def test_ladder_page_can_prefill_from_the_current_ladders_range(client, world, library):
    client.force_login(world.therapist_a)
    clone = services.protocol_clone(protocol=library, clinic=world.clinic_a)
    walk = walk_of(clone)  # phase 1: 2.5 km/h · 0 % · 10 min up to 2.5 km/h · 10 % · 20 min
    template_form = client.get(url("ladder", clone.pk, walk.pk))
    assert template_form.context["prefill"] == "template"
    assert template_form.context["form"].initial["max_speed_kmh"] == Decimal("5.5")
    assert "?from=ladder" in template_form.content.decode()
    ranged = client.get(url("ladder", clone.pk, walk.pk), {"from": "ladder"})
    initial = ranged.context["form"].initial
    assert ranged.context["prefill"] == "ladder"
    assert (initial["start_duration_min"], initial["max_speed_kmh"], initial["max_incline_pct"],
            initial["max_duration_min"]) == (10, Decimal("2.5"), Decimal("10"), 20)
