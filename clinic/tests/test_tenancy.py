"""The one tenancy filter: clinics see their own rows, patients their own, built-ins are shared."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from clinic.models import Clinic
from clinic.tenancy import ANONYMOUS, resolve_actor, scope_queryset
from patients.models import Assignment, Flag, Patient, SessionLog, StepVersion
from protocols.models import Protocol
from tests.factories import make_protocol

pytestmark = pytest.mark.django_db


def test_staff_see_only_their_clinic(world):
    actor = resolve_actor(world.therapist_a)
    assert actor.is_therapist and actor.clinic == world.clinic_a
    assert set(scope_queryset(Patient.objects.all(), actor)) == {world.patient_a1, world.patient_a2}
    assert set(scope_queryset(Assignment.objects.all(), actor)) == {world.assignment_a1, world.assignment_a2}


def test_patient_sees_only_own_rows(world):
    actor = resolve_actor(world.patient_a1.user)
    assert actor.is_patient
    assert list(scope_queryset(Patient.objects.all(), actor)) == [world.patient_a1]
    assert list(scope_queryset(Assignment.objects.all(), actor)) == [world.assignment_a1]
    assert scope_queryset(StepVersion.objects.all(), actor).count() == 1
    # Flags are for staff; patients get none of them through the tenant filter.
    assert not scope_queryset(Flag.objects.all(), actor).exists()


def test_builtin_protocols_are_shared_clinic_protocols_are_not(world):
    builtin = world.assignment_a1.protocol
    own_b = make_protocol(clinic=world.clinic_b)
    seen_by_a = set(scope_queryset(Protocol.objects.all(), resolve_actor(world.therapist_a)))
    assert builtin in seen_by_a and own_b not in seen_by_a
    assert own_b in set(scope_queryset(Protocol.objects.all(), resolve_actor(world.therapist_b)))
    assert not scope_queryset(Protocol.objects.all(), resolve_actor(world.patient_a1.user)).exists()


def test_anonymous_and_roleless_see_nothing(world):
    from tests.factories import UserFactory

    assert not scope_queryset(SessionLog.objects.all(), ANONYMOUS).exists()
    assert not scope_queryset(Patient.objects.all(), resolve_actor(UserFactory())).exists()


def test_deactivated_clinic_loses_access(world):
    Clinic.objects.filter(pk=world.clinic_a.pk).update(is_active=False)
    assert resolve_actor(world.therapist_a).clinic is None
    assert not scope_queryset(Patient.objects.all(), resolve_actor(world.therapist_a)).exists()


def test_model_without_tenant_lookup_cannot_be_scoped(world):
    with pytest.raises(ImproperlyConfigured):
        scope_queryset(Clinic.objects.all(), resolve_actor(world.therapist_a))
