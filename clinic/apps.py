from django.apps import AppConfig


class ClinicConfig(AppConfig):
    name = "clinic"
    verbose_name = "Clinics"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from clinic.security import on_user_logged_in

        user_logged_in.connect(on_user_logged_in, dispatch_uid="clinic-security-session-start")
