from django.urls import path

from patients import views

app_name = "patients"

urlpatterns = [
    path("patients/", views.patient_list, name="list"),
    path("today/", views.today, name="today"),
    path("flags/", views.flag_inbox, name="flags"),
    path("flags/<int:pk>/action/", views.flag_action, name="flag-action"),
]
