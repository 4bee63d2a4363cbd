"""Clinic administration pages under /clinic/ (namespace "clinic-admin"; Django's own admin stays at /admin/)."""

from django.urls import path

from clinic import staff_views

app_name = "clinic-admin"

urlpatterns = [
    path("staff/", staff_views.staff_list, name="staff"),
    path("staff/invite/", staff_views.staff_invite, name="staff-invite"),
    path("staff/<int:pk>/resend/", staff_views.staff_invite_resend, name="staff-resend"),
    path("staff/<int:pk>/deactivate/", staff_views.staff_deactivate, name="staff-deactivate"),
    path("staff/<int:pk>/reactivate/", staff_views.staff_reactivate, name="staff-reactivate"),
    path("settings/", staff_views.clinic_settings, name="settings"),
    path("api-keys/", staff_views.api_key_list, name="api-keys"),
    path("api-keys/new/", staff_views.api_key_create, name="api-key-create"),
    path("api-keys/<int:pk>/revoke/", staff_views.api_key_revoke, name="api-key-revoke"),
    path("audit/", staff_views.audit_log, name="audit"),
    path("notifications/", staff_views.notification_list, name="notifications"),
    path("notifications/<int:pk>/retry/", staff_views.notification_retry, name="notification-retry"),
]
