"""Celery tasks: thin wrappers that take ids and call a service; safe to run twice."""

from __future__ import annotations

from celery import shared_task

from clinic.celery import RETRY, enqueue
from exercise_media import services

# A transcode of a long clip outlasts the project's default limits (60/90 s); its own are set here.
TRANSCODE_LIMITS = {"soft_time_limit": services.TRANSCODE_TIMEOUT_SECONDS + 60,
                    "time_limit": services.TRANSCODE_TIMEOUT_SECONDS + 120}


@shared_task(name="exercise_media.transcode", bind=True, **RETRY, **TRANSCODE_LIMITS)
def transcode_media(self, media_id: int) -> str:
    outcome = services.media_transcode(media_id=media_id)
    if outcome == "busy" and not self.request.is_eager:
        # Another run's claim is fresh. If its worker just died (this message came back because it was never
        # acknowledged), the claim goes stale within STALE_CLAIM: look again then.
        raise self.retry(countdown=services.STALE_CLAIM.total_seconds() + 10)
    return outcome


@shared_task(name="exercise_media.resume_stale", **RETRY)
def resume_stale() -> int:
    ids = services.media_resume_stale()
    for media_id in ids:
        enqueue(transcode_media, media_id)
    return len(ids)
