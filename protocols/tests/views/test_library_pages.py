"""The exercise library pages: who may see them, filters, built-ins read-only, clinic templates, query counts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from patients.services import assignment_create, assignment_end
from protocols.models import ExerciseKind, ExerciseTemplate, Protocol
from protocols.services import library_install, protocol_clone
from tests.factories import ExerciseTemplateFactory, PatientFactory

pytestmark = pytest.mark.django_db

TREADMILL_POST = {
    "name": "Clinic retro walk", "kind": ExerciseKind.RETRO_TREADMILL_WALK, "default_duration_min": "10",
    "handrail": "light", "default_speed_kmh": "2.5", "default_incline_pct": "0", "speed_step_kmh": "0.5",
    "incline_step_pct": "2.5", "duration_step_min": "5", "max_speed_kmh": "5.0", "max_incline_pct": "7.5",
    "max_duration_min": "25", "default_sets": "", "default_reps": "", "default_hold_seconds": "",
    "instructions": "Walk backwards, holding the rail lightly.", "safety_notes": "Clip on the safety key.",
}


@pytest.fixture
def templates(world):
    """A built-in treadmill template, one of clinic A's and one of clinic B's."""
    return {
        "builtin": ExerciseTemplateFactory(name="Built-in retro walk"),
        "a": ExerciseTemplateFactory(clinic=world.clinic_a, name="Clinic A wall sit", kind=ExerciseKind.STRENGTH,
                                     default_speed_kmh=None, default_sets=3, default_hold_seconds=30),
        "b": ExerciseTemplateFactory(clinic=world.clinic_b, name="Clinic B secret sled", kind=ExerciseKind.SLED_DRAG),
    }


def test_anonymous_visitors_are_sent_to_sign_in(client, templates):
    for url in (reverse("protocols:library"), reverse("protocols:template-create"),
                reverse("protocols:template-detail", args=[templates["builtin"].pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


def test_patients_get_403_everywhere(client, world, templates):
    client.force_login(world.patient_a1.user)
    a = templates["a"].pk
    for url in (reverse("protocols:library"), reverse("protocols:template-create"),
                reverse("protocols:template-detail", args=[a]), reverse("protocols:template-edit", args=[a])):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("protocols:template-clone", args=[a])).status_code == 403
    assert client.post(reverse("protocols:template-edit", args=[a]), TREADMILL_POST).status_code == 403


def test_library_lists_built_ins_and_the_clinics_own_but_not_other_clinics(client, world, templates):
    client.force_login(world.therapist_a)
    body = client.get(reverse("protocols:library")).content.decode()
    assert "Built-in retro walk" in body and "Clinic A wall sit" in body
    assert "Clinic B secret sled" not in body


def test_admins_use_the_library_too(client, world, templates):
    client.force_login(world.admin_a)
    assert client.get(reverse("protocols:library")).status_code == 200


def test_library_filters_by_kind_source_and_search(client, world, templates):
    client.force_login(world.therapist_a)
    url = reverse("protocols:library")
    body = client.get(url, {"kind": ExerciseKind.STRENGTH}).content.decode()
    assert "Clinic A wall sit" in body and "Built-in retro walk" not in body
    body = client.get(url, {"origin": "builtin"}).content.decode()
    assert "Built-in retro walk" in body and "Clinic A wall sit" not in body
    body = client.get(url, {"q": "wall"}).content.decode()
    assert "Clinic A wall sit" in body and "Built-in retro walk" not in body
    body = client.get(url, {"q": "nothing like this"}).content.decode()
    assert "No exercise templates match these filters" in body and "Clear the filters" in body
    # Unknown filter values are ignored, not an error.
    assert client.get(url, {"kind": "rocket", "origin": "mars"}).status_code == 200


def test_library_paginates(client, world):
    for n in range(30):
        ExerciseTemplateFactory(clinic=world.clinic_a, name=f"Template {n:02d}")
    client.force_login(world.therapist_a)
    first = client.get(reverse("protocols:library"), {"origin": "clinic"}).content.decode()
    assert "Template 00" in first and "Template 29" not in first and "Page 1 of 2" in first
    assert "origin=clinic&amp;page=2" in first
    second = client.get(reverse("protocols:library"), {"origin": "clinic", "page": 2}).content.decode()
    assert "Template 29" in second


def test_built_in_template_page_offers_a_clone_not_an_edit(client, world, templates):
    client.force_login(world.therapist_a)
    builtin = templates["builtin"]
    body = client.get(reverse("protocols:template-detail", args=[builtin.pk])).content.decode()
    assert "Clone into my clinic to edit" in body
    assert reverse("protocols:template-edit", args=[builtin.pk]) not in body
    # The ladder its defaults generate is previewed: 15 steps of the default rules.
    assert "The ladder these defaults generate" in body and "5.5 km/h" in body


def test_built_in_templates_cannot_be_edited(client, world, templates):
    client.force_login(world.therapist_a)
    url = reverse("protocols:template-edit", args=[templates["builtin"].pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {**TREADMILL_POST, "name": "Hijacked"}).status_code == 403
    templates["builtin"].refresh_from_db()
    assert templates["builtin"].name == "Built-in retro walk"


def test_other_clinics_templates_are_404(client, world, templates):
    client.force_login(world.therapist_a)
    b = templates["b"].pk
    assert client.get(reverse("protocols:template-detail", args=[b])).status_code == 404
    assert client.get(reverse("protocols:template-edit", args=[b])).status_code == 404
    assert client.post(reverse("protocols:template-edit", args=[b]), TREADMILL_POST).status_code == 404
    assert client.post(reverse("protocols:template-clone", args=[b])).status_code == 404
    assert ExerciseTemplate.objects.filter(cloned_from_id=b).count() == 0


def test_create_a_clinic_treadmill_template(client, world):
    client.force_login(world.therapist_a)
    form = client.get(reverse("protocols:template-create")).content.decode()
    assert 'name="default_speed_kmh"' in form and 'value="2.5"' in form  # prefilled with the rule defaults
    response = client.post(reverse("protocols:template-create"), TREADMILL_POST)
    template = ExerciseTemplate.objects.get(name="Clinic retro walk")
    assert response.status_code == 302 and response.url == reverse("protocols:template-detail", args=[template.pk])
    assert (template.clinic, template.max_speed_kmh, template.max_incline_pct) == (
        world.clinic_a, Decimal("5.0"), Decimal("7.5"))


def test_caps_below_the_start_values_are_explained_beside_the_fields(client, world):
    client.force_login(world.therapist_a)
    response = client.post(reverse("protocols:template-create"),
                           {**TREADMILL_POST, "max_speed_kmh": "2.0", "max_duration_min": "5"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "The speed cap must be at least the start speed (2.5 km/h)." in body
    assert "The duration cap must be at least the start duration (10 min)." in body
    assert not ExerciseTemplate.objects.filter(name="Clinic retro walk").exists()


def test_required_fields_and_ranges_are_checked(client, world):
    client.force_login(world.therapist_a)
    response = client.post(reverse("protocols:template-create"),
                           {**TREADMILL_POST, "name": "", "instructions": "", "max_incline_pct": "45"})
    form = response.context["form"]
    assert set(form.errors) >= {"name", "instructions", "max_incline_pct"}


def test_create_a_strength_template_ignores_ladder_values(client, world):
    client.force_login(world.therapist_a)
    client.post(reverse("protocols:template-create"), {
        **TREADMILL_POST, "name": "Clinic step-down", "kind": ExerciseKind.STRENGTH, "default_sets": "3",
        "default_reps": "12", "default_duration_min": "",
    })
    template = ExerciseTemplate.objects.get(name="Clinic step-down")
    assert (template.default_sets, template.default_reps, template.default_speed_kmh) == (3, 12, None)


def test_clone_a_built_in_then_edit_the_copy(client, world, templates):
    client.force_login(world.therapist_a)
    builtin = templates["builtin"]
    response = client.post(reverse("protocols:template-clone", args=[builtin.pk]))
    clone = ExerciseTemplate.objects.get(cloned_from=builtin)
    assert clone.clinic == world.clinic_a
    assert response.url == reverse("protocols:template-edit", args=[clone.pk])
    edit = client.get(response.url)
    assert edit.status_code == 200 and 'value="Built-in retro walk (copy)"' in edit.content.decode()
    response = client.post(response.url, {**TREADMILL_POST, "name": "Our retro walk", "max_speed_kmh": "4.5"})
    assert response.status_code == 302
    clone.refresh_from_db()
    assert (clone.name, clone.max_speed_kmh) == ("Our retro walk", Decimal("4.5"))
    builtin.refresh_from_db()
    assert builtin.max_speed_kmh == Decimal("5.5")


def test_own_template_page_has_an_edit_button(client, world, templates):
    client.force_login(world.therapist_a)
    a = templates["a"]
    body = client.get(reverse("protocols:template-detail", args=[a.pk])).content.decode()
    assert reverse("protocols:template-edit", args=[a.pk]) in body
    assert "Not used in any protocol yet" in body


def test_an_exercise_page_counts_its_use_in_every_protocol_and_running_plan(client, world):
    """The built-in retro walk: in both built-in protocols, in clinic A's clone, and in two running plans."""
    library_install()
    walk = ExerciseTemplate.objects.get(clinic=None, slug="retro-treadmill-walk")
    builtins = list(Protocol.objects.filter(clinic=None, phases__exercises__template=walk).distinct()
                    .order_by(F("condition").desc()))  # the PFP protocol first: our patients have PFP
    assert builtins, "the library prescribes the retro walk"
    clone = protocol_clone(protocol=builtins[0], clinic=world.clinic_a)
    protocol_clone(protocol=builtins[0], clinic=world.clinic_b)  # another clinic's: not counted
    running = [assignment_create(patient=p, protocol=builtins[0], start_date=world.assignment_a1.start_date,
                                 baseline_pain=1) for p in (PatientFactory(clinic=world.clinic_a),
                                                             PatientFactory(clinic=world.clinic_a))]
    ended = assignment_create(patient=PatientFactory(clinic=world.clinic_a), protocol=clone,
                              start_date=world.assignment_a1.start_date, baseline_pain=1)
    assignment_end(assignment=ended, end_date=world.assignment_a1.start_date)
    client.force_login(world.therapist_a)
    response = client.get(reverse("protocols:template-detail", args=[walk.pk]))
    template = response.context["template"]
    assert {p.pk for p in template.used_in} == {clone.pk, *(b.pk for b in builtins)}
    uses = {p.pk: p.uses for p in template.used_in}
    expected = clone.phases.filter(exercises__template=walk).count()
    assert uses[clone.pk] == expected and uses[builtins[0].pk] == expected
    assert template.running_plans == len(running)
    body = response.content.decode()
    assert f"In {len(builtins) + 1} protocols" in body and f"in {len(running)} running plans" in body
    assert f"prescribed {expected} times" in body and "Built-in" in body


def test_the_library_page_does_not_grow_in_queries(client, world, django_assert_max_num_queries):
    library_install()
    client.force_login(world.therapist_a)
    url = reverse("protocols:library")
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(20):
        ExerciseTemplateFactory(clinic=world.clinic_a, name=f"Extra {n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.context["page"].paginator.count > 25


def test_template_detail_is_a_fixed_number_of_queries(client, world, django_assert_max_num_queries):
    library_install()
    client.force_login(world.therapist_a)
    template = ExerciseTemplate.objects.get(clinic=None, slug="retro-treadmill-walk")
    with django_assert_max_num_queries(10):
        assert client.get(reverse("protocols:template-detail", args=[template.pk])).status_code == 200
