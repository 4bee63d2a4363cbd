from django.urls import path

from patients import views

app_name = "patients"

urlpatterns = [
    # The patient's phone (patients.views.phone).
    path("today/", views.today, name="today"),
    path("log/", views.log_session, name="log-session"),
    path("log/<int:pk>/", views.session_saved, name="session-saved"),
    path("log/<int:pk>/edit/", views.session_edit, name="session-edit"),
    path("log/<int:pk>/delete/", views.session_delete, name="session-delete"),
    path("checkin/", views.checkin, name="checkin"),
    path("history/", views.history, name="history"),
    path("invite/<str:token>/", views.invitation, name="invitation"),
    path("join/", views.join, name="join"),
    path("join/password/", views.join_password, name="join-password"),
    # The therapist's patient pages (patients.views.workspace).
    path("patients/", views.patient_list, name="list"),
    path("patients/new/", views.patient_create, name="create"),
    path("patients/<int:pk>/", views.patient_detail, name="detail"),
    path("patients/<int:pk>/edit/", views.patient_edit, name="edit"),
    path("patients/<int:pk>/assign/", views.patient_assign, name="assign"),
    path("patients/<int:pk>/end-plan/", views.patient_end_plan, name="end-plan"),
    path("patients/<int:pk>/step/", views.patient_step_change, name="step-change"),
    path("patients/<int:pk>/phase/", views.patient_phase_change, name="phase-change"),
    path("patients/<int:pk>/measurements/", views.patient_measurement, name="measurement"),
    path("patients/<int:pk>/handout/", views.patient_handout, name="handout"),
    path("patients/<int:pk>/invite/", views.patient_invite, name="invite"),
    path("patients/<int:pk>/invite/revoke/", views.patient_invite_revoke, name="invite-revoke"),
    path("patients/<int:pk>/join-code/", views.patient_join_code, name="join-code"),
    # The therapist's flag inbox (patients.views.flags).
    path("flags/", views.flag_inbox, name="flags"),
    path("flags/bulk/", views.flag_bulk, name="flag-bulk"),
    path("flags/<int:pk>/action/", views.flag_action, name="flag-action"),
]
