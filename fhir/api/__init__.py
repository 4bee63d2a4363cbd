"""The FHIR R4 read API's views and its JSON plumbing (application/fhir+json, OperationOutcome errors)."""
