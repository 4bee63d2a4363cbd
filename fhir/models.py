"""Bulk Data exports (FHIR Bulk Data Access IG v2): the job a caller started, and the NDJSON files it wrote.

A job belongs to one clinic and one caller (a staff member or an API key):
only that caller reads its status and files. A Celery worker claims the job
(`claim_token`, `claimed_at` as a heartbeat, as exercise media's transcode
does), writes one file per resource type, and finishes it; a worker that dies
leaves a claim that goes stale, and the next run resumes at the first type
without an `ExportFile` (a type's file is recorded only once it is whole),
MAX_ATTEMPTS times at most.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ExportJob(models.Model):
    """One `$export` request and where it stands."""

    TENANT_CLINIC_LOOKUP = "clinic"

    class Kind(models.TextChoices):
        CLINIC = "clinic", _("Whole clinic")
        GROUP = "group", _("A therapist's caseload")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a worker")
        RUNNING = "running", pgettext_lazy("export status", "Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    clinic = models.ForeignKey("clinic.Clinic", on_delete=models.CASCADE, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                                     related_name="+")
    api_key = models.ForeignKey("clinic.ApiKey", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.CLINIC)
    group_id = models.BigIntegerField(_("group"), null=True, blank=True,
                                      help_text=_("A group export: the therapist whose caseload it is."))
    types = models.JSONField(_("resource types"), default=list)
    since = models.DateTimeField(_("changed since"), null=True, blank=True)
    request_url = models.CharField(max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    progress = models.CharField(_("progress"), max_length=80, blank=True)
    error = models.CharField(_("problem"), max_length=300, blank=True)
    patient_count = models.PositiveIntegerField(default=0)
    transaction_time = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claim_token = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("bulk export")
        verbose_name_plural = _("bulk exports")
        indexes = [
            models.Index(fields=["clinic", "status"], name="export_clinic_status"),
            models.Index(fields=["status", "claimed_at"], name="export_status_claimed"),
            models.Index(fields=["expires_at"], name="export_expires"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(requested_by__isnull=False) | Q(api_key__isnull=False),
                                   name="export_has_requester"),
            models.CheckConstraint(condition=Q(kind="clinic") | Q(group_id__isnull=False),
                                   name="export_group_has_id"),
            models.CheckConstraint(condition=Q(status__in=["pending", "running", "done", "failed", "cancelled"]),
                                   name="export_status_valid"),
        ]

    def __str__(self) -> str:
        return f"export #{self.pk} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.PENDING, self.Status.RUNNING)


class ExportFile(models.Model):
    """The NDJSON file of one resource type of a job, recorded once every row of the type is in it."""

    TENANT_CLINIC_LOOKUP = "job__clinic"

    job = models.ForeignKey(ExportJob, on_delete=models.CASCADE, related_name="files")
    resource_type = models.CharField(max_length=40)
    name = models.CharField(max_length=300)
    count = models.PositiveIntegerField(default=0)
    size = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["job", "id"]
        verbose_name = _("bulk export file")
        verbose_name_plural = _("bulk export files")
        constraints = [models.UniqueConstraint(fields=["job", "resource_type"], name="export_file_type_unique")]

    def __str__(self) -> str:
        return f"{self.resource_type} of export #{self.job_id}"
