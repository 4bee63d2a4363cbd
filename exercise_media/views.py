"""Pages and files of exercise media: drawings, uploads, conversion progress, permission-checked files with
HTTP ranges, and the clinic admin's education texts. Thin: selectors read, services write."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from clinic.audit import audit_note
from clinic.tenancy import get_scoped_or_404, require_clinic_admin, require_staff
from clinic.uploads import file_upload_page
from clinic.web import clinic_admin_required, service_errors_to_form, staff_required
from exercise_media import demonstrations, ranges, selectors, services, storage
from exercise_media.forms import EducationTextForm, MediaUploadForm
from exercise_media.uploads import LimitedUploadHandler, megabytes
from patients.models import Patient

VARIANTS = {"file": "file", "thumbnail": "thumbnail"}
# Room for the form's other fields and the multipart framing around the largest file allowed.
MULTIPART_OVERHEAD = 64 * 1024


def _upload_limit() -> int:
    return max(settings.EXERCISE_MEDIA_MAX_IMAGE_BYTES, settings.EXERCISE_MEDIA_MAX_VIDEO_BYTES)


# A staff page whose POST carries a file: Backstep refuses files everywhere else (clinic/uploads.py); here
# the body is spooled to a temporary file up to the largest limit instead, and a body larger than that is refused
# by its Content-Length before a byte is read, with the limit in words (413).
staff_upload_page = file_upload_page(
    allowed=require_staff,
    handler=lambda request: LimitedUploadHandler(request, limit=_upload_limit()),
    body_limit=lambda: _upload_limit() + MULTIPART_OVERHEAD,
)


def _too_large_message() -> str:
    return _("This file is too large: pictures up to %(image)s, videos up to %(video)s.") % {
        "image": megabytes(settings.EXERCISE_MEDIA_MAX_IMAGE_BYTES),
        "video": megabytes(settings.EXERCISE_MEDIA_MAX_VIDEO_BYTES)}


def _upload(request, form, **target) -> bool:
    """Run the upload service for a valid form; errors go onto the form. True when saved."""
    if not all(target.values()):
        return False
    try:
        media = services.media_upload(clinic=request.actor.clinic, uploaded=form.cleaned_data["file"],
                                      description=form.cleaned_data["description"], uploaded_by=request.user,
                                      **target)
    except ValidationError as error:
        service_errors_to_form(form, error)
        return False
    audit_note(request, detail={"media_id": media.pk})
    if media.is_video:
        messages.success(request, _("Video uploaded. It is being converted for phones; this page shows the progress."))
    else:
        messages.success(request, _("Picture added. Its location and camera details were removed."))
    return True


def _posted(request) -> tuple[bool, bool]:
    """(refused as too large, a form was posted to handle)."""
    too_large = getattr(request, "upload_too_large", False)
    return too_large, request.method == "POST" and not too_large


def _dropped(request, too_large: bool, posted: bool) -> tuple[bool, bool]:
    """After the body was read: a file the upload handler dropped past the limit is refused like a large body."""
    if posted and getattr(request, "upload_too_large", False):
        return True, False
    return too_large, posted


def _status(too_large: bool, posted: bool) -> int:
    """The page shown again after a post was refused: 413 for a body over the limit, 400 for the rest."""
    return 413 if too_large else 400 if posted else 200


def _limits(too_large: bool) -> dict:
    return {"refusal": _too_large_message() if too_large else "",
            "image_limit": megabytes(settings.EXERCISE_MEDIA_MAX_IMAGE_BYTES),
            "video_limit": megabytes(settings.EXERCISE_MEDIA_MAX_VIDEO_BYTES),
            "video_minutes": settings.EXERCISE_MEDIA_MAX_VIDEO_SECONDS // 60}


@staff_upload_page
def template_media(request, pk: int):
    """A clinic template's pictures and videos, and the form that adds one."""
    template = selectors.editable_template(actor=request.actor, pk=pk)
    too_large, posted = _posted(request)
    form = MediaUploadForm(request.POST, request.FILES) if posted else MediaUploadForm()
    too_large, posted = _dropped(request, too_large, posted)
    if posted and form.is_valid() and _upload(request, form, template=template):
        return redirect("exercise_media:template-media", pk=template.pk)
    shown = selectors.template_media(actor=request.actor, templates=[template])[template.pk]
    return render(request, "exercise_media/template_media.html", {
        "template": template, "form": form, "shown": shown,
        "items": selectors.template_media_list(actor=request.actor, template=template), **_limits(too_large),
    }, status=_status(too_large, posted))


@staff_upload_page
def patient_media(request, pk: int):
    """Pictures and videos made for one patient's plan (only they and their clinic see them)."""
    patient = get_scoped_or_404(Patient.objects.all(), request.actor, pk=pk)
    exercises = selectors.plan_exercises_for_media(patient=patient)
    too_large, posted = _posted(request)
    form = MediaUploadForm(request.POST, request.FILES, exercises=exercises) if posted else \
        MediaUploadForm(exercises=exercises)
    too_large, posted = _dropped(request, too_large, posted)
    if posted and form.is_valid() and _upload(request, form, exercise=form.cleaned_data["exercise"]):
        return redirect("exercise_media:patient-media", pk=patient.pk)
    return render(request, "exercise_media/patient_media.html", {
        "patient": patient, "form": form, "has_plan": exercises.exists(),
        "items": selectors.patient_media_list(actor=request.actor, patient=patient), **_limits(too_large),
    }, status=_status(too_large, posted))


@staff_required
@require_POST
def template_media_delete(request, pk: int, media_pk: int):
    template = selectors.editable_template(actor=request.actor, pk=pk)
    services.media_delete(media=selectors.media_of_template(actor=request.actor, template=template, pk=media_pk))
    messages.success(request, _("Removed."))
    return redirect("exercise_media:template-media", pk=template.pk)


@staff_required
@require_POST
def patient_media_delete(request, pk: int, media_pk: int):
    patient = get_scoped_or_404(Patient.objects.all(), request.actor, pk=pk)
    media = selectors.media_of_patient(actor=request.actor, patient=patient, pk=media_pk)
    audit_note(request, detail={"media_id": media.pk})
    services.media_delete(media=media)
    messages.success(request, _("Removed."))
    return redirect("exercise_media:patient-media", pk=patient.pk)


@staff_required
@require_safe
def media_status(request, pk: int):
    """Where a video's conversion stands, for the page's progress bar (polled)."""
    media = selectors.media_status(actor=request.actor, pk=pk)
    response = JsonResponse({"status": media.status, "label": media.get_status_display(),
                             "progress": media.progress, "error": media.error})
    response["Cache-Control"] = "no-store"
    return response


# --- Files ------------------------------------------------------------------------------------------------------


def _serve(request, media, variant: str):
    """A stored file, whole (200) or one byte range of it (206); 416 for a range past its end."""
    name = getattr(media, VARIANTS[variant])
    if not name:
        raise Http404("No such file")
    size = media.size if variant == "file" else storage.media_storage().size(name)
    content_type = media.content_type if variant == "file" else "image/jpeg"
    etag = f'"{name.rsplit("/", 1)[-1]}"'  # names are never reused: a name is its content's version
    wanted = request.headers.get("Range")
    if request.headers.get("If-Range") not in (None, etag):
        wanted = None
    try:
        span = ranges.byte_range(wanted, size)
    except ranges.Unsatisfiable:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    start, end = span if span is not None else (0, size - 1)
    body = storage.read_range(name, start, end) if request.method != "HEAD" and size else iter(())
    response = StreamingHttpResponse(body, status=206 if span is not None else 200, content_type=content_type)
    response["Content-Length"] = str(end - start + 1 if size else 0)
    if span is not None:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Accept-Ranges"] = "bytes"
    response["ETag"] = etag
    # Health-adjacent: kept by this browser only, never by a shared cache.
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Disposition"] = "inline"
    return response


@require_safe
def template_media_file(request, pk: int, variant: str):
    """A clinic template's picture or video: its staff, and patients whose plan uses the template; 404 else."""
    if variant not in VARIANTS:
        raise Http404("No such file")
    media = selectors.servable_media(actor=request.actor, pk=pk, patient_specific=False)
    return _serve(request, media, variant)


@require_safe
def patient_media_file(request, pk: int, variant: str):
    """A picture or video made for one patient: that patient and their clinic's staff; 404 else. Audited."""
    if variant not in VARIANTS:
        raise Http404("No such file")
    media = selectors.servable_media(actor=request.actor, pk=pk, patient_specific=True)
    audit_note(request, object_id=media.pk, patient_id=media.patient_id,
               detail={"variant": variant, "range": request.headers.get("Range", "")[:40]})
    return _serve(request, media, variant)


@require_safe
def demonstration(request, name: str):
    """Backstep's drawing of a built-in exercise (no patient data: open to all, cached)."""
    if name not in demonstrations.SCENES:
        raise Http404("No such demonstration")
    drawing = demonstrations.render(name, incline=request.GET.get("incline"), still=request.GET.get("still") == "1")
    # Sent with the site's own Content-Security-Policy, like every response. Shown as an <img>, the drawing runs
    # no script and loads nothing; a browser that applied the policy to its <style> would stop the animation and
    # show the still key frame, which the drawing's transform attributes hold.
    response = HttpResponse(drawing.svg, content_type="image/svg+xml; charset=utf-8")
    response["Cache-Control"] = "public, max-age=86400"
    return response


# --- Education (clinic admins) ------------------------------------------------------------------------------


@clinic_admin_required
@require_safe
def education_list(request):
    texts = selectors.education_texts(clinic=request.actor.clinic)
    return render(request, "exercise_media/education_list.html", {"texts": texts.values()})


@clinic_admin_required
def education_edit(request, topic: str):
    """Edit the clinic's wording of a topic, or go back to Backstep's (action=reset)."""
    require_clinic_admin(request.actor)
    default = selectors.education_topic(slug=topic)
    clinic = request.actor.clinic
    current = selectors.education_texts(clinic=clinic)[topic]
    if request.method == "POST" and request.POST.get("action") == "reset":
        services.education_text_reset(clinic=clinic, topic=topic)
        messages.success(request, _("Back to Backstep's wording."))
        return redirect("exercise_media:education")
    if request.method == "POST":
        form = EducationTextForm(request.POST)
        if form.is_valid():
            try:
                services.education_text_save(clinic=clinic, topic=topic, updated_by=request.user,
                                             **form.cleaned_data)
            except ValidationError as error:
                service_errors_to_form(form, error)
            else:
                messages.success(request, _("Saved. Patients see the new wording from now on."))
                return redirect("exercise_media:education")
    else:
        form = EducationTextForm(initial={"title": current.title, "body": "\n".join(current.lines)})
    return render(request, "exercise_media/education_form.html",
                  {"form": form, "topic": default, "current": current},
                  status=400 if request.method == "POST" else 200)
