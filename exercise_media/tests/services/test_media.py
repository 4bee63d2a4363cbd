"""Uploads and the video transcode, with real pictures and real videos from ffmpeg's test sources."""

from __future__ import annotations

import datetime as dt
import io
import json
import subprocess

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from PIL import Image

from exercise_media import services
from exercise_media.models import ExerciseMedia
from exercise_media.storage import media_storage
from exercise_media.tests.support import GPS_IFD, ffmpeg_available, make_video, picture_bytes, upload
from tests.factories import ExerciseTemplateFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


@pytest.fixture
def template(world):
    return ExerciseTemplateFactory(clinic=world.clinic_a, name="Our walk")


@pytest.fixture
def ffmpeg(require):
    require(ffmpeg_available(), "ffmpeg is not installed (apt-get install ffmpeg)")


def stored(name: str) -> bytes:
    with media_storage().open(name, "rb") as handle:
        return handle.read()


def probe(data: bytes, tmp_path) -> dict:
    path = tmp_path / "probe.mp4"
    path.write_bytes(data)
    out = subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
                          str(path)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_a_picture_is_kept_without_its_location(world, template, media_dir, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        media = services.media_upload(clinic=world.clinic_a, uploaded=upload("IMG_0001.JPG", picture_bytes()),
                                      description="Hand on the rail", uploaded_by=world.therapist_a,
                                      template=template)
    media.refresh_from_db()
    assert (media.kind, media.status, media.progress, media.content_type) == ("image", "ready", 100, "image/jpeg")
    data = stored(media.file)
    with Image.open(io.BytesIO(data)) as kept:
        assert kept.getexif().get_ifd(GPS_IFD) == {} and b"PhoneMaker" not in data
    assert "IMG_0001" not in media.file and media.file.startswith("pictures/")
    assert media_storage().exists(media.thumbnail)


def test_a_refused_file_leaves_nothing_behind(world, template, media_dir):
    with pytest.raises(ValidationError):
        services.media_upload(clinic=world.clinic_a, uploaded=upload("x.jpg", b"<html>"), description="x",
                              uploaded_by=None, template=template)
    with pytest.raises(ValidationError):  # a JPEG cut short: it says it is a picture, but cannot be read
        services.media_upload(clinic=world.clinic_a, uploaded=upload("x.jpg", picture_bytes()[:400]),
                              description="x", uploaded_by=None, template=template)
    assert ExerciseMedia.objects.count() == 0
    assert not media_dir.exists() or not any(p.is_file() for p in media_dir.rglob("*"))


def test_oversize_is_refused_before_anything_is_stored(world, template, media_dir, settings):
    settings.EXERCISE_MEDIA_MAX_IMAGE_BYTES = 1000
    with pytest.raises(ValidationError, match="the limit is 1 KB"):
        services.media_upload(clinic=world.clinic_a, uploaded=upload("p.jpg", picture_bytes()), description="x",
                              uploaded_by=None, template=template)
    assert not media_dir.exists()


def test_a_video_is_transcoded_for_phones(world, walk, media_dir, tmp_path, ffmpeg,
                                          django_capture_on_commit_callbacks):
    source = make_video(tmp_path, "IMG_0002.MOV", seconds=1, size="1920x1080")
    with django_capture_on_commit_callbacks(execute=True):
        media = services.media_upload(clinic=world.clinic_a, uploaded=upload("IMG_0002.MOV", source.read_bytes()),
                                      description="Alma at the clinic", uploaded_by=world.therapist_a,
                                      exercise=walk)
    media.refresh_from_db()
    assert (media.status, media.progress, media.error, media.attempts) == ("ready", 100, "", 1)
    assert media.patient_id == world.patient_a1.pk and media.original == ""
    assert not media_storage().exists("incoming") or media_storage().listdir("incoming")[1] == []
    data = stored(media.file)
    info = probe(data, tmp_path)
    video = next(s for s in info["streams"] if s["codec_type"] == "video")
    audio = next(s for s in info["streams"] if s["codec_type"] == "audio")
    assert (video["codec_name"], video["pix_fmt"], audio["codec_name"]) == ("h264", "yuv420p", "aac")
    assert (video["width"], video["height"]) == (1280, 720) == (media.width, media.height)
    assert "location" not in json.dumps(info["format"].get("tags", {})).lower()
    assert data.index(b"moov") < data.index(b"mdat")  # fast start: the index first
    assert media.size == len(data) and 0.9 <= float(media.duration_seconds) <= 1.2
    with Image.open(io.BytesIO(stored(media.thumbnail))) as poster:
        assert poster.format == "JPEG" and poster.size == (1280, 720)


def test_a_portrait_phone_video_stays_portrait_and_small_ones_are_not_enlarged(world, walk, media_dir, tmp_path,
                                                                                ffmpeg,
                                                                                django_capture_on_commit_callbacks):
    tall = make_video(tmp_path, "tall.mp4", size="1080x1920")
    small = make_video(tmp_path, "small.webm", size="320x240", extra=("-c:v", "libvpx-vp9", "-c:a", "libopus"))
    results = []
    for path in (tall, small):
        with django_capture_on_commit_callbacks(execute=True):
            media = services.media_upload(clinic=world.clinic_a, uploaded=upload(path.name, path.read_bytes()),
                                          description="x", uploaded_by=None, exercise=walk)
        media.refresh_from_db()
        results.append((media.status, media.width, media.height))
    assert results == [("ready", 720, 1280), ("ready", 320, 240)]


def test_a_corrupt_video_fails_with_a_clear_reason(world, walk, media_dir, tmp_path, ffmpeg,
                                                   django_capture_on_commit_callbacks):
    real = make_video(tmp_path).read_bytes()
    broken = real[:48] + bytes(4096)  # an MP4's opening, then nothing ffmpeg can read
    with django_capture_on_commit_callbacks(execute=True):
        media = services.media_upload(clinic=world.clinic_a, uploaded=upload("clip.mp4", broken),
                                      description="x", uploaded_by=None, exercise=walk)
    media.refresh_from_db()
    assert media.status == "failed" and "ffmpeg could not" in media.error and "damaged" in media.error
    assert media.original == "" and media.file == ""
    assert not any(p.is_file() for p in media_dir.rglob("*"))  # the unreadable upload is not kept


def test_a_video_over_the_length_limit_fails_in_words(world, walk, media_dir, tmp_path, ffmpeg, settings,
                                                      django_capture_on_commit_callbacks):
    settings.EXERCISE_MEDIA_MAX_VIDEO_SECONDS = 1
    clip = make_video(tmp_path, seconds=2)
    with django_capture_on_commit_callbacks(execute=True):
        media = services.media_upload(clinic=world.clinic_a, uploaded=upload("c.mp4", clip.read_bytes()),
                                      description="x", uploaded_by=None, exercise=walk)
    media.refresh_from_db()
    assert media.status == "failed" and "minutes long; the limit is" in media.error


def pending_video(world, walk, tmp_path) -> ExerciseMedia:
    """A video uploaded while no worker took it (the on-commit enqueue is not run)."""
    clip = make_video(tmp_path)
    return services.media_upload(clinic=world.clinic_a, uploaded=upload("c.mp4", clip.read_bytes()),
                                 description="x", uploaded_by=None, exercise=walk)


def test_a_worker_that_died_mid_way_is_resumed(world, walk, media_dir, tmp_path, ffmpeg):
    media = pending_video(world, walk, tmp_path)
    # A worker claimed it and was killed: the row says "converting", with a claim nobody refreshes.
    died = timezone.now() - services.STALE_CLAIM - dt.timedelta(seconds=1)
    ExerciseMedia.objects.filter(pk=media.pk).update(status="processing", claim_token="dead", claimed_at=died,
                                                     attempts=1, progress=40)
    assert services.media_resume_stale() == [media.pk]
    assert services.media_transcode(media_id=media.pk) == "ready"
    media.refresh_from_db()
    assert (media.status, media.attempts, media.claim_token) == ("ready", 2, "")
    # Running the task again changes nothing.
    assert services.media_transcode(media_id=media.pk) == "skipped"


def test_a_fresh_claim_is_not_taken_twice(world, walk, media_dir, tmp_path, ffmpeg):
    media = pending_video(world, walk, tmp_path)
    ExerciseMedia.objects.filter(pk=media.pk).update(status="processing", claim_token="alive",
                                                     claimed_at=timezone.now(), attempts=1)
    assert services.media_transcode(media_id=media.pk) == "busy"
    assert services.media_resume_stale() == []


def test_a_video_whose_conversion_keeps_dying_is_marked_failed(world, walk, media_dir, tmp_path, ffmpeg):
    media = pending_video(world, walk, tmp_path)
    died = timezone.now() - services.STALE_CLAIM - dt.timedelta(minutes=1)
    ExerciseMedia.objects.filter(pk=media.pk).update(status="processing", claim_token="dead", claimed_at=died,
                                                     attempts=services.MAX_ATTEMPTS)
    assert services.media_resume_stale() == []
    media.refresh_from_db()
    assert media.status == "failed" and "stopped several times" in media.error and media.original == ""


def test_an_upload_never_sent_to_a_worker_is_sent_again(world, walk, media_dir, tmp_path, ffmpeg):
    media = pending_video(world, walk, tmp_path)
    assert services.media_resume_stale() == []  # just uploaded: its message may still be on its way
    ExerciseMedia.objects.filter(pk=media.pk).update(created_at=timezone.now() - dt.timedelta(minutes=5))
    assert services.media_resume_stale() == [media.pk]


def test_deleting_removes_the_files(world, template, media_dir, django_capture_on_commit_callbacks):
    media = services.media_upload(clinic=world.clinic_a, uploaded=upload("p.png", picture_bytes("PNG")),
                                  description="x", uploaded_by=None, template=template)
    with django_capture_on_commit_callbacks(execute=True):
        services.media_delete(media=media)
    assert not any(p.is_file() for p in media_dir.rglob("*"))


def test_education_wording_is_the_clinics_own_until_reset(world, django_capture_on_commit_callbacks):
    from exercise_media.selectors import education_texts

    assert education_texts(clinic=world.clinic_a)["first-session"].is_default
    with django_capture_on_commit_callbacks(execute=True):
        services.education_text_save(clinic=world.clinic_a, topic="first-session", title="Before you start",
                                     body="Clip on.\n\nStart at zero.", updated_by=world.admin_a)
    own = education_texts(clinic=world.clinic_a)["first-session"]
    assert (own.title, own.lines, own.is_default) == ("Before you start", ["Clip on.", "Start at zero."], False)
    assert education_texts(clinic=world.clinic_b)["first-session"].is_default
    with pytest.raises(ValidationError):
        services.education_text_save(clinic=world.clinic_a, topic="first-session", title="Two\nlines", body="x",
                                     updated_by=None)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.education_text_reset(clinic=world.clinic_a, topic="first-session")
    assert education_texts(clinic=world.clinic_a)["first-session"].is_default


def test_an_iphone_heic_picture_is_kept_as_a_clean_jpeg(world, template, media_dir):
    from pillow_heif import register_heif_opener

    register_heif_opener()
    out = io.BytesIO()
    Image.new("RGB", (1200, 900), (30, 90, 160)).save(out, "HEIF")
    media = services.media_upload(clinic=world.clinic_a, uploaded=upload("IMG_0042.HEIC", out.getvalue()),
                                  description="From an iPhone", uploaded_by=None, template=template)
    assert (media.status, media.content_type, media.width, media.height) == ("ready", "image/jpeg", 1200, 900)
    with Image.open(io.BytesIO(stored(media.file))) as kept:
        assert kept.format == "JPEG"
