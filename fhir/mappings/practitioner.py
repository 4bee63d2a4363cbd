"""A therapist (a staff member of the clinic) as a Practitioner.

No credentials (Backstep holds none) and no e-mail: interop.md allows the
e-mail only where the clinic allows it, and no clinic setting says so yet, so
it is always left out.
"""

from __future__ import annotations


def practitioner_resource(user) -> dict:
    name = {"text": f"{user.first_name} {user.last_name}".strip() or f"Practitioner {user.pk}"}
    if user.last_name:
        name["family"] = user.last_name
    if user.first_name:
        name["given"] = [user.first_name]
    return {"resourceType": "Practitioner", "id": str(user.pk), "active": user.is_active, "name": [name]}
