"""What a FHIR Group is in Backstep: one therapist's caseload in a clinic.

`Group/<id>` is the therapist (or admin) with user id <id> who is a member of
the caller's clinic; its members are the clinic's patients that therapist is
responsible for (`Patient.therapist`). Another clinic's therapist, or an id
that is nobody, is no Group of this clinic (404).
"""

from __future__ import annotations

from clinic.models import Clinic, Membership
from patients.models import Patient


def group_exists(clinic: Clinic, group_id: int) -> bool:
    return Membership.objects.filter(clinic=clinic, user_id=group_id).exists()


def group_patient_ids(clinic: Clinic, group_id: int) -> list[int]:
    """The caseload's patient ids (a list: a caseload is at most a few hundred patients)."""
    return list(Patient.objects.filter(clinic=clinic, therapist_id=group_id).order_by("pk")
                .values_list("pk", flat=True))
