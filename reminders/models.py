"""Reminder settings (the clinic's defaults, each patient's choice), push subscriptions and the delivery ledger.

A ReminderDelivery row is the idempotency key of one reminder: one per
patient, kind, local date and channel (a unique constraint), written before
anything is sent, so a tick that runs twice or a task delivered twice never
sends the same reminder twice (see reminders/services/sending.py).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinic.models import validate_timezone

WEEKDAY_DIGITS = "0123456"  # Monday=0 … Sunday=6, as date.weekday()


def validate_weekdays(value: str) -> None:
    if any(ch not in WEEKDAY_DIGITS for ch in value) or len(set(value)) != len(value):
        raise ValidationError(_("Weekdays are digits 0 (Monday) to 6 (Sunday), each at most once."))


class ReminderSettings(models.Model):
    """The fields a clinic's defaults and a patient's choice share."""

    training_enabled = models.BooleanField(_("training-day reminder"), default=True)
    training_time = models.TimeField(_("training reminder at"), default=dt.time(18, 0))
    training_weekdays = models.CharField(_("training days"), max_length=7, default="024",
                                         validators=[validate_weekdays],
                                         help_text=_("Days of the week: 0 is Monday, 6 is Sunday."))
    checkin_enabled = models.BooleanField(_("morning check-in reminder"), default=True)
    checkin_time = models.TimeField(_("check-in reminder at"), default=dt.time(8, 0))
    nudge_enabled = models.BooleanField(_("nudge after days without training"), default=True)
    nudge_after_days = models.PositiveSmallIntegerField(_("nudge after (days without training)"), default=3,
                                                        validators=[MinValueValidator(1), MaxValueValidator(30)])
    quiet_start = models.TimeField(_("quiet hours from"), default=dt.time(21, 30))
    quiet_end = models.TimeField(_("quiet hours until"), default=dt.time(7, 0))
    push_enabled = models.BooleanField(_("notifications on this phone (Web Push)"), default=True)
    email_enabled = models.BooleanField(_("e-mail"), default=False)

    class Meta:
        abstract = True


class ClinicReminderDefaults(ReminderSettings):
    """What a patient of the clinic gets until they choose otherwise."""

    TENANT_CLINIC_LOOKUP = "clinic"

    clinic = models.OneToOneField("clinic.Clinic", on_delete=models.CASCADE, related_name="reminder_defaults")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("clinic reminder defaults")
        verbose_name_plural = _("clinic reminder defaults")

    def __str__(self) -> str:
        return f"Reminder defaults of clinic #{self.clinic_id}"


class ReminderPreference(ReminderSettings):
    """A patient's own reminder choices; `timezone` blank means the clinic's."""

    TENANT_CLINIC_LOOKUP = "patient__clinic"
    TENANT_PATIENT_LOOKUP = "patient"

    patient = models.OneToOneField("patients.Patient", on_delete=models.CASCADE, related_name="reminder_preference")
    timezone = models.CharField(_("time zone"), max_length=64, blank=True, validators=[validate_timezone],
                                help_text=_("Leave empty to use the clinic's time zone."))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("reminder preference")
        verbose_name_plural = _("reminder preferences")

    def __str__(self) -> str:
        return f"Reminder preference of patient #{self.patient_id}"


class PushSubscription(models.Model):
    """One browser's Web Push subscription (its endpoint and the keys to encrypt for it)."""

    TENANT_CLINIC_LOOKUP = "patient__clinic"
    TENANT_PATIENT_LOOKUP = "patient"

    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="push_subscriptions")
    endpoint = models.URLField(_("endpoint"), max_length=1000, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=64)
    created = models.DateTimeField(auto_now_add=True)
    last_success = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("push subscription")
        verbose_name_plural = _("push subscriptions")

    def __str__(self) -> str:
        return f"Push subscription #{self.pk} of patient #{self.patient_id}"


class ReminderKind(models.TextChoices):
    TRAINING = "training", _("Training-day reminder")
    CHECKIN = "checkin", _("Morning check-in reminder")
    NUDGE = "nudge", _("Nudge after days without training")


class Channel(models.TextChoices):
    PUSH = "push", _("Web Push")
    EMAIL = "email", _("E-mail")


class ReminderDelivery(models.Model):
    """One reminder for one patient, day and channel: claimed before it is sent, so it is sent at most once.

    pending → sending (committed before the network call) → sent | failed | skipped.
    A row left in `sending` by a killed worker is never sent again: a later
    tick marks it failed (its outcome is unknown; a second copy would be worse
    than a missed one).
    """

    TENANT_CLINIC_LOOKUP = "patient__clinic"
    TENANT_PATIENT_LOOKUP = "patient"

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")

    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="reminder_deliveries")
    kind = models.CharField(max_length=12, choices=ReminderKind.choices)
    local_date = models.DateField()
    channel = models.CharField(max_length=8, choices=Channel.choices)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)  # the tick's moment: the window is counted from it
    attempted_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    detail = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("reminder delivery")
        verbose_name_plural = _("reminder deliveries")
        constraints = [
            models.UniqueConstraint(fields=["patient", "kind", "local_date", "channel"],
                                    name="reminder_delivery_once"),
            models.CheckConstraint(condition=Q(status__in=["pending", "sending", "sent", "failed", "skipped"]),
                                   name="reminder_delivery_status_valid"),
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.channel} for patient #{self.patient_id} on {self.local_date}: {self.status}"
