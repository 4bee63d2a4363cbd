"""Management-time entries by hand (services.time_entry_*): dated inside an episode; changed by author or admin."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from clinic.tenancy import resolve_actor
from monitoring.models import TimeEntry
from monitoring.services import enrolment_start, time_entry_create, time_entry_delete, time_entry_update
from monitoring.tests.support import D, patient_on_plan
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db
TODAY = D(2026, 3, 20)


@pytest.fixture
def patient(world):
    patient, _plan = patient_on_plan(world.clinic_a, world.therapist_a, start=D(2026, 3, 1))
    enrolment_start(patient=patient, setup_date=D(2026, 3, 5), enrolled_by=world.therapist_a, today=TODAY)
    return patient


def log(world, patient, **changes):
    values = {"date": D(2026, 3, 10), "minutes": 15, "activity": "Phone call", "interactive": True}
    values.update(changes)
    return time_entry_create(patient=patient, author=world.therapist_a, today=TODAY, **values)


def test_an_entry_counts_in_its_episode(world, patient):
    entry = log(world, patient)
    assert (entry.episode.setup_date, entry.source, entry.author) == (D(2026, 3, 5), "manual", world.therapist_a)


@pytest.mark.parametrize("changes, field", [
    ({"date": D(2026, 3, 4)}, "date"),  # before the set-up
    ({"date": D(2026, 3, 21)}, "date"),  # tomorrow
    ({"minutes": 0}, "minutes"),
    ({"minutes": 241}, "minutes"),
    ({"activity": "   "}, "activity"),
    ({"activity": "x" * 501}, "activity"),
])
def test_refused_entries_name_the_field(world, patient, changes, field):
    with pytest.raises(ValidationError) as error:
        log(world, patient, **changes)
    assert field in error.value.message_dict
    assert not TimeEntry.objects.exists()


def test_only_the_author_and_clinic_admins_change_or_delete_an_entry(world, patient):
    entry = log(world, patient)
    colleague = MembershipFactory(clinic=world.clinic_a, user__email="colleague@a.test").user
    with pytest.raises(PermissionDenied):
        time_entry_update(entry=entry, actor=resolve_actor(colleague), date=entry.date, minutes=1, activity="x",
                          interactive=False, today=TODAY)
    with pytest.raises(PermissionDenied):
        time_entry_delete(entry=entry, actor=resolve_actor(colleague))
    time_entry_update(entry=entry, actor=resolve_actor(world.therapist_a), date=D(2026, 3, 11), minutes=20,
                      activity="Video call", interactive=True, today=TODAY)
    entry.refresh_from_db()
    assert (entry.date, entry.minutes, entry.updated_by) == (D(2026, 3, 11), 20, world.therapist_a)
    time_entry_update(entry=entry, actor=resolve_actor(world.admin_a), date=entry.date, minutes=25,
                      activity="Video call", interactive=True, today=TODAY)
    entry.refresh_from_db()
    assert (entry.minutes, entry.updated_by) == (25, world.admin_a)
    time_entry_delete(entry=entry, actor=resolve_actor(world.admin_a))
    assert not TimeEntry.objects.exists()
    # Patients and other clinics' staff, their admins included, never may.
    admin_b = MembershipFactory(clinic=world.clinic_b, role="admin", user__email="admin@b.test").user
    for outsider in (world.patient_a1.user, world.therapist_b, admin_b):
        assert not entry.editable_by(resolve_actor(outsider))


def test_moving_an_entry_outside_every_episode_is_refused(world, patient):
    entry = log(world, patient)
    with pytest.raises(ValidationError) as error:
        time_entry_update(entry=entry, actor=resolve_actor(world.therapist_a), date=D(2026, 3, 1), minutes=15,
                          activity="Phone call", interactive=True, today=TODAY)
    assert "outside every episode" in error.value.message_dict["date"][0]
