"""Clinic administration pages under /clinic/ (namespace "clinic-admin"; Django's own admin stays at /admin/)."""

from django.urls import path

from clinic import admin_views

app_name = "clinic-admin"

urlpatterns = [
    path("staff/", admin_views.staff_list, name="staff"),
    path("staff/invite/", admin_views.staff_invite, name="staff-invite"),
    path("staff/<int:pk>/resend/", admin_views.staff_invite_resend, name="staff-resend"),
    path("staff/<int:pk>/deactivate/", admin_views.staff_deactivate, name="staff-deactivate"),
    path("staff/<int:pk>/reactivate/", admin_views.staff_reactivate, name="staff-reactivate"),
    path("settings/", admin_views.clinic_settings, name="settings"),
    path("api-keys/", admin_views.api_key_list, name="api-keys"),
    path("api-keys/new/", admin_views.api_key_create, name="api-key-create"),
    path("api-keys/<int:pk>/revoke/", admin_views.api_key_revoke, name="api-key-revoke"),
    path("audit/", admin_views.audit_log, name="audit"),
    path("notifications/", admin_views.notification_list, name="notifications"),
    path("notifications/<int:pk>/retry/", admin_views.notification_retry, name="notification-retry"),
]
