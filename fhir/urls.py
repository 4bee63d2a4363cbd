from django.urls import path

from fhir import export_views

app_name = "fhir"

urlpatterns: list = [
    # Bulk Data export (fhir/export_views.py).
    path("$export", export_views.ExportKickoff.as_view(), name="export"),
    path("Group/<int:group_id>/$export", export_views.ExportKickoff.as_view(), name="group-export"),
    path("$export-status/<int:pk>", export_views.ExportStatus.as_view(), name="export-status"),
    path("$export-status/<int:pk>/files/<int:file_pk>", export_views.ExportFileDownload.as_view(),
         name="export-file"),
]
