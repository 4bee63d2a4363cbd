"""A clinic's imported questionnaire wording (licensed instruments)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

__all__ = ["ImportedQuestionnaire"]


class ImportedQuestionnaire(models.Model):
    """The wording of a licensed instrument one clinic imported as a FHIR R4 Questionnaire.

    Backstep ships only the instrument's structure; this row holds the clinic's text for it,
    seen by that clinic alone. `wording` maps item id -> {"text": str, "options": {"<value>": label}}
    (keys of "options" are the answer values as strings, JSON keys being strings). `fhir` is the
    uploaded Questionnaire as parsed JSON, kept as the clinic sent it.

    One active import per clinic and instrument (`replaced_at` NULL, a partial unique constraint):
    importing again marks the active row replaced and adds the new one in the same transaction, so
    the wording any earlier response was answered with stays on record.
    """

    TENANT_CLINIC_LOOKUP = "clinic"

    clinic = models.ForeignKey("clinic.Clinic", on_delete=models.CASCADE, related_name="imported_questionnaires")
    instrument_id = models.CharField(_("instrument"), max_length=40)
    instrument_version = models.CharField(_("instrument version"), max_length=20)
    title = models.CharField(_("title"), max_length=200)
    fhir = models.JSONField(_("uploaded FHIR Questionnaire"))
    wording = models.JSONField(_("wording by item"))
    is_test_wording = models.BooleanField(
        _("test wording"), default=False,
        help_text=_("Wording written for tests or the demo, not the licensed text; shown as such."))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    replaced_at = models.DateTimeField(_("replaced at"), null=True, blank=True)

    class Meta:
        ordering = ["instrument_id", "-created_at"]
        verbose_name = _("imported questionnaire")
        verbose_name_plural = _("imported questionnaires")
        constraints = [
            models.UniqueConstraint(fields=["clinic", "instrument_id"], condition=Q(replaced_at__isnull=True),
                                    name="one_active_questionnaire_import_per_instrument"),
        ]
        indexes = [models.Index(fields=["clinic", "instrument_id", "replaced_at"], name="outcomes_import_active")]

    def __str__(self) -> str:
        return f"{self.title} ({self.instrument_id}) for clinic {self.clinic_id}"

    @property
    def is_active(self) -> bool:
        return self.replaced_at is None
