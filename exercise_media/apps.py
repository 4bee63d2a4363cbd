from django.apps import AppConfig


class ExerciseMediaConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "exercise_media"
    verbose_name = "Exercise media and education"
