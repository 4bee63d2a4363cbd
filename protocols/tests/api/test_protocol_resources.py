"""The protocol resources of /api/v1/ (exercise templates, protocols): what each returns and does, filters, and
fields nobody may set."""

import pytest

from protocols.models import ExerciseKind, Protocol
from tests.api.support import api, ids, rows  # noqa: F401 (fixtures)
from tests.factories import ExerciseTemplateFactory, PatientFactory, make_protocol

pytestmark = pytest.mark.django_db



# ---------------------------------------------------------------------------
# Exercise templates
# ---------------------------------------------------------------------------


def test_templates_are_the_builtins_and_the_clinics_own(world, rows, api):
    listing = api("therapist_a").get("/api/v1/exercise-templates/")
    seen = ids(listing)
    assert rows.template_a.pk in seen and rows.template_b.pk not in seen
    builtin = next(t for t in listing.json()["results"] if t["is_builtin"])
    assert builtin["clinic"] is None
    own = next(t for t in listing.json()["results"] if t["id"] == rows.template_a.pk)
    assert own["clinic"] == world.clinic_a.pk and own["default_speed_kmh"] == 2.5  # a number, not a string
    assert ids(api("therapist_a").get("/api/v1/exercise-templates/?builtin=false")) == {rows.template_a.pk}
    assert rows.template_a.pk not in ids(api("therapist_a").get("/api/v1/exercise-templates/?builtin=true"))


def test_templates_filter_by_kind(world, rows, api):
    listing = api("key_a").get("/api/v1/exercise-templates/?kind=strength")
    assert listing.json()["count"] >= 1
    assert {t["kind"] for t in listing.json()["results"]} == {"strength"}
    bad = api("key_a").get("/api/v1/exercise-templates/?kind=flying")
    assert bad.status_code == 400 and "kind" in bad.json()


def test_templates_are_read_only(world, api):
    response = api("therapist_a").post("/api/v1/exercise-templates/", {"name": "x"}, format="json")
    assert response.status_code == 405


# ---------------------------------------------------------------------------
# Protocols
# ---------------------------------------------------------------------------


def test_protocol_detail_nests_phases_exercises_and_ladder_steps(world, rows, api):
    body = api("therapist_a").get(f"/api/v1/protocols/{rows.protocol_a.pk}/").json()
    assert body["clinic"] == world.clinic_a.pk and body["is_builtin"] is False
    (phase,) = body["phases"]
    walk_, quads = phase["exercises"]
    assert walk_["kind"] == ExerciseKind.RETRO_TREADMILL_WALK and quads["ladder_steps"] == []
    assert [(s["order"], s["speed_kmh"], s["incline_pct"], s["duration_min"]) for s in walk_["ladder_steps"]] == [
        (0, 2.5, 0.0, 10), (1, 2.5, 0.0, 15), (2, 2.5, 2.5, 15)]
    assert walk_["ladder_steps"][2]["in_words"] == "2.5 km/h · 2.5 % · 15 min"


def test_protocol_create_takes_the_clinic_from_the_caller_not_the_body(world, api):
    response = api("therapist_a").post("/api/v1/protocols/", {
        "name": "Our PFP plan", "condition": "pfp", "sessions_per_week": 4, "description": "Ours.",
        "clinic": world.clinic_b.pk, "is_archived": True, "slug": "hijack", "cloned_from": 1,
    }, format="json")
    assert response.status_code == 201, response.content
    protocol = Protocol.objects.get(pk=response.json()["id"])
    assert protocol.clinic == world.clinic_a and protocol.created_by == world.therapist_a
    assert (protocol.slug, protocol.is_archived, protocol.cloned_from, protocol.sessions_per_week) == (
        "our-pfp-plan", False, None, 4)
    again = api("admin_a").post("/api/v1/protocols/", {"name": "Our PFP plan", "condition": "pfp"}, format="json")
    assert again.json()["slug"] == "our-pfp-plan-2"


def test_protocol_create_validates_fields(world, api):
    response = api("therapist_a").post("/api/v1/protocols/", {"name": "", "condition": "knee",
                                                                "sessions_per_week": 15}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"name", "condition", "sessions_per_week"}


def test_protocol_update_of_own_protocol(world, rows, api):
    client = api("therapist_a")
    url = f"/api/v1/protocols/{rows.protocol_a.pk}/"
    response = client.patch(url, {"name": "Renamed", "sessions_per_week": 5, "clinic": world.clinic_b.pk},
                            format="json")
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Renamed" and response.json()["clinic"] == world.clinic_a.pk
    full = client.put(url, {"name": "Whole", "condition": "acl", "description": "d", "sessions_per_week": 2},
                      format="json")
    assert full.status_code == 200
    rows.protocol_a.refresh_from_db()
    assert (rows.protocol_a.name, rows.protocol_a.condition, rows.protocol_a.clinic) == ("Whole", "acl",
                                                                                         world.clinic_a)


def test_builtin_protocols_are_read_only_with_a_clear_message(world, api):
    builtin = world.assignment_a1.protocol
    client = api("therapist_a")
    for method, url, body in (("patch", "", {"name": "Mine"}), ("put", "", {"name": "M", "condition": "pfp"}),
                              ("post", "archive/", {}), ("put", "phases/", {"phases": []})):
        response = getattr(client, method)(f"/api/v1/protocols/{builtin.pk}/{url}", body, format="json")
        assert response.status_code == 403, url
        assert response.json() == {"detail": "Built-in protocols are read-only: clone one to edit it."}
    builtin.refresh_from_db()
    assert builtin.name != "Mine" and not builtin.is_archived and builtin.phases.exists()


def test_protocols_cannot_be_deleted(world, rows, api):
    assert api("therapist_a").delete(f"/api/v1/protocols/{rows.protocol_a.pk}/").status_code == 405


def test_archive_then_it_cannot_be_assigned(world, rows, api):
    client = api("therapist_a")
    response = client.post(f"/api/v1/protocols/{rows.protocol_a.pk}/archive/")
    assert response.status_code == 200 and response.json()["is_archived"] is True
    assert client.post(f"/api/v1/protocols/{rows.protocol_a.pk}/archive/").status_code == 200  # idempotent
    patient = PatientFactory(clinic=world.clinic_a)
    refused = client.post("/api/v1/assignments/", {"patient": patient.pk, "protocol": rows.protocol_a.pk,
                                                   "baseline_pain": 1}, format="json")
    assert refused.status_code == 400 and refused.json() == {"protocol": ["This protocol is archived."]}
    assert ids(client.get("/api/v1/protocols/?archived=true")) == {rows.protocol_a.pk}
    assert rows.protocol_a.pk not in ids(client.get("/api/v1/protocols/?archived=false"))


def test_clone_a_builtin_into_the_callers_clinic(world, api):
    builtin = world.assignment_a1.protocol
    response = api("therapist_a").post(f"/api/v1/protocols/{builtin.pk}/clone/", {"name": "Our copy"},
                                       format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["name"], body["clinic"], body["cloned_from"], body["is_builtin"]) == (
        "Our copy", world.clinic_a.pk, builtin.pk, False)
    assert len(body["phases"][0]["exercises"][0]["ladder_steps"]) == 3
    default_name = api("therapist_a").post(f"/api/v1/protocols/{builtin.pk}/clone/").json()
    # A clone without a name is "… (copy)", built-in or not (issue 13: no two protocols that read alike).
    assert default_name["name"] == f"{builtin.name} (copy)" and default_name["slug"] != body["slug"]


def test_clone_of_another_clinics_protocol_is_404(world, rows, api):
    before = Protocol.objects.count()
    assert api("therapist_a").post(f"/api/v1/protocols/{rows.protocol_b.pk}/clone/").status_code == 404
    assert Protocol.objects.count() == before


def test_protocol_filters(world, rows, api):
    acl = make_protocol(clinic=world.clinic_a, condition="acl")
    client = api("key_a")
    assert acl.pk in ids(client.get("/api/v1/protocols/?condition=acl"))
    assert rows.protocol_a.pk not in ids(client.get("/api/v1/protocols/?condition=acl"))
    assert ids(client.get("/api/v1/protocols/?builtin=false")) == {rows.protocol_a.pk, acl.pk}


def test_replace_phases_with_generated_and_hand_made_ladders_then_assign(world, rows, api):
    quads = ExerciseTemplateFactory(kind=ExerciseKind.STRENGTH, name="Quads", default_speed_kmh=None,
                                    default_incline_pct=None, default_duration_min=None)
    client = api("therapist_a")
    created = client.post("/api/v1/protocols/", {"name": "Built by API", "condition": "pfp"}, format="json").json()
    response = client.put(f"/api/v1/protocols/{created['id']}/phases/", {"phases": [
        {"name": "Early", "expected_weeks": 3, "exercises": [
            {"template": rows.template_a.pk, "frequency_per_week": 3},  # ladder generated from the template
            {"template": quads.pk, "sets": 3, "reps": 10, "frequency_per_week": 5},
        ]},
        {"name": "Later", "entry_criteria": "Pain 2/10 or less", "exercises": [
            {"template": rows.template_a.pk, "ladder": [
                {"speed_kmh": 3, "incline_pct": 5, "duration_min": 15},
                {"speed_kmh": 3, "incline_pct": 7.5, "duration_min": 15}]},
        ]},
    ]}, format="json")
    assert response.status_code == 200, response.content
    early, later = response.json()["phases"]
    assert early["exercises"][0]["ladder_steps"][0]["in_words"] == "2.5 km/h · 0 % · 10 min"
    assert len(early["exercises"][0]["ladder_steps"]) > 5 and early["exercises"][1]["ladder_steps"] == []
    assert [s["incline_pct"] for s in later["exercises"][0]["ladder_steps"]] == [5.0, 7.5]
    patient = PatientFactory(clinic=world.clinic_a)
    assigned = client.post("/api/v1/assignments/", {"patient": patient.pk, "protocol": created["id"],
                                                    "baseline_pain": 2}, format="json")
    assert assigned.status_code == 201, assigned.content
    assert [p["name"] for p in assigned.json()["phases"]] == ["Early", "Later"]


def test_replace_phases_refuses_bad_structures(world, rows, api):
    quads = ExerciseTemplateFactory(kind=ExerciseKind.STRENGTH, default_speed_kmh=None, default_incline_pct=None,
                                    default_duration_min=None)
    client = api("therapist_a")
    url = f"/api/v1/protocols/{rows.protocol_a.pk}/phases/"
    empty = client.put(url, {"phases": []}, format="json")
    assert empty.status_code == 400 and "phases" in empty.json()
    other_clinic = client.put(url, {"phases": [{"name": "P", "exercises": [{"template": rows.template_b.pk}]}]},
                              format="json")
    assert other_clinic.status_code == 400
    # Nested errors are keyed by position, down to the field.
    not_found = {"template": [f"Not found: {rows.template_b.pk}."]}
    assert other_clinic.json() == {"phases": {"0": {"exercises": {"0": not_found}}}}
    ladder_on_strength = client.put(url, {"phases": [{"name": "P", "exercises": [
        {"template": quads.pk, "ladder": [{"speed_kmh": 1, "incline_pct": 0, "duration_min": 5}]}]}]}, format="json")
    assert ladder_on_strength.status_code == 400
    assert ladder_on_strength.json() == {
        "phases": ["Phase 1, exercise 1: only retro treadmill exercises have a load ladder."]}
    too_steep = client.put(url, {"phases": [{"name": "P", "exercises": [
        {"template": rows.template_a.pk, "ladder": [{"speed_kmh": 1, "incline_pct": 41, "duration_min": 5}]}]}]},
        format="json")
    assert too_steep.status_code == 400 and "incline_pct" in str(too_steep.json())
    # Nothing was half-written: the protocol still has its original phase and ladder.
    assert rows.protocol_a.phases.get().exercises.first().ladder_steps.count() == 3
