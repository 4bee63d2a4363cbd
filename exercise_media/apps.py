import logging

from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in

logger = logging.getLogger(__name__)


def warm_phone_cache(sender, request, user, **kwargs) -> None:
    """A patient who signs in gets their plan's media and wording cached before their first page."""
    from exercise_media.selectors import warm_for_patient  # models are not ready when this module loads

    try:
        warm_for_patient(user)
    except Exception:  # noqa: BLE001 - signing in never fails for a cache; the pages read the database instead
        logger.warning("could not warm the media cache for user %s", getattr(user, "pk", None), exc_info=True)


class ExerciseMediaConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "exercise_media"
    verbose_name = "Exercise media and education"

    def ready(self) -> None:
        user_logged_in.connect(warm_phone_cache, dispatch_uid="exercise_media.warm_phone_cache")
        # Backstep's education texts read in the reader's language while the clinic has not changed them.
        from clinic.builtin_text import register
        from exercise_media.education import education_texts_source

        register(education_texts_source())
