"""/fhir/R4/: the CapabilityStatement, then read and search routes for each type in the registry.

Each type has its own named routes ("fhir:Patient-read", "fhir:Patient-search"),
so the authorization matrix and the audit policy can say per type who reads
it and whether it holds patient data. Any other address answers an
OperationOutcome 404.
"""

from django.urls import path, re_path

from fhir import export_views
from fhir.api.views import EverythingView, MetadataView, ReadView, SearchView, UnknownView
from fhir.registry import FHIR_TYPES

app_name = "fhir"

# FHIR ids: letters, digits, "-" and ".", up to 64 characters.
RESOURCE_ID = r"(?P<resource_id>[A-Za-z0-9\-.]{1,64})"

urlpatterns = [
    path("metadata", MetadataView.as_view(), name="metadata"),
    re_path(rf"^Patient/{RESOURCE_ID}/\$everything$", EverythingView.as_view(), name="Patient-everything"),
    # Bulk Data export (fhir/export_views.py): a Group is a therapist's caseload (fhir/groups.py).
    path("$export", export_views.ExportKickoff.as_view(), name="export"),
    path("Group/<int:group_id>/$export", export_views.ExportKickoff.as_view(), name="group-export"),
    path("$export-status/<int:pk>", export_views.ExportStatus.as_view(), name="export-status"),
    path("$export-status/<int:pk>/files/<int:file_pk>", export_views.ExportFileDownload.as_view(),
         name="export-file"),
]
for _fhir_type in FHIR_TYPES:
    urlpatterns += [
        path(_fhir_type, SearchView.as_view(fhir_type=_fhir_type), name=f"{_fhir_type}-search"),
        re_path(rf"^{_fhir_type}/{RESOURCE_ID}$", ReadView.as_view(fhir_type=_fhir_type), name=f"{_fhir_type}-read"),
    ]
urlpatterns.append(re_path(r"^(?P<rest>.*)$", UnknownView.as_view(), name="not-found"))
