"""Assignments: a protocol frozen as the patient's plan, and the dated versions of its step and phase."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from patients.models.base import NPRS, nprs_check
from patients.models.people import Patient
from patients.reason_messages import shown_reason
from protocols.models import LADDER_KINDS, Condition, ExerciseKind, LadderStepBase, PhaseEntryCriteria, duration_field
from protocols.wording import format_date, format_level


class Assignment(models.Model):
    """A protocol given to a patient, frozen as a snapshot of phases, exercises and ladders."""

    TENANT_CLINIC_LOOKUP = "patient__clinic"
    TENANT_PATIENT_LOOKUP = "patient"

    class Status(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("plan status", "Active")
        COMPLETED = "completed", _("Completed")
        STOPPED = "stopped", _("Stopped")

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="assignments")
    protocol = models.ForeignKey(
        "protocols.Protocol", null=True, blank=True, on_delete=models.SET_NULL, related_name="assignments",
        help_text=_("Where the snapshot came from; later edits to it do not change this assignment."),
    )
    protocol_name = models.CharField(_("protocol"), max_length=160)
    condition = models.CharField(_("condition"), max_length=8, choices=Condition.choices)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    sessions_per_week = models.PositiveSmallIntegerField(
        _("planned training days per week"), validators=[MinValueValidator(1), MaxValueValidator(14)]
    )
    baseline_pain = models.PositiveSmallIntegerField(_("baseline morning pain (0–10)"), validators=NPRS)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Ending the plan sets it (FHIR CarePlan meta.lastUpdated; level and phase changes are their versions' times).
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-start_date", "-id"]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["patient"], condition=Q(status="active"), name="assignment_one_active_per_patient"
            ),
            models.CheckConstraint(
                condition=Q(sessions_per_week__gte=1, sessions_per_week__lte=14), name="assignment_sessions_1_14"
            ),
            nprs_check("baseline_pain", "assignment_baseline_pain_0_10"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="assignment_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["active", "completed", "stopped"]), name="assignment_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.protocol_name} for patient #{self.patient_id} from {self.start_date}"


class AssignedPhase(PhaseEntryCriteria):
    """A snapshot of one phase of the protocol, with its entry criteria."""

    TENANT_CLINIC_LOOKUP = "assignment__patient__clinic"
    TENANT_PATIENT_LOOKUP = "assignment__patient"

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="phases")
    order = models.PositiveSmallIntegerField(_("order"))
    name = models.CharField(_("name"), max_length=120)
    goals = models.TextField(_("goals"), blank=True)
    entry_criteria = models.TextField(_("entry criteria"), blank=True)
    expected_weeks = models.PositiveSmallIntegerField(_("expected weeks"), default=2)

    class Meta:
        ordering = ["assignment", "order"]
        verbose_name = _("assigned phase")
        verbose_name_plural = _("assigned phases")
        constraints = [
            models.UniqueConstraint(fields=["assignment", "order"], name="assigned_phase_order_unique"),
        ]

    def __str__(self) -> str:
        return f"Phase {self.order + 1}: {self.name}"


class AssignedExercise(models.Model):
    """A snapshot of one prescribed exercise, with its own copy of the ladder.

    `current_step` mirrors the newest StepVersion; only the step services change
    it, in the same transaction as the version row, so lists can show the
    current step without reading the whole history.
    """

    TENANT_CLINIC_LOOKUP = "assignment__patient__clinic"
    TENANT_PATIENT_LOOKUP = "assignment__patient"

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="exercises")
    phase = models.ForeignKey(AssignedPhase, on_delete=models.CASCADE, related_name="exercises")
    template = models.ForeignKey(
        "protocols.ExerciseTemplate", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    order = models.PositiveSmallIntegerField(_("order"))
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=32, choices=ExerciseKind.choices)
    frequency_per_week = models.PositiveSmallIntegerField(
        _("times per week"), validators=[MinValueValidator(1), MaxValueValidator(14)]
    )
    sets = models.PositiveSmallIntegerField(_("sets"), null=True, blank=True)
    reps = models.PositiveSmallIntegerField(_("reps"), null=True, blank=True)
    hold_seconds = models.PositiveSmallIntegerField(_("hold (seconds)"), null=True, blank=True)
    duration_min = duration_field(_("duration (min)"), null=True, blank=True)
    instructions = models.TextField(_("patient instructions"), blank=True)
    safety_notes = models.TextField(_("safety notes"), blank=True)
    notes = models.TextField(_("notes for the patient"), blank=True)
    current_step = models.PositiveSmallIntegerField(_("current step"), null=True, blank=True)
    # The checks' safety bookkeeping: when the newest evidence on which a regression (R1, R3) was already
    # decided had been recorded. A regression applies once per piece of evidence, and a step change
    # made since (such as an approved progression) never cancels it.
    regress_decided_through = models.DateTimeField(_("regression decided on evidence recorded up to"), null=True,
                                                   blank=True, editable=False)

    class Meta:
        ordering = ["assignment", "phase__order", "order"]
        verbose_name = _("assigned exercise")
        verbose_name_plural = _("assigned exercises")
        constraints = [
            models.UniqueConstraint(fields=["phase", "order"], name="assigned_exercise_order_unique"),
            models.CheckConstraint(
                condition=Q(frequency_per_week__gte=1, frequency_per_week__lte=14),
                name="assigned_exercise_frequency_1_14",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (assignment #{self.assignment_id})"

    @property
    def has_ladder(self) -> bool:
        return self.kind in LADDER_KINDS

    @property
    def logs_sets(self) -> bool:
        """Logged as sets of reps or holds (strength, balance, step-ups, sled drags), not as minutes."""
        return not self.has_ladder and bool(self.sets or self.reps or self.hold_seconds)

    @property
    def logged_fields(self) -> tuple[str, ...]:
        """What a session of this exercise records as done, each required: one rule for the form and the services."""
        if self.has_ladder:
            return ("duration_min", "speed_kmh", "incline_pct")
        if not self.logs_sets:
            return ("duration_min",)
        return ("sets", *(("reps",) if self.reps else ()), *(("hold_seconds",) if self.hold_seconds else ()))


class AssignedLadderStep(LadderStepBase):
    TENANT_CLINIC_LOOKUP = "exercise__assignment__patient__clinic"
    TENANT_PATIENT_LOOKUP = "exercise__assignment__patient"

    exercise = models.ForeignKey(AssignedExercise, on_delete=models.CASCADE, related_name="ladder_steps")

    class Meta(LadderStepBase.Meta):
        verbose_name = _("assigned ladder step")
        verbose_name_plural = _("assigned ladder steps")
        constraints = LadderStepBase.constraints_named("assigned_ladder", "assigned_ladder_order_unique")


class ChangeSource(models.TextChoices):
    INITIAL = "initial", _("Assignment")
    THERAPIST = "therapist", _("Therapist")
    ENGINE = "engine", _("Progression engine")


class StepVersion(models.Model):
    """A dated change of the current ladder step. Never updated: a change is a new row."""

    TENANT_CLINIC_LOOKUP = "exercise__assignment__patient__clinic"
    TENANT_PATIENT_LOOKUP = "exercise__assignment__patient"

    exercise = models.ForeignKey(AssignedExercise, on_delete=models.CASCADE, related_name="step_versions")
    step = models.PositiveSmallIntegerField(_("step"))
    effective_date = models.DateField(_("effective from"))
    source = models.CharField(_("changed by"), max_length=12, choices=ChangeSource.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rules = models.JSONField(_("rules"), default=list, blank=True)
    reason = models.TextField(_("reason"))
    # The reason's message when Backstep wrote it (the engine, an approval); None when a person typed it.
    reason_message = models.JSONField(_("reason message"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["exercise", "-created_at", "-id"]
        get_latest_by = ["created_at", "id"]
        verbose_name = _("step version")
        verbose_name_plural = _("step versions")
        constraints = [
            models.CheckConstraint(
                condition=Q(source__in=["initial", "therapist", "engine"]), name="step_version_source_valid"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="step_version_reason_required"),
        ]
        indexes = [models.Index(fields=["exercise", "-created_at"])]

    def __str__(self) -> str:
        level = format_level(self.step).capitalize()
        return f"{level} from {format_date(self.effective_date)} ({self.get_source_display()})"

    @property
    def shown_reason(self) -> str:
        """The reason in the active language when Backstep wrote it; as typed otherwise."""
        return shown_reason(self.reason, self.reason_message)


class PhaseVersion(models.Model):
    """A dated change of an assignment's current phase; never updated."""

    TENANT_CLINIC_LOOKUP = "assignment__patient__clinic"
    TENANT_PATIENT_LOOKUP = "assignment__patient"

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="phase_versions")
    phase = models.ForeignKey(AssignedPhase, on_delete=models.CASCADE, related_name="+")
    effective_date = models.DateField(_("effective from"))
    source = models.CharField(_("changed by"), max_length=12, choices=ChangeSource.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(_("reason"))
    # The new phase's entry criteria that were not met when the therapist went ahead anyway, in words.
    unmet_criteria = models.JSONField(_("entry criteria not met"), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["assignment", "-created_at", "-id"]
        get_latest_by = ["created_at", "id"]
        verbose_name = _("phase version")
        verbose_name_plural = _("phase versions")
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="phase_version_reason_required"),
        ]

    def __str__(self) -> str:
        return f"Phase #{self.phase_id} from {self.effective_date}"
