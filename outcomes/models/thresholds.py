"""A clinic's own important-change thresholds, for the scales whose published threshold is unverified."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

__all__ = ["ClinicThreshold"]


class ClinicThreshold(models.Model):
    """One clinic's important change for one scale of one instrument (points), replacing the default.

    outcomes.md marks most thresholds *unverified*: a default the clinic may change, never a hard rule.
    Only those scales may have a row (`outcomes.services.threshold_set` checks it); a verified, published
    threshold stays as published. For a change-rating scale (GROC) the value is the cut-off either way:
    >= +value better, <= -value worse. No row: the instrument's default applies.
    """

    TENANT_CLINIC_LOOKUP = "clinic"

    clinic = models.ForeignKey("clinic.Clinic", on_delete=models.CASCADE, related_name="outcome_thresholds")
    instrument_id = models.CharField(_("instrument"), max_length=40)
    scale_id = models.CharField(_("scale"), max_length=40)
    important_change = models.DecimalField(_("important change"), max_digits=5, decimal_places=1)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    changed_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        ordering = ["instrument_id", "scale_id"]
        verbose_name = _("clinic threshold")
        verbose_name_plural = _("clinic thresholds")
        constraints = [
            models.UniqueConstraint(fields=["clinic", "instrument_id", "scale_id"],
                                    name="one_threshold_per_clinic_scale"),
            models.CheckConstraint(condition=Q(important_change__gt=Decimal(0)),
                                   name="clinic_threshold_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id}/{self.scale_id}: {self.important_change} for clinic {self.clinic_id}"
