from pathlib import Path

from django.apps import AppConfig


class FhirConfig(AppConfig):
    name = "fhir"
    verbose_name = "FHIR R4 read API, Bulk Data export and the patient's copy"
    # The package's __path__ also holds the fhir.resources library's folder (see fhir/__init__.py): say which is ours.
    path = str(Path(__file__).resolve().parent)
