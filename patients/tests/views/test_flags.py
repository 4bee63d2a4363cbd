"""The flag inbox: urgent first, one-click approval, a note to resolve, and nothing of another clinic's."""

import pytest
from django.urls import reverse

from patients.models import Flag
from patients.tests.support import check, session, walk

# Tasks enqueued on commit run in-process here, even where CI sets REDIS_URL.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


def test_flag_inbox_lists_urgent_first_and_approves_in_one_click(client, world):
    session(world, 3, morning=1)
    session(world, 1, morning=2)
    session(world, 1, pain=7, patient="a2")
    check(world)
    check(world, patient="a2")
    client.force_login(world.therapist_a)
    body = client.get(reverse("patients:flags")).content.decode()
    assert body.index("Pain above 5/10") < body.index("Progression suggested")
    suggestion = Flag.objects.get(kind="progression")
    response = client.post(reverse("patients:flag-action", args=[suggestion.pk]), {"action": "approve"}, follow=True)
    assert "Approved" in response.content.decode()
    assert walk(world.assignment_a1).current_step == 1


def test_flag_actions_are_scoped_to_the_clinic(client, world):
    session(world, 1, pain=7)
    check(world)
    flag = Flag.objects.get(kind="pain_red")
    client.force_login(world.therapist_b)
    assert client.post(reverse("patients:flag-action", args=[flag.pk]), {"action": "acknowledge"}).status_code == 404
    assert "Pain above" not in client.get(reverse("patients:flags"), {"scope": "all"}).content.decode()
    client.force_login(world.patient_a1.user)
    assert client.get(reverse("patients:flags")).status_code == 403
    assert client.post(reverse("patients:flag-action", args=[flag.pk]), {"action": "acknowledge"}).status_code == 403
    client.logout()
    assert client.post(reverse("patients:flag-action", args=[flag.pk]), {"action": "acknowledge"}).status_code == 302
    flag.refresh_from_db()
    assert flag.status == "open"


def test_resolving_needs_a_note(client, world):
    session(world, 1, pain=7)
    check(world)
    flag = Flag.objects.get(kind="pain_red")
    client.force_login(world.therapist_a)
    response = client.post(reverse("patients:flag-action", args=[flag.pk]), {"action": "resolve", "note": " "},
                           follow=True)
    assert "Say how this was resolved." in response.content.decode()
    flag.refresh_from_db()
    assert flag.status == "open"
