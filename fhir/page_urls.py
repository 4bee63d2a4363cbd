"""Pages of the fhir app (not under the FHIR base): bulk exports, a patient's copy, erasure."""

from django.urls import path

from fhir import admin_views, phone_views

app_name = "interop"

urlpatterns = [
    path("clinic/exports/", admin_views.export_list, name="exports"),
    path("clinic/exports/start/", admin_views.export_start, name="export-start"),
    path("patients/<int:pk>/record.json", admin_views.patient_record, name="patient-record"),
    path("patients/<int:pk>/erase/", admin_views.patient_erase, name="patient-erase"),
    path("my-data/", phone_views.my_data, name="my-data"),
    path("my-data/backstep.json", phone_views.my_data_bundle, name="my-data-bundle"),
]
