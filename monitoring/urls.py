from django.urls import path

from monitoring import views

app_name = "monitoring"

urlpatterns = [
    path("", views.clinic_list, name="clinic"),
    path("export.csv", views.clinic_export, name="export"),
    path("patients/<int:pk>/", views.patient_monitoring, name="patient"),
    path("patients/<int:pk>/enrol/", views.enrol, name="enrol"),
    path("patients/<int:pk>/unenrol/", views.unenrol, name="unenrol"),
    path("patients/<int:pk>/timer/start/", views.timer_start, name="timer-start"),
    path("patients/<int:pk>/timer/stop/", views.timer_stop, name="timer-stop"),
    path("patients/<int:pk>/time/", views.time_add, name="time-add"),
    path("time/<int:pk>/edit/", views.time_edit, name="time-edit"),
    path("time/<int:pk>/delete/", views.time_delete, name="time-delete"),
]
