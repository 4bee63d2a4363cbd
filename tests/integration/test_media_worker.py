"""A clinic's video through the whole stack: uploaded on the page, transcoded by a real Celery worker on Redis
(against the PostgreSQL test database and the shared media storage), then played by the patient."""

import shutil
import time

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from exercise_media.models import ExerciseMedia
from exercise_media.storage import media_storage
from exercise_media.tests.support import ffmpeg_available, make_video, upload

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def on_postgres(require):
    require(connection.vendor == "postgresql", "needs PostgreSQL: the worker must share the test database")
    require(ffmpeg_available(), "ffmpeg is not installed (apt-get install ffmpeg)")


@pytest.fixture
def stored_names():
    """Files this test left in the storage the worker shares (the default one), removed afterwards."""
    names = []
    yield names
    storage = media_storage()
    for name in names:
        if name and storage.exists(name):
            storage.delete(name)


def wait_for(predicate, timeout=90.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


def test_a_video_is_transcoded_by_the_worker_and_played_by_the_patient(world, on_postgres, celery_worker_process,
                                                                        tmp_path, stored_names):
    walk = world.assignment_a1.exercises.get(phase__order=0, order=0)
    clip = make_video(tmp_path, "IMG_0003.MOV", seconds=1, size="640x360")
    therapist = Client()
    therapist.force_login(world.therapist_a)
    response = therapist.post(reverse("exercise_media:patient-media", kwargs={"pk": world.patient_a1.pk}),
                              {"exercise": walk.pk, "file": upload(clip.name, clip.read_bytes()),
                               "description": "Alma on our treadmill"})
    assert response.status_code == 302
    media = ExerciseMedia.objects.get()
    stored_names.append(media.original)
    seen = []

    def converted():
        media.refresh_from_db()
        seen.append(therapist.get(reverse("exercise_media:status", kwargs={"pk": media.pk})).json()["status"])
        return media.status in ("ready", "failed")

    wait_for(converted, what="the worker's transcode")
    stored_names.extend([media.file, media.thumbnail])
    assert (media.status, media.error, media.progress, media.content_type) == ("ready", "", 100, "video/mp4")
    assert seen[-1] == "ready" and media.original == "" and not media_storage().exists(stored_names[0])

    patient = Client()
    patient.force_login(world.patient_a1.user)
    # The phone's cache was written again by the worker: the today page plays the clinic's video.
    assert f"/media/plan/{media.pk}/file/" in patient.get(reverse("patients:today")).content.decode()
    url = reverse("exercise_media:patient-file", kwargs={"pk": media.pk, "variant": "file"})
    whole = patient.get(url)
    data = b"".join(whole.streaming_content)
    assert whole.status_code == 200 and len(data) == media.size and data[4:8] == b"ftyp"
    part = patient.get(url, HTTP_RANGE="bytes=0-1")
    assert part.status_code == 206 and b"".join(part.streaming_content) == data[:2]
    assert part["Content-Range"] == f"bytes 0-1/{media.size}"
    other_clinic = Client()
    other_clinic.force_login(world.therapist_b)
    assert other_clinic.get(url).status_code == 404
    assert Client().get(url).status_code == 404
    shutil.rmtree(tmp_path, ignore_errors=True)
