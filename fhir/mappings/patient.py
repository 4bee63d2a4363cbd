"""A patient as a Patient: the clinic's reference as identifier, name, birth date, clinic and therapist."""

from __future__ import annotations

from fhir.mappings.common import patient_identifier_system, reference


def patient_resource(patient) -> dict:
    """Needs `patient.clinic` (select it with the row): its slug names the identifier system."""
    resource = {"resourceType": "Patient", "id": str(patient.pk), "active": True}
    if patient.external_ref:
        resource["identifier"] = [{"use": "usual", "system": patient_identifier_system(patient.clinic.slug),
                                   "value": patient.external_ref}]
    resource["name"] = [{"use": "official", "family": patient.last_name, "given": [patient.first_name],
                         "text": patient.full_name}]
    if patient.date_of_birth:
        resource["birthDate"] = patient.date_of_birth.isoformat()
    if patient.therapist_id:
        resource["generalPractitioner"] = [reference("Practitioner", patient.therapist_id)]
    resource["managingOrganization"] = reference("Organization", patient.clinic_id)
    return resource
