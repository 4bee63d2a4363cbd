"""What the checks leave behind: flags, each day's decision per exercise, nightly sweeps, digests sent."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from patients.models.people import Patient
from patients.models.plans import AssignedExercise
from patients.reason_messages import shown_reasons

# Flags the questionnaires raise (outcomes.outcome_flags), not the progression checks: the checks leave them alone.
OUTCOME_FLAG_KINDS = ("outcome_improved", "outcome_worse")


class Flag(models.Model):
    """Something for the therapist to look at, raised by the checks.

    At most one unresolved (open or acknowledged) flag per exercise and kind:
    the database refuses a second, so a check that runs twice cannot flag the
    same thing twice.
    """

    TENANT_CLINIC_LOOKUP = "patient__clinic"

    class Kind(models.TextChoices):
        PAIN_RED = "pain_red", _("Pain above 5/10")
        EFFUSION = "effusion", _("Knee effusion")
        MORNING_PAIN = "morning_pain", _("Morning pain rise")
        WORSENING_TREND = "worsening_trend", _("Worsening trend")
        GATE_NOT_MET = "gate_not_met", _("Running gate not met")
        NEEDS_OVERRIDE = "needs_override", _("Needs therapist override")
        LADDER_COMPLETE = "ladder_complete", _("Ladder complete")
        LOW_ADHERENCE = "low_adherence", _("Low adherence")
        IMPROVED = "improved", _("Improved")
        PROGRESSION = "progression", _("Progression suggested")
        OUTCOME_IMPROVED = "outcome_improved", _("Questionnaire score improved")
        OUTCOME_WORSE = "outcome_worse", _("Questionnaire score worse")

    class Severity(models.TextChoices):
        INFO = "info", _("Info")
        WARNING = "warning", _("Warning")
        URGENT = "urgent", _("Urgent")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        RESOLVED = "resolved", _("Resolved")

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="flags")
    exercise = models.ForeignKey(AssignedExercise, on_delete=models.CASCADE, related_name="flags")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    status = models.CharField(_("status"), max_length=14, choices=Status.choices, default=Status.OPEN)
    decision = models.CharField(
        _("engine decision"), max_length=10, blank=True,
        choices=[("progress", _("Progress")), ("hold", _("Hold")), ("regress", _("Regress"))],
    )
    suggested_step = models.PositiveSmallIntegerField(_("suggested step"), null=True, blank=True)
    rules = models.JSONField(_("rules"), default=list, blank=True)
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    # Each reason's message ({"id", "params"}, or None for typed text), in the order of `reasons`: pages word
    # them in the reader's language; `reasons` keeps the English text for the API, FHIR and the audit.
    reason_messages = models.JSONField(_("reason messages"), default=list, blank=True)
    evidence = models.JSONField(_("evidence"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The therapist's note (at most NOTE_MAX_LENGTH) after what Backstep adds ("Declined. ", the check's date).
    resolution_note = models.TextField(_("resolution note"), blank=True)
    # What the flag is about (e.g. "session:42" or "version:7:week:2026-W38"): a
    # flag resolved for one basis is not raised again for the same basis. This is
    # the one meaning of "basis" in Backstep (the checks' engine input is a CheckInput).
    basis = models.CharField(_("basis"), max_length=80, blank=True)
    notified_at = models.DateTimeField(_("therapist e-mailed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("flag")
        verbose_name_plural = _("flags")
        constraints = [
            models.UniqueConstraint(
                fields=["exercise", "kind"],
                condition=Q(status__in=["open", "acknowledged"]),
                name="flag_one_unresolved_per_exercise_kind",
            ),
            models.CheckConstraint(
                condition=Q(severity__in=["info", "warning", "urgent"]), name="flag_severity_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "acknowledged", "resolved"]), name="flag_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="resolved") | Q(resolved_at__isnull=False), name="flag_resolved_has_time"
            ),
        ]
        indexes = [
            models.Index(fields=["patient", "status"]),
            models.Index(fields=["status", "severity"]),
            models.Index(fields=["exercise", "kind", "basis"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_severity_display()}) on exercise #{self.exercise_id}"

    @property
    def shown_reasons(self) -> list[str]:
        """The reasons in the active language (rows without messages: their stored text)."""
        return shown_reasons(self.reasons, self.reason_messages)


class ProgressionCheck(models.Model):
    """The engine's decision for one exercise on one day; re-running that day updates the same row."""

    TENANT_CLINIC_LOOKUP = "exercise__assignment__patient__clinic"
    TENANT_PATIENT_LOOKUP = "exercise__assignment__patient"

    exercise = models.ForeignKey(AssignedExercise, on_delete=models.CASCADE, related_name="checks")
    as_of = models.DateField(_("as of"))
    decision = models.CharField(
        _("decision"), max_length=10,
        choices=[("progress", _("Progress")), ("hold", _("Hold")), ("regress", _("Regress"))],
    )
    current_step = models.PositiveSmallIntegerField(_("step checked"))
    next_step = models.PositiveSmallIntegerField(_("next step"))
    rules = models.JSONField(_("rules"), default=list)
    reasons = models.JSONField(_("reasons"), default=list)
    reason_messages = models.JSONField(_("reason messages"), default=list, blank=True)  # as Flag's
    flags = models.JSONField(_("flags"), default=list)
    applied = models.CharField(_("what was done"), max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-as_of", "-id"]
        verbose_name = _("progression check")
        verbose_name_plural = _("progression checks")
        constraints = [
            models.UniqueConstraint(fields=["exercise", "as_of"], name="check_exercise_day_unique"),
            models.CheckConstraint(
                condition=Q(decision__in=["progress", "hold", "regress"]), name="check_decision_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.decision} for exercise #{self.exercise_id} on {self.as_of}"

    @property
    def shown_reasons(self) -> list[str]:
        """The engine's reasons in the active language (rows without messages: their stored English)."""
        return shown_reasons(self.reasons, self.reason_messages)


class SweepRun(models.Model):
    """One nightly sweep of a clinic for one local date, so a missed hour is caught up and none runs twice.

    The row is the claim; `enqueued_at` is set, with the number of assignments,
    only once the broker accepted every batch of checks. A claim whose batches
    were refused is released at once, and one left unfinished (its process
    died) is taken over by a later tick, so a broker failure never costs a
    clinic its night.
    """

    clinic = models.ForeignKey("clinic.Clinic", on_delete=models.CASCADE, related_name="sweeps")
    local_date = models.DateField(_("local date"))
    assignments = models.PositiveIntegerField(_("assignments checked"), default=0,
                                              help_text=_("Active assignments the run sent to the checks."))
    started_at = models.DateTimeField(_("claimed at"), auto_now_add=True)
    enqueued_at = models.DateTimeField(_("checks accepted by the broker at"), null=True, blank=True)

    class Meta:
        ordering = ["-local_date"]
        verbose_name = _("nightly sweep")
        verbose_name_plural = _("nightly sweeps")
        constraints = [models.UniqueConstraint(fields=["clinic", "local_date"], name="sweep_clinic_date_unique")]

    def __str__(self) -> str:
        return f"Sweep of {self.clinic_id} for {self.local_date}"


class DigestLog(models.Model):
    """A daily flag digest e-mailed to one therapist; unique per day so it is sent once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    local_date = models.DateField(_("local date"))
    flag_count = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-local_date"]
        verbose_name = _("flag digest")
        verbose_name_plural = _("flag digests")
        constraints = [models.UniqueConstraint(fields=["user", "local_date"], name="digest_user_date_unique")]

    def __str__(self) -> str:
        return f"Digest for user #{self.user_id} on {self.local_date}"
