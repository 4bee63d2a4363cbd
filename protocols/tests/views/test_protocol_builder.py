"""The protocol builder pages: access, listing, starting and cloning, archive vs delete, query counts.

Phases and exercises are in test_protocol_builder_phases.py, ladders in test_protocol_builder_ladders.py.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from patients.services import assignment_create
from protocols import services
from protocols.models import LadderStep, Protocol
from protocols.tests.views.builder_support import PFP, foreign, library, own, url, walk_of  # noqa: F401 (fixtures)
from tests.factories import ExerciseTemplateFactory, PatientFactory

pytestmark = pytest.mark.django_db


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
