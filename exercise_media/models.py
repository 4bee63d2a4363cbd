"""The clinic's own pictures and videos of exercises, and the education texts it shows patients.

A media row is attached to exactly one thing: a clinic exercise template (every
patient whose plan uses the template sees it) or one patient's assigned
exercise (only that patient, and audited). Its files live in the
"exercise_media" storage (local or S3-compatible, see settings) under names
Backstep chose; the upload's own name is never used for anything.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clinic.fields import capped_text_field
from clinic.validators import validate_single_line
from exercise_media.education import TOPICS

EDUCATION_TEXT_MAX_LENGTH = 3000


class ExerciseMedia(models.Model):
    """A picture or video of an exercise, and where its processing stands.

    Pictures are ready as soon as they are uploaded (cleaned and resized in the
    request); videos wait for the transcode task, which claims the row
    (`claim_token`, `claimed_at` as a heartbeat) so that a worker that dies
    mid-way leaves a claim that goes stale and is run again, `attempts` times
    at most, then marked failed.
    """

    TENANT_CLINIC_LOOKUP = "clinic"
    # Patients never reach these rows through scope_queryset: exercise_media.selectors decides which media a
    # patient's plan uses.

    class Kind(models.TextChoices):
        IMAGE = "image", _("Picture")
        VIDEO = "video", _("Video")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be converted")
        PROCESSING = "processing", _("Converting")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    clinic = models.ForeignKey("clinic.Clinic", on_delete=models.CASCADE, related_name="+")
    template = models.ForeignKey("protocols.ExerciseTemplate", null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="+", verbose_name=_("exercise template"))
    exercise = models.ForeignKey("patients.AssignedExercise", null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="+", verbose_name=_("patient's exercise"))
    patient = models.ForeignKey("patients.Patient", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="+", editable=False)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    description = models.CharField(
        _("what it shows"), max_length=200, validators=[validate_single_line],
        help_text=_("Read out by screen readers and shown if the file cannot load, e.g. “Side view of the "
                    "first steps, hand on the rail”."))
    file = models.CharField(max_length=300, blank=True, editable=False)
    thumbnail = models.CharField(max_length=300, blank=True, editable=False)
    original = models.CharField(max_length=300, blank=True, editable=False,
                                help_text=_("A video as uploaded, kept only until it is converted."))
    content_type = models.CharField(max_length=40, blank=True, editable=False)
    size = models.PositiveBigIntegerField(default=0, editable=False)
    width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    duration_seconds = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True, editable=False)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.READY)
    progress = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(100)], editable=False)
    attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    claim_token = models.CharField(max_length=32, blank=True, editable=False)
    claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    error = models.CharField(_("problem"), max_length=300, blank=True, editable=False)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("exercise picture or video")
        verbose_name_plural = _("exercise pictures and videos")
        indexes = [
            models.Index(fields=["template", "status"], name="media_template_status"),
            models.Index(fields=["exercise", "status"], name="media_exercise_status"),
            models.Index(fields=["status", "claimed_at"], name="media_status_claimed"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(template__isnull=False, exercise__isnull=True, patient__isnull=True)
                           | Q(template__isnull=True, exercise__isnull=False, patient__isnull=False)),
                name="media_template_or_patient_exercise"),
            models.CheckConstraint(condition=Q(kind__in=["image", "video"]), name="media_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=["pending", "processing", "ready", "failed"]),
                                   name="media_status_valid"),
            models.CheckConstraint(condition=Q(progress__lte=100), name="media_progress_0_100"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.status})"

    @property
    def is_patient_specific(self) -> bool:
        return self.exercise_id is not None

    @property
    def is_ready(self) -> bool:
        return self.status == self.Status.READY

    @property
    def is_video(self) -> bool:
        return self.kind == self.Kind.VIDEO


class EducationText(models.Model):
    """A clinic's own wording of one education topic; a topic without a row shows Backstep's default."""

    TENANT_CLINIC_LOOKUP = "clinic"

    clinic = models.ForeignKey("clinic.Clinic", on_delete=models.CASCADE, related_name="+")
    topic = models.CharField(_("topic"), max_length=40, choices=[(t.slug, t.title) for t in TOPICS])
    title = models.CharField(_("title"), max_length=120, validators=[validate_single_line])
    body = capped_text_field(_("text"), max_length=EDUCATION_TEXT_MAX_LENGTH,
                             help_text=_("One point per line; each line is shown as its own item."))
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["clinic", "topic"]
        verbose_name = _("education text")
        verbose_name_plural = _("education texts")
        constraints = [models.UniqueConstraint(fields=["clinic", "topic"], name="education_clinic_topic_unique")]

    def __str__(self) -> str:
        return f"{self.title} ({self.clinic})"
