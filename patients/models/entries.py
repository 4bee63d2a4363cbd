"""What patients and therapists record: sessions, next-morning check-ins, clinic measurements."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clinic.fields import capped_text_field
from patients.models.base import NOTE_MAX_LENGTH, NPRS, nprs_check
from patients.models.people import Patient
from patients.models.plans import AssignedExercise
from protocols.doses import dose_in_words
from protocols.models import Effusion, duration_field, incline_field, load_constraints, speed_field

SETS_MAX, REPS_MAX, HOLD_MAX = 20, 100, 600
# A patient may correct or delete their own session for this long after logging it.
CORRECTION_WINDOW = dt.timedelta(hours=24)
# Every field of a session that says what was done; a session keeps those its exercise logs, the others empty.
SESSION_DOSE_FIELDS = ("duration_min", "speed_kmh", "incline_pct", "sets", "reps", "hold_seconds")


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
    # Set again by the 24-hour correction (FHIR _lastUpdated, Bulk _since). Indexed: the largest
    # table, and an incremental export asks for the few rows changed since its last run.
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

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
            # Covering: the adherence report's weekly counts (completed days, pain during) and the newest
            # session per plan are index-only scans of the window's rows, however many years precede it
            # (issue 21; plans in docs/performance-years.md). Without INCLUDE (SQLite) it is (exercise, date).
            models.Index(fields=["exercise", "date"], include=["completed", "pain_during"],
                         name="session_exercise_date_cover"),
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

    # No index of its own: the unique (patient, date) and (patient, client_uuid) indexes start with it, and
    # with a third the planner read a patient's check-ins of every year to keep a date range (issue 21).
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="checkins", db_index=False)
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
    updated_at = models.DateTimeField(auto_now=True)  # FHIR meta.lastUpdated, _lastUpdated, Bulk _since

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
