from django.urls import path

from patients import views

app_name = "patients"

urlpatterns = [
    path("patients/", views.patient_list, name="list"),
    path("today/", views.today, name="today"),
    path("log/", views.log_session, name="log-session"),
    path("log/<int:pk>/", views.session_saved, name="session-saved"),
    path("checkin/", views.checkin, name="checkin"),
    path("history/", views.history, name="history"),
    path("invite/<str:token>/", views.invitation, name="invitation"),
    path("patients/<int:pk>/invite/", views.patient_invite, name="invite"),
    path("flags/", views.flag_inbox, name="flags"),
    path("flags/<int:pk>/action/", views.flag_action, name="flag-action"),
]
