from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.contrib.auth.signals import user_logged_in


class ClinicConfig(AppConfig):
    name = "clinic"
    verbose_name = "Clinics"

    def ready(self) -> None:
        # Imported when the apps are ready: clinic.security reads models, which cannot load before.
        from clinic.security import on_user_logged_in
        from clinic.tenancy import access_signals_connect

        user_logged_in.connect(on_user_logged_in, dispatch_uid="clinic-security-session-start")
        # What tenancy caches about a caller is dropped by every change to it (clinic.tenancy.access_changed).
        access_signals_connect()


class SiteAdminConfig(admin_apps.AdminConfig):
    """Django's admin (listed in INSTALLED_APPS instead of django.contrib.admin) with Backstep's admin site.

    `default = False`: "clinic" in INSTALLED_APPS still means ClinicConfig.
    """

    default = False
    default_site = "clinic.admin_site.SiteAdmin"
