"""Patients, their assignments (protocol snapshots), step versions, logs and flags."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from clinic.fields import capped_text_field
from clinic.validators import validate_single_line
from protocols.doses import dose_in_words
from protocols.models import (
    LADDER_KINDS,
    Condition,
    Effusion,
    ExerciseKind,
    LadderStepBase,
    PhaseEntryCriteria,
    duration_field,
    incline_field,
    load_constraints,
    speed_field,
)
from protocols.wording import format_date, format_level

# Free text a person types, capped once: the models, forms, serializers and services all use these.
NOTE_MAX_LENGTH = 2000  # a patient's note on a session, a therapist's note on a flag
REASON_MAX_LENGTH = 500  # why a therapist changed a step or a phase (shown in the step history)

NPRS = [MinValueValidator(0), MaxValueValidator(10)]
SETS_MAX, REPS_MAX, HOLD_MAX = 20, 100, 600
# A patient may correct or delete their own session for this long after logging it.
CORRECTION_WINDOW = dt.timedelta(hours=24)


def nprs_check(field: str, name: str, nullable: bool = False) -> models.CheckConstraint:
    check = Q(**{f"{field}__gte": 0, f"{field}__lte": 10})
    if nullable:
        check |= Q(**{f"{field}__isnull": True})
    return models.CheckConstraint(condition=check, name=name)


class Side(models.TextChoices):
    LEFT = "left", _("Left")
    RIGHT = "right", _("Right")
    BOTH = "both", _("Both")


class Patient(models.Model):
    TENANT_CLINIC_LOOKUP = "clinic"
    TENANT_PATIENT_LOOKUP = "pk"

    clinic = models.ForeignKey("clinic.Clinic", on_delete=models.PROTECT, related_name="patients")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="patient_profile"
    )
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="patients"
    )
    # Names and the reference reach e-mail subjects and exports: one line each.
    first_name = models.CharField(_("first name"), max_length=80, validators=[validate_single_line])
    last_name = models.CharField(_("last name"), max_length=80, validators=[validate_single_line])
    email = models.EmailField(_("e-mail"), blank=True)
    external_ref = models.CharField(_("external reference"), max_length=64, blank=True,
                                    validators=[validate_single_line])
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    condition = models.CharField(_("condition"), max_length=8, choices=Condition.choices)
    side = models.CharField(_("affected side"), max_length=8, choices=Side.choices)
    surgery_date = models.DateField(_("surgery date"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        verbose_name = _("patient")
        verbose_name_plural = _("patients")
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "external_ref"], condition=~Q(external_ref=""), name="patient_clinic_ref_unique"
            ),
            models.CheckConstraint(condition=Q(condition__in=["pfp", "acl"]), name="patient_condition_valid"),
            models.CheckConstraint(condition=Q(side__in=["left", "right", "both"]), name="patient_side_valid"),
            # The engine needs a surgery date for ACL-R; refuse the row rather than fail later.
            models.CheckConstraint(
                condition=~Q(condition="acl") | Q(surgery_date__isnull=False), name="patient_acl_needs_surgery_date"
            ),
        ]
        indexes = [models.Index(fields=["clinic", "therapist"])]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Assignment(models.Model):
    """A protocol given to a patient, frozen as a snapshot of phases, exercises and ladders."""

    TENANT_CLINIC_LOOKUP = "patient__clinic"
    TENANT_PATIENT_LOOKUP = "patient"

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
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


# Every field of a session that says what was done; a session keeps those its exercise logs, the others empty.
SESSION_DOSE_FIELDS = ("duration_min", "speed_kmh", "incline_pct", "sets", "reps", "hold_seconds")


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


class SessionLog(models.Model):
    """One training session the patient logged. client_uuid makes retries and replays harmless."""

    TENANT_CLINIC_LOOKUP = "patient__clinic"
    TENANT_PATIENT_LOOKUP = "patient"

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="sessions")
    exercise = models.ForeignKey(AssignedExercise, on_delete=models.CASCADE, related_name="sessions")
    date = models.DateField(_("date"))
    step = models.PositiveSmallIntegerField(_("step at the time"), null=True, blank=True)
    completed = models.BooleanField(_("completed"), default=True)
    # What was done: minutes (and speed and incline on a treadmill), or sets of reps or holds.
    duration_min = duration_field(_("duration (min)"), null=True, blank=True)
    speed_kmh = speed_field(_("speed (km/h)"), null=True, blank=True)
    incline_pct = incline_field(_("incline (%)"), null=True, blank=True)
    sets = models.PositiveSmallIntegerField(_("sets done"), null=True, blank=True,
                                            validators=[MinValueValidator(1), MaxValueValidator(SETS_MAX)])
    reps = models.PositiveSmallIntegerField(_("reps per set"), null=True, blank=True,
                                            validators=[MinValueValidator(1), MaxValueValidator(REPS_MAX)])
    hold_seconds = models.PositiveSmallIntegerField(_("hold (seconds)"), null=True, blank=True,
                                                    validators=[MinValueValidator(1), MaxValueValidator(HOLD_MAX)])
    pain_during = models.PositiveSmallIntegerField(_("worst pain during (0–10)"), validators=NPRS)
    pain_after = models.PositiveSmallIntegerField(_("pain right after (0–10)"), validators=NPRS)
    rpe = models.PositiveSmallIntegerField(_("effort (Borg CR10)"), null=True, blank=True, validators=NPRS)
    notes = capped_text_field(_("notes"), max_length=NOTE_MAX_LENGTH, blank=True)
    client_uuid = models.UUIDField(_("client id"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-created_at", "-id"]
        verbose_name = _("session log")
        verbose_name_plural = _("session logs")
        constraints = [
            models.UniqueConstraint(fields=["patient", "client_uuid"], name="session_patient_uuid_unique"),
            nprs_check("pain_during", "session_pain_during_0_10"),
            nprs_check("pain_after", "session_pain_after_0_10"),
            nprs_check("rpe", "session_rpe_0_10", nullable=True),
            *load_constraints("session", "speed_kmh", "incline_pct", "duration_min", True),
            *[
                models.CheckConstraint(condition=Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__gte": 1,
                                                                                     f"{name}__lte": high}),
                                       name=f"session_{name}_1_{high}")
                for name, high in (("sets", SETS_MAX), ("reps", REPS_MAX), ("hold_seconds", HOLD_MAX))
            ],
            # A session records what was done: minutes, or sets.
            models.CheckConstraint(condition=Q(duration_min__isnull=False) | Q(sets__isnull=False),
                                   name="session_minutes_or_sets"),
        ]
        indexes = [
            models.Index(fields=["exercise", "date"]),
            models.Index(fields=["patient", "date"]),
        ]

    def __str__(self) -> str:
        return f"Session #{self.pk} on {self.date}"

    @property
    def load_in_words(self) -> str:
        """What was done, in words, as every page writes a dose (`protocols.doses`)."""
        return dose_in_words(self.exercise.kind, sets=self.sets, reps=self.reps, hold_seconds=self.hold_seconds,
                             duration_min=self.duration_min, speed_kmh=self.speed_kmh, incline_pct=self.incline_pct)

    def correctable_until(self):
        """Until when the patient may correct or delete this entry themselves."""
        return self.created_at + CORRECTION_WINDOW


class MorningCheckIn(models.Model):
    """Next-morning knee pain, one per patient and day."""

    TENANT_CLINIC_LOOKUP = "patient__clinic"
    TENANT_PATIENT_LOOKUP = "patient"

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="checkins")
    date = models.DateField(_("date"))
    pain = models.PositiveSmallIntegerField(_("morning pain (0–10)"), validators=NPRS)
    client_uuid = models.UUIDField(_("client id"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-date"]
        verbose_name = _("morning check-in")
        verbose_name_plural = _("morning check-ins")
        constraints = [
            models.UniqueConstraint(fields=["patient", "date"], name="checkin_patient_date_unique"),
            models.UniqueConstraint(fields=["patient", "client_uuid"], name="checkin_patient_uuid_unique"),
            nprs_check("pain", "checkin_pain_0_10"),
        ]

    def __str__(self) -> str:
        return f"Check-in #{self.pk} on {self.date}"


class Measurement(models.Model):
    """Clinic measurements entered by a therapist. Unknown values stay empty."""

    TENANT_CLINIC_LOOKUP = "patient__clinic"
    TENANT_PATIENT_LOOKUP = "patient"

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="measurements")
    date = models.DateField(_("date"))
    effusion = models.CharField(_("effusion (stroke test)"), max_length=8, choices=Effusion.choices, blank=True)
    quad_lsi_pct = models.DecimalField(
        _("quadriceps LSI (%)"), max_digits=5, decimal_places=1, null=True, blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(200)],
    )
    hop_lsi_pct = models.DecimalField(
        _("hop LSI (%)"), max_digits=5, decimal_places=1, null=True, blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(200)],
    )
    rom_pct = models.DecimalField(
        _("range of motion (% of other side)"), max_digits=5, decimal_places=1, null=True, blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(200)],
    )
    running_signoff = models.BooleanField(_("running signed off"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-created_at"]
        verbose_name = _("measurement")
        verbose_name_plural = _("measurements")
        constraints = [
            models.CheckConstraint(
                condition=Q(effusion__in=["", "0", "trace", "1+", "2+", "3+"]), name="measurement_effusion_valid"
            ),
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{f}__isnull": True}) | Q(**{f"{f}__gte": 0, f"{f}__lte": 200}),
                    name=f"measurement_{f}_0_200",
                )
                for f in ("quad_lsi_pct", "hop_lsi_pct", "rom_pct")
            ],
        ]

    def __str__(self) -> str:
        return f"Measurement #{self.pk} on {self.date}"


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
    # flag resolved for one basis is not raised again for the same basis.
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
    def is_unresolved(self) -> bool:
        return self.status != self.Status.RESOLVED


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


class Invitation(models.Model):
    """A one-time link that lets a patient set a password and sign in. Only a hash of the token is kept."""

    TENANT_CLINIC_LOOKUP = "patient__clinic"

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="invitations")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"Invitation for patient #{self.patient_id}"


class PatientPageVisit(models.Model):
    """When a staff member last opened a patient's page: what the patient logged after it is "new" to them.

    One row per staff member and patient, moved forward on every visit, so
    "new" means the same on the patient page, in the inbox and in the evidence
    behind a flag: logged since *you* last opened this patient's page.
    """

    TENANT_CLINIC_LOOKUP = "patient__clinic"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="page_visits")
    visited_at = models.DateTimeField(_("last opened at"))

    class Meta:
        ordering = ["-visited_at"]
        verbose_name = _("patient page visit")
        verbose_name_plural = _("patient page visits")
        constraints = [models.UniqueConstraint(fields=["user", "patient"], name="patient_page_visit_unique")]

    def __str__(self) -> str:
        return f"User #{self.user_id} opened patient #{self.patient_id} at {self.visited_at}"
