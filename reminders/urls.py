from django.urls import path

from reminders import views

app_name = "reminders"

urlpatterns = [
    path("", views.reminder_settings, name="settings"),
    path("push/subscribe/", views.push_subscribe, name="push-subscribe"),
    path("push/unsubscribe/", views.push_unsubscribe, name="push-unsubscribe"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("clinic/", views.clinic_defaults, name="clinic-defaults"),
]
