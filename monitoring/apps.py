from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = "Remote therapeutic monitoring (RTM)"

    def ready(self) -> None:
        # The timer's own entry text is Backstep's: shown in the reader's language until someone edits it.
        from clinic.builtin_text import register
        from monitoring.services import TIMER_ACTIVITY  # imports models: the app registry must be ready

        register([TIMER_ACTIVITY])
