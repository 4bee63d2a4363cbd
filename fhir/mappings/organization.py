"""The clinic as an Organization."""

from __future__ import annotations

from fhir.mappings.common import canonical


def organization_resource(clinic) -> dict:
    """A clinic with the contact details it shows its patients (clinic settings), when it has set them."""
    contact = getattr(clinic, "settings", None)
    telecom = []
    if contact is not None and contact.contact_phone:
        telecom.append({"system": "phone", "value": contact.contact_phone, "use": "work"})
    if contact is not None and contact.contact_email:
        telecom.append({"system": "email", "value": contact.contact_email, "use": "work"})
    return {
        "resourceType": "Organization",
        "id": str(clinic.pk),
        "identifier": [{"system": canonical("clinic"), "value": clinic.slug}],
        "active": clinic.is_active,
        "name": clinic.name,
        **({"telecom": telecom} if telecom else {}),
    }
