"""Questionnaire schedules (protocol and assignment) and patients' responses with their scores.

A protocol names the questionnaires it wants (`ProtocolQuestionnaire`); an
assignment copies them when it is made (`AssignmentQuestionnaire`), and the
therapist can add one or skip one there without touching the protocol. A
`QuestionnaireResponse` is one occasion of one instrument for one patient: a
draft while the patient answers, then submitted once with its scores frozen
(instrument version, answers and every scale's score or reason).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

__all__ = ["AssignmentQuestionnaire", "ProtocolQuestionnaire", "QuestionnaireResponse", "ScheduleRule"]

EVERY_WEEKS = [MinValueValidator(1), MaxValueValidator(52)]


class ScheduleRule(models.Model):
    """When an instrument is due: at the start, every N weeks, at each phase change, at the (planned) end."""

    instrument_id = models.CharField(_("questionnaire"), max_length=40)
    at_start = models.BooleanField(_("at the start"), default=True)
    every_weeks = models.PositiveSmallIntegerField(_("every N weeks"), null=True, blank=True,
                                                   validators=EVERY_WEEKS)
    at_phase_change = models.BooleanField(_("at each phase change"), default=False)
    at_end = models.BooleanField(_("at the end"), default=False)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.instrument_id


class ProtocolQuestionnaire(ScheduleRule):
    """A questionnaire a protocol asks for, copied into each assignment made from it."""

    TENANT_CLINIC_LOOKUP = "protocol__clinic"
    TENANT_SHARED_WHEN_NO_CLINIC = True

    protocol = models.ForeignKey("protocols.Protocol", on_delete=models.CASCADE, related_name="questionnaires")

    class Meta:
        ordering = ["protocol", "instrument_id"]
        verbose_name = _("protocol questionnaire")
        verbose_name_plural = _("protocol questionnaires")
        constraints = [
            models.UniqueConstraint(fields=["protocol", "instrument_id"], name="protocol_questionnaire_unique"),
            models.CheckConstraint(condition=Q(every_weeks__isnull=True) | Q(every_weeks__gte=1, every_weeks__lte=52),
                                   name="protocol_questionnaire_every_1_52"),
        ]


class AssignmentQuestionnaire(ScheduleRule):
    """A questionnaire on one patient's plan: copied from the protocol or added by the therapist; skippable."""

    TENANT_CLINIC_LOOKUP = "assignment__patient__clinic"
    TENANT_PATIENT_LOOKUP = "assignment__patient"

    class Source(models.TextChoices):
        PROTOCOL = "protocol", _("From the protocol")
        THERAPIST = "therapist", _("Added by the therapist")

    assignment = models.ForeignKey("patients.Assignment", on_delete=models.CASCADE, related_name="questionnaires")
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.PROTOCOL)
    skipped = models.BooleanField(_("skipped"), default=False,
                                  help_text=_("Not asked on this plan (the therapist skipped it)."))
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["assignment", "instrument_id"]
        verbose_name = _("plan questionnaire")
        verbose_name_plural = _("plan questionnaires")
        constraints = [
            models.UniqueConstraint(fields=["assignment", "instrument_id"], name="assignment_questionnaire_unique"),
            models.CheckConstraint(condition=Q(every_weeks__isnull=True) | Q(every_weeks__gte=1, every_weeks__lte=52),
                                   name="assignment_questionnaire_every_1_52"),
            models.CheckConstraint(condition=Q(source__in=["protocol", "therapist"]),
                                   name="assignment_questionnaire_source_valid"),
        ]


class QuestionnaireResponse(models.Model):
    """One patient's answers to one instrument for one occasion (its due date).

    One row per patient, instrument and occasion: the draft the phone saves
    answer by answer is the row that is later submitted, so a repeated submit
    finds it submitted and changes nothing. The scores are stored as computed
    at submission with the instrument's version and never recomputed.
    """

    TENANT_CLINIC_LOOKUP = "patient__clinic"
    TENANT_PATIENT_LOOKUP = "patient"

    class Status(models.TextChoices):
        DRAFT = "draft", _("Being answered")
        SUBMITTED = "submitted", _("Submitted")

    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="questionnaire_responses")
    assignment = models.ForeignKey("patients.Assignment", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="questionnaire_responses")
    instrument_id = models.CharField(_("questionnaire"), max_length=40)
    instrument_version = models.CharField(_("questionnaire version"), max_length=20)
    due_date = models.DateField(_("due on"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    answers = models.JSONField(_("answers by item"), default=dict, blank=True)
    # PSFS: the activities the patient named (asked about again, in the same order, on later occasions).
    activities = models.JSONField(_("activities"), default=list, blank=True)
    scores = models.JSONField(_("scores"), default=dict, blank=True)
    primary_score = models.DecimalField(_("score"), max_digits=6, decimal_places=1, null=True, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    answered_on = models.DateField(_("answered on (clinic day)"), null=True, blank=True)

    class Meta:
        ordering = ["-due_date", "-id"]
        verbose_name = _("questionnaire response")
        verbose_name_plural = _("questionnaire responses")
        constraints = [
            models.UniqueConstraint(fields=["patient", "instrument_id", "due_date"],
                                    name="questionnaire_response_one_per_occasion"),
            models.CheckConstraint(condition=Q(status__in=["draft", "submitted"]),
                                   name="questionnaire_response_status_valid"),
            models.CheckConstraint(condition=Q(status="draft") | Q(submitted_at__isnull=False),
                                   name="questionnaire_response_submitted_has_time"),
        ]
        indexes = [models.Index(fields=["patient", "instrument_id", "status"])]

    def __str__(self) -> str:
        return f"{self.instrument_id} for patient #{self.patient_id} due {self.due_date}"
