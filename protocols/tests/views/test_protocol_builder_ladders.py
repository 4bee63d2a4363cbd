"""The protocol builder's ladder pages: prefilled from the template, previewed before saving, steps edited with
the override marker."""

from __future__ import annotations

from decimal import Decimal

import pytest

from clinic.models import ClinicSettings
from protocols.forms import LadderSpecForm
from protocols.ladder import LadderSpec
from protocols.models import ExerciseKind
from protocols.tests.views.builder_support import own, url, walk_of  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


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
