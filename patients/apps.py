from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "patients"
    verbose_name = "Patients"

    def ready(self) -> None:
        # Models load only once apps are ready, so this import waits for ready() (Django's rule, not a cycle).
        from patients import protocol_usage

        protocol_usage.register()
