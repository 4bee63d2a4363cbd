from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "patients"
    verbose_name = "Patients"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        user_logged_in.connect(keep_patients_signed_in, dispatch_uid="patients-30-days")
        # Models load only once apps are ready, so this import waits for ready() (Django's rule, not a cycle).
        from patients import protocol_usage

        protocol_usage.register()


PATIENT_SESSION_SECONDS = 30 * 24 * 60 * 60


def keep_patients_signed_in(sender, request, user, **kwargs) -> None:
    """Patients stay signed in on their own phone for 30 days (staff: the shorter default) until they sign out."""
    from patients.models import Patient

    if request is not None and hasattr(request, "session") and Patient.objects.filter(user=user).exists():
        request.session.set_expiry(PATIENT_SESSION_SECONDS)
