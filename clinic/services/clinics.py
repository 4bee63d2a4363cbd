"""Writes for clinics, accounts and memberships: the rows every other service builds on."""

from __future__ import annotations

from django.db import transaction
from django.utils.text import slugify

from clinic.models import Clinic, ClinicSettings, Membership, User


@transaction.atomic
def clinic_create(*, name: str, slug: str | None = None, timezone: str | None = None) -> Clinic:
    """Create a clinic with its settings row (engine defaults, no automatic progression)."""
    clinic = Clinic(name=name, slug=slug or slugify(name))
    if timezone:
        clinic.timezone = timezone
    clinic.full_clean()
    clinic.save()
    ClinicSettings.objects.create(clinic=clinic)
    return clinic


@transaction.atomic
def user_create(*, email: str, password: str | None, first_name: str = "", last_name: str = "") -> User:
    user = User(email=User.objects.normalize_email(email), first_name=first_name, last_name=last_name)
    user.set_password(password) if password else user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    return user


@transaction.atomic
def staff_member_add(*, clinic: Clinic, user: User, role: str = Membership.Role.THERAPIST) -> Membership:
    """Give a user a role (admin or therapist) in a clinic."""
    membership = Membership(clinic=clinic, user=user, role=role)
    membership.full_clean()
    membership.save()
    return membership
