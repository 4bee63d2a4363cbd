"""The media pages and files: uploads, conversion progress, who may fetch what (with ranges), the audit."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from clinic.models import AuditEvent
from exercise_media.models import ExerciseMedia
from exercise_media.tests.support import ffmpeg_available, make_video, picture_bytes, ready_picture, upload
from tests.factories import ExerciseTemplateFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery", "media_dir")]


@pytest.fixture
def template(world):
    return ExerciseTemplateFactory(clinic=world.clinic_a, name="Our walk")


def signed_in(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_a_therapist_adds_a_picture_to_a_clinic_template(world, template):
    client = signed_in(world.therapist_a)
    url = reverse("exercise_media:template-media", kwargs={"pk": template.pk})
    page = client.get(url)
    assert page.status_code == 200
    form = page.content.decode().split('enctype="multipart/form-data"', 1)[1].split("</form>", 1)[0]
    assert "<form" not in form and 'name="file"' in form and 'type="submit"' in form  # one form, not nested
    response = client.post(url, {"file": upload("IMG_1.HEIC", picture_bytes()), "description": "First steps"},
                           follow=True)
    assert response.status_code == 200
    body = response.content.decode()
    assert "location and camera details were removed" in body and 'alt="First steps"' in body
    media = ExerciseMedia.objects.get()
    assert (media.template, media.status, media.uploaded_by) == (template, "ready", world.therapist_a)


def test_built_in_templates_and_other_clinics_templates_take_no_uploads(world, template):
    builtin = ExerciseTemplateFactory(clinic=None)
    client = signed_in(world.therapist_b)
    for pk in (template.pk, builtin.pk):
        assert client.get(reverse("exercise_media:template-media", kwargs={"pk": pk})).status_code == 404


def test_a_lying_file_is_refused_on_the_page(world, template):
    client = signed_in(world.therapist_a)
    response = client.post(reverse("exercise_media:template-media", kwargs={"pk": template.pk}),
                           {"file": upload("video.mp4", b"<html><body>not a video</body></html>"),
                            "description": "x"})
    assert response.status_code == 400
    assert "not a picture or video Backstep can use" in response.content.decode()
    assert ExerciseMedia.objects.count() == 0


def test_oversize_is_refused_before_the_body_is_read(world, template, settings):
    settings.EXERCISE_MEDIA_MAX_IMAGE_BYTES = 1000
    settings.EXERCISE_MEDIA_MAX_VIDEO_BYTES = 100_000
    client = signed_in(world.therapist_a)
    url = reverse("exercise_media:template-media", kwargs={"pk": template.pk})
    huge = client.post(url, {"file": upload("p.jpg", bytes(300_000)), "description": "x"})
    assert huge.status_code == 413
    assert "This file is too large: pictures up to 1 KB, videos up to 97 KB." in huge.content.decode()
    # A body without a truthful length: the upload handler drops the file past the limit, with the same words.
    from exercise_media.uploads import LimitedUploadHandler

    handler = LimitedUploadHandler(limit=10)
    with pytest.raises(Exception, match="SkipFile|"):
        handler.receive_data_chunk(bytes(11), 0)
    # Under the request limit but over a picture's: the type's own limit, in words.
    over = client.post(url, {"file": upload("p.jpg", picture_bytes()), "description": "x"})
    assert over.status_code == 400 and "the limit is 1 KB" in over.content.decode()
    assert ExerciseMedia.objects.count() == 0


@pytest.mark.skipif(not ffmpeg_available(), reason="ffmpeg is not installed")
def test_a_video_for_one_patient_shows_its_progress_then_plays(world, walk, tmp_path,
                                                                django_capture_on_commit_callbacks):
    client = signed_in(world.therapist_a)
    url = reverse("exercise_media:patient-media", kwargs={"pk": world.patient_a1.pk})
    clip = make_video(tmp_path)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"exercise": walk.pk, "file": upload("clip.mov", clip.read_bytes()),
                                     "description": "Alma at the clinic"})
    assert response.status_code == 302
    media = ExerciseMedia.objects.get()
    status = client.get(reverse("exercise_media:status", kwargs={"pk": media.pk})).json()
    assert status == {"status": "ready", "label": "Ready", "progress": 100, "error": ""}
    event = AuditEvent.objects.filter(route="exercise_media:patient-media", method="POST").get()
    assert event.patient_id == world.patient_a1.pk and event.detail == {"media_id": media.pk}


def test_the_status_of_a_conversion_in_progress(world, walk):
    media = ExerciseMedia.objects.create(clinic=world.clinic_a, exercise=walk, patient=world.patient_a1,
                                         kind="video", description="x", status="processing", progress=42)
    page = signed_in(world.therapist_a).get(reverse("exercise_media:patient-media", kwargs={"pk": world.patient_a1.pk}))
    body = page.content.decode()
    assert 'value="42"' in body and "42 % done" in body and "media-status.js" in body
    status = signed_in(world.therapist_a).get(reverse("exercise_media:status", kwargs={"pk": media.pk})).json()
    assert (status["status"], status["progress"]) == ("processing", 42)
    assert signed_in(world.therapist_b).get(reverse("exercise_media:status", kwargs={"pk": media.pk})).status_code \
        == 404


def file_url(media, variant="file"):
    name = "exercise_media:patient-file" if media.patient_id else "exercise_media:file"
    return reverse(name, kwargs={"pk": media.pk, "variant": variant})


def body_of(response) -> bytes:
    return b"".join(response.streaming_content)


def test_the_patient_fetches_their_own_media_whole_and_in_ranges(world, walk):
    media = ready_picture(exercise=walk)
    client = signed_in(world.patient_a1.user)
    whole = client.get(file_url(media))
    data = body_of(whole)
    assert whole.status_code == 200 and whole["Accept-Ranges"] == "bytes" and whole["Content-Type"] == "image/jpeg"
    assert len(data) == media.size == int(whole["Content-Length"])
    assert whole["Cache-Control"] == "private, max-age=3600"
    part = client.get(file_url(media), HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206 and part["Content-Range"] == f"bytes 100-199/{media.size}"
    assert body_of(part) == data[100:200] and part["Content-Length"] == "100"
    tail = client.get(file_url(media), HTTP_RANGE="bytes=-10")
    assert tail.status_code == 206 and body_of(tail) == data[-10:]
    opened = client.get(file_url(media), HTTP_RANGE="bytes=0-")
    assert opened.status_code == 206 and body_of(opened) == data
    past = client.get(file_url(media), HTTP_RANGE=f"bytes={media.size}-")
    assert past.status_code == 416 and past["Content-Range"] == f"bytes */{media.size}"
    # A range for an older version of the file (If-Range) gets the whole file.
    stale = client.get(file_url(media), HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE='"old"')
    assert stale.status_code == 200
    thumbnail = client.get(file_url(media, "thumbnail"))
    assert thumbnail.status_code == 200 and body_of(thumbnail)[:3] == b"\xff\xd8\xff"
    assert client.get(reverse("exercise_media:patient-file", kwargs={"pk": media.pk, "variant": "original"})) \
        .status_code == 404


def test_everyone_else_is_told_the_file_does_not_exist(world, walk):
    media = ready_picture(exercise=walk)
    for user in (world.therapist_b, world.patient_a2.user, world.patient_b1.user, None):
        response = signed_in(user).get(file_url(media), HTTP_RANGE="bytes=0-9")
        assert response.status_code == 404, user
    # Nor under the clinic-template address.
    wrong_door = reverse("exercise_media:file", kwargs={"pk": media.pk, "variant": "file"})
    assert signed_in(world.patient_a1.user).get(wrong_door).status_code == 404


def test_each_view_of_patient_specific_media_is_audited(world, walk):
    media = ready_picture(exercise=walk)
    before = AuditEvent.objects.count()
    signed_in(world.patient_a1.user).get(file_url(media), HTTP_RANGE="bytes=0-99")
    signed_in(world.therapist_a).get(file_url(media, "thumbnail"))
    events = list(AuditEvent.objects.order_by("id")[before:])
    assert [(e.actor_role, e.route, e.object_type, e.object_id, e.patient_id, e.status_code) for e in events] == [
        ("patient", "exercise_media:patient-file", "exercise_media", str(media.pk), world.patient_a1.pk, 206),
        ("therapist", "exercise_media:patient-file", "exercise_media", str(media.pk), world.patient_a1.pk, 200),
    ]
    assert events[0].detail == {"variant": "file", "range": "bytes=0-99"}
    assert events[0].label == "viewed a patient's exercise picture or video"
    assert signed_in(world.therapist_b).get(file_url(media)).status_code == 404
    assert AuditEvent.objects.count() == before + 2  # a refused fetch is no event


def test_clinic_template_media_reach_patients_whose_plan_uses_the_template(world, walk):
    media = ready_picture(template=walk.template, clinic=world.clinic_a)
    before = AuditEvent.objects.count()
    for user in (world.patient_a1.user, world.patient_a2.user, world.therapist_a):
        assert signed_in(user).get(file_url(media)).status_code == 200
    for user in (world.patient_b1.user, world.therapist_b, None):  # clinic B's patient has the same template
        assert signed_in(user).get(file_url(media)).status_code == 404
    assert AuditEvent.objects.count() == before  # not patient data


def test_demonstrations_are_served_as_cached_svg(client):
    response = client.get(reverse("exercise_media:demonstration", kwargs={"name": "retro-treadmill-run"}),
                          {"incline": "5"})
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert response["Cache-Control"] == "public, max-age=86400" and b">5 %<" in response.content
    assert b"<style>" not in client.get(reverse("exercise_media:demonstration", kwargs={"name": "wall-sit"}),
                                        {"still": "1"}).content
    assert client.get(reverse("exercise_media:demonstration", kwargs={"name": "moonwalk"})).status_code == 404


# --- Where people see them ----------------------------------------------------------------------------------


def figure_srcs(body: str) -> list[str]:
    return re.findall(r'<img class="img-fluid w-100 rounded border bs-demo" src="([^"]+)"', body)


def test_today_shows_each_exercise_at_the_patients_own_incline(world, walk, django_capture_on_commit_callbacks):
    from patients.models import AssignedExercise

    AssignedExercise.objects.filter(pk=walk.pk).update(current_step=2)  # 2.5 km/h · 2.5 % · 15 min
    client = signed_in(world.patient_a1.user)
    body = client.get(reverse("patients:today")).content.decode()
    assert figure_srcs(body) == ["/demonstrations/retro-treadmill-walk.svg?incline=2.5"]
    assert 'loading="lazy"' in body and "walks backwards uphill at a 2.5 % incline" in body
    # The clinic's own picture of the template takes the drawing's place.
    with django_capture_on_commit_callbacks(execute=True):  # the phone's cache is written once committed
        ready_picture(template=walk.template, clinic=world.clinic_a, description="Our treadmill, side view")
    body = client.get(reverse("patients:today")).content.decode()
    assert figure_srcs(body) == [] and 'alt="Our treadmill, side view"' in body
    # A video made for this patient comes first.
    video = ExerciseMedia.objects.create(clinic=world.clinic_a, exercise=walk, patient=world.patient_a1,
                                         kind="video", description="Alma at the clinic", status="pending")
    ExerciseMedia.objects.filter(pk=video.pk).update(status="ready", file="videos/x.mp4", thumbnail="posters/x.jpg",
                                                     content_type="video/mp4", width=1280, height=720)
    from exercise_media.selectors import media_cache_refresh

    media_cache_refresh(clinic_id=world.clinic_a.pk, patient_id=world.patient_a1.pk)
    body = client.get(reverse("patients:today")).content.decode()
    assert re.search(r"<video [^>]*controls muted loop playsinline preload=\"none\"", body)
    assert "autoplay" not in body and f'/media/plan/{video.pk}/file/' in body


def test_the_first_session_checklist_then_the_advice_after_a_painful_session(world, walk):
    from tests.factories import SessionLogFactory

    client = signed_in(world.patient_a1.user)
    body = client.get(reverse("patients:today")).content.decode()
    assert 'data-topic="first-session"' in body and "Rail within reach" in body and "Start at 0 km/h" in body
    assert 'data-topic="after-pain"' not in body and 'data-topic="retro-walking"' in body
    SessionLogFactory(exercise=walk, pain_during=8, pain_after=6)
    client = signed_in(world.patient_a1.user)  # the red notice reads the latest session at sign-in
    body = client.get(reverse("patients:today")).content.decode()
    assert 'data-topic="first-session"' not in body
    assert re.search(r'<details class="card card-body mb-3 bs-education border-danger" open data-topic="after-pain"',
                     body)
    log_form = client.get(reverse("patients:log-session")).content.decode()
    assert 'data-topic="after-pain"' in log_form and "See how it's done" in log_form


def test_the_clinic_admin_words_the_education_and_patients_see_it(world, django_capture_on_commit_callbacks):
    admin = signed_in(world.admin_a)
    assert "Patient education texts" in admin.get(reverse("protocols:library")).content.decode()
    url = reverse("exercise_media:education-edit", kwargs={"topic": "first-session"})
    with django_capture_on_commit_callbacks(execute=True):
        assert admin.post(url, {"title": "Before you start", "body": "Ring the bell.\nClip on."}).status_code == 302
    body = signed_in(world.patient_a1.user).get(reverse("patients:today")).content.decode()
    assert "Before you start" in body and "<li>Ring the bell.</li>" in body
    assert "Ring the bell" not in signed_in(world.patient_b1.user).get(reverse("patients:today")).content.decode()
    refused = admin.post(url, {"title": "", "body": ""})
    assert refused.status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        assert admin.post(url, {"action": "reset"}).status_code == 302
    assert "Before your first session: safety checklist" in \
        signed_in(world.patient_a1.user).get(reverse("patients:today")).content.decode()
    assert signed_in(world.therapist_a).get(url).status_code == 403


def test_library_builder_and_handout_show_stills(world, walk, template):
    from protocols.models import ExerciseTemplate

    ExerciseTemplate.objects.filter(pk=template.pk).update(slug="wall-sit", kind="strength")
    staff = signed_in(world.therapist_a)
    library = staff.get(reverse("protocols:library")).content.decode()
    assert "/demonstrations/wall-sit.svg?still=1" in library
    assert "/demonstrations/retro-treadmill-walk.svg?still=1" in library
    protocol = world.assignment_a1.protocol
    builder = staff.get(reverse("protocols:detail", kwargs={"pk": protocol.pk})).content.decode()
    assert "/demonstrations/retro-treadmill-walk.svg?still=1" in builder
    handout = staff.get(reverse("patients:handout", kwargs={"pk": world.patient_a1.pk})).content.decode()
    assert "/demonstrations/retro-treadmill-walk.svg?incline=0&amp;still=1" in handout
    assert 'loading="lazy"' not in handout.split("bs-handout-figure", 1)[1].split("</figure>", 1)[0]
    detail = staff.get(reverse("protocols:template-detail", kwargs={"pk": template.pk})).content.decode()
    assert "/demonstrations/wall-sit.svg" in detail and "Pictures and videos" in detail


def test_the_media_pages_templates_have_no_inline_code():
    from pathlib import Path

    from tests.test_security_headers import TEMPLATE_COMMENTS, TEMPLATE_RULES

    folder = Path(__file__).resolve().parents[2] / "templates"
    found = {}
    for path in folder.rglob("*.html"):
        source = TEMPLATE_COMMENTS.sub("", path.read_text())
        problems = [label for label, rule in TEMPLATE_RULES.items() if rule.search(source)]
        if problems:
            found[path.name] = problems
    assert found == {}
