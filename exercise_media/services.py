"""Writes of exercise media and education texts: uploads, the video transcode, deletion, clinic wording.

Files go to storage before the row that names them is committed, and are
removed again if the row is not: a failed request leaves no orphan behind it
(and a row never names a file that is not there). The transcode task is
enqueued on commit.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic import claims
from clinic.celery import enqueue_soon
from exercise_media import images, selectors, storage, transcode, uploads
from exercise_media.education import BY_SLUG
from exercise_media.models import EducationText, ExerciseMedia

logger = logging.getLogger(__name__)

# A claim with no heartbeat for this long belongs to a worker that died: the row may be claimed again.
STALE_CLAIM = timedelta(minutes=5)
# A video still waiting this long was never sent to a worker (broker down): send it again.
UNSENT_AFTER = timedelta(minutes=2)
MAX_ATTEMPTS = 3
HEARTBEAT_SECONDS = 2.0
TRANSCODE_TIMEOUT_SECONDS = 15 * 60


def media_upload(*, clinic, uploaded, description: str, uploaded_by, template=None, exercise=None) -> ExerciseMedia:
    """Store a checked upload for a clinic template or one patient's exercise.

    The type comes from the file's content; a picture is cleaned of all its
    metadata (location included) and resized here; a video is kept as uploaded
    until the transcode task (enqueued on commit) has converted it.
    ValidationError({"file": ...}) says what is wrong with a refused file.
    """
    found = uploads.check_upload(uploaded, max_image_bytes=settings.EXERCISE_MEDIA_MAX_IMAGE_BYTES,
                                 max_video_bytes=settings.EXERCISE_MEDIA_MAX_VIDEO_BYTES)
    media = ExerciseMedia(
        clinic=clinic, template=template, exercise=exercise,
        patient_id=exercise.assignment.patient_id if exercise is not None else None,
        kind=found.kind, description=(description or "").strip(), uploaded_by=uploaded_by,
    )
    media.full_clean(exclude=["file", "thumbnail", "original"])
    written: list[str] = []
    try:
        if found.kind == uploads.IMAGE:
            try:
                picture = images.prepare(uploaded)
            except images.PictureError as error:
                raise ValidationError({"file": _("This picture could not be read: it may be damaged. "
                                               "Try saving it again as a JPEG.")}, code="damaged") from error
            media.file = storage.save_bytes("pictures", "jpg", picture.large)
            written.append(media.file)
            media.thumbnail = storage.save_bytes("thumbnails", "jpg", picture.thumbnail)
            written.append(media.thumbnail)
            media.content_type, media.size = "image/jpeg", len(picture.large)
            media.width, media.height = picture.width, picture.height
            media.status, media.progress = ExerciseMedia.Status.READY, 100
        else:
            uploaded.seek(0)
            media.original = storage.save_file("incoming", found.extension, uploaded)
            written.append(media.original)
            media.status = ExerciseMedia.Status.PENDING
        with transaction.atomic():
            media.save()
            if media.status == ExerciseMedia.Status.PENDING:
                media_id = media.pk
                transaction.on_commit(lambda: enqueue_soon(_transcode_task(), media_id))
            else:
                _refresh_on_commit(media)
    except BaseException:
        storage.delete_quietly(*written)
        raise
    logger.info("media %s uploaded (%s, clinic %s)", media.pk, media.kind, clinic.pk)
    return media


def _transcode_task():
    from exercise_media.tasks import transcode_media  # the task module imports this one: the documented cycle

    return transcode_media


def media_delete(*, media: ExerciseMedia) -> None:
    """Remove a picture or video and its files (after the row is gone, so a failure leaves no dangling row)."""
    names = (media.file, media.thumbnail, media.original)
    with transaction.atomic():
        media.delete()
        transaction.on_commit(lambda: storage.delete_quietly(*names))
        _refresh_on_commit(media)


def _refresh_on_commit(media: ExerciseMedia) -> None:
    """The phone pages read media from the cache: write it again once this change is committed."""
    clinic_id, patient_id = media.clinic_id, media.patient_id
    transaction.on_commit(lambda: selectors.media_cache_refresh(clinic_id=clinic_id, patient_id=patient_id))


# --- The transcode -------------------------------------------------------------------------------------------


def _claim(media_id: int, now) -> tuple[str, int] | None:
    """Take the row for this run: a waiting video, or one whose last claim went stale. (token, attempt) or None."""
    claimable = Q(status=ExerciseMedia.Status.PENDING) | Q(status=ExerciseMedia.Status.PROCESSING,
                                                             claimed_at__lt=now - STALE_CLAIM)
    return claims.claim(ExerciseMedia, media_id, claimable, now=now, status=ExerciseMedia.Status.PROCESSING,
                        progress=0, updated_at=now)


def _finish(media_id: int, token: str, **fields) -> bool:
    return claims.finish(ExerciseMedia, media_id, token, updated_at=timezone.now(), **fields)


def _fail(media_id: int, token: str, message: str, original: str) -> str:
    if _finish(media_id, token, status=ExerciseMedia.Status.FAILED, error=message[:300], original=""):
        storage.delete_quietly(original)
    logger.info("media %s failed to convert", media_id)
    return "failed"


class _Heartbeat(claims.Heartbeat):
    def __init__(self, media_id: int, token: str):
        super().__init__(ExerciseMedia, media_id, token, every=HEARTBEAT_SECONDS)

    def __call__(self, fraction: float) -> None:  # the transcoder's progress callback
        # Progress shown on the page, and the claim kept fresh: a live worker's row never goes stale.
        super().__call__(force=fraction >= 1.0, progress=min(99, int(fraction * 100)))


def media_transcode(*, media_id: int) -> str:
    """Convert an uploaded video into the phone-friendly MP4 and its poster. Safe to run twice.

    Returns what happened: "ready", "failed", "skipped" (already done or gone),
    or "busy" (another run holds a claim that is still fresh). A run stopped
    mid-way (worker killed) leaves its claim to go stale: the task's message,
    redelivered because it was not acknowledged, tries again once the claim is
    stale, and `media_resume_stale` catches any left; after MAX_ATTEMPTS the
    video is marked failed.
    """
    claim = _claim(media_id, timezone.now())
    if claim is None:
        busy = ExerciseMedia.objects.filter(pk=media_id, status=ExerciseMedia.Status.PROCESSING).exists()
        return "busy" if busy else "skipped"
    token, attempt = claim
    media = ExerciseMedia.objects.get(pk=media_id)
    if attempt > MAX_ATTEMPTS:
        return _fail(media_id, token, _("The video could not be converted: the converter stopped several times. "
                                      "Try a shorter clip."), media.original)
    work = Path(tempfile.mkdtemp(prefix="backstep-media-"))
    try:
        source = work / f"source.{media.original.rsplit('.', 1)[-1]}"
        with storage.media_storage().open(media.original, "rb") as stored, open(source, "wb") as local:
            shutil.copyfileobj(stored, local, storage.CHUNK)
        info = transcode.probe(settings.FFPROBE_BINARY, source)
        if info.duration > settings.EXERCISE_MEDIA_MAX_VIDEO_SECONDS:
            minutes = settings.EXERCISE_MEDIA_MAX_VIDEO_SECONDS / 60
            return _fail(media_id, token, f"This video is {info.duration / 60:.1f} minutes long; the limit is "
                                          f"{minutes:g} minutes. Trim it and upload it again.", media.original)
        target, still = work / "video.mp4", work / "poster.jpg"
        transcode.transcode(settings.FFMPEG_BINARY, source, target, info=info,
                            on_progress=_Heartbeat(media_id, token), timeout=TRANSCODE_TIMEOUT_SECONDS)
        transcode.poster(settings.FFMPEG_BINARY, target, still, duration=info.duration)
        converted = transcode.probe(settings.FFPROBE_BINARY, target)
        with open(target, "rb") as handle:
            video_name = storage.save_file("videos", "mp4", handle)
        poster_name = storage.save_bytes("posters", "jpg", still.read_bytes())
    except transcode.TranscodeError as error:
        return _fail(media_id, token, error.message, media.original)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    done = _finish(media_id, token, status=ExerciseMedia.Status.READY, progress=100, error="", file=video_name,
                   thumbnail=poster_name, original="", content_type="video/mp4", size=target_size(video_name),
                   width=converted.width, height=converted.height,
                   duration_seconds=Decimal(f"{converted.duration:.2f}"))
    if not done:  # a newer run took over while this one worked: keep its files, drop ours
        storage.delete_quietly(video_name, poster_name)
        return "skipped"
    storage.delete_quietly(media.original)
    selectors.media_cache_refresh(clinic_id=media.clinic_id, patient_id=media.patient_id)
    logger.info("media %s converted", media_id)
    return "ready"


def target_size(name: str) -> int:
    return storage.media_storage().size(name)


def media_resume_stale(*, now=None) -> list[int]:
    """Videos to send to a worker again: never sent (broker down), or claimed by a worker that died.

    Those already tried MAX_ATTEMPTS times are marked failed here instead. The
    returned ids are for the caller to enqueue.
    """
    now = now or timezone.now()
    stale = Q(status=ExerciseMedia.Status.PROCESSING, claimed_at__lt=now - STALE_CLAIM)
    unsent = Q(status=ExerciseMedia.Status.PENDING, created_at__lt=now - UNSENT_AFTER)
    worn = list(ExerciseMedia.objects.filter(stale, attempts__gte=MAX_ATTEMPTS).values_list("pk", "original"))
    for media_id, original in worn:
        if ExerciseMedia.objects.filter(stale, pk=media_id).update(
                status=ExerciseMedia.Status.FAILED, claim_token="", original="", updated_at=now,
                error=_("The video could not be converted: the converter stopped several times. Try a shorter clip.")):
            storage.delete_quietly(original)
    return list(ExerciseMedia.objects.filter(stale | unsent).values_list("pk", flat=True))


# --- Education texts -------------------------------------------------------------------------------------------


def education_text_save(*, clinic, topic: str, title: str, body: str, updated_by) -> EducationText:
    """The clinic's own wording of a topic (created the first time)."""
    if topic not in BY_SLUG:
        raise ValidationError({"topic": _("Unknown topic.")})
    with transaction.atomic():
        row = EducationText.objects.select_for_update().filter(clinic=clinic, topic=topic).first()
        row = row or EducationText(clinic=clinic, topic=topic)
        row.title, row.body, row.updated_by = title.strip(), body.strip(), updated_by
        row.full_clean()
        row.save()
        transaction.on_commit(lambda: selectors.media_cache_refresh(clinic_id=clinic.pk))
    return row


def education_text_reset(*, clinic, topic: str) -> bool:
    """Back to Backstep's default wording; True when the clinic had its own."""
    with transaction.atomic():
        deleted, _rows = EducationText.objects.filter(clinic=clinic, topic=topic).delete()
        transaction.on_commit(lambda: selectors.media_cache_refresh(clinic_id=clinic.pk))
    return bool(deleted)
