"""Exercise templates, protocols, phases, prescribed exercises and load ladders.

Rows with no clinic are Backstep's built-in library: readable by every clinic,
changed only by `manage.py load_library`. Clinics clone them to edit.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from clinic.fields import capped_text_field
from protocols.wording import format_level

SPEED_MAX = Decimal("20")
INCLINE_MAX = Decimal("40")
DURATION_MIN, DURATION_MAX = 1, 180
# The cap on every free text of the library and the protocol builder (instructions, safety notes,
# descriptions, goals, entry criteria, notes): several times the longest built-in text (about 600).
PROTOCOL_TEXT_MAX_LENGTH = 4000


class Condition(models.TextChoices):
    PFP = "pfp", _("Patellofemoral pain")
    ACL = "acl", _("After ACL reconstruction")


class ExerciseKind(models.TextChoices):
    RETRO_TREADMILL_WALK = "retro_treadmill_walk", _("Retro treadmill walk")
    RETRO_TREADMILL_RUN = "retro_treadmill_run", _("Retro treadmill run")
    RETRO_STAIRS = "retro_stairs", _("Retro stairs / step-up")
    SLED_DRAG = "sled_drag", _("Backward sled drag")
    RETRO_FLAT_WALK = "retro_flat_walk", _("Retro walk on flat ground")
    STRENGTH = "strength", _("Strength")
    BALANCE = "balance", _("Balance")


# Kinds that carry a speed/incline/duration load ladder and go through the
# progression engine.
LADDER_KINDS = frozenset({ExerciseKind.RETRO_TREADMILL_WALK, ExerciseKind.RETRO_TREADMILL_RUN})


def speed_field(verbose, **kw):
    return models.DecimalField(
        verbose,
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(SPEED_MAX)],
        **kw,
    )


def incline_field(verbose, **kw):
    return models.DecimalField(
        verbose,
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(INCLINE_MAX)],
        **kw,
    )


def duration_field(verbose, **kw):
    return models.PositiveSmallIntegerField(
        verbose, validators=[MinValueValidator(DURATION_MIN), MaxValueValidator(DURATION_MAX)], **kw
    )


def load_constraints(prefix: str, speed: str, incline: str, duration: str, nullable: bool) -> list:
    """Database checks shared by every row that holds a treadmill load."""

    def bounded(field, low, high):
        check = Q(**{f"{field}__gte": low, f"{field}__lte": high})
        return check | Q(**{f"{field}__isnull": True}) if nullable else check

    return [
        models.CheckConstraint(condition=bounded(speed, 0, 20), name=f"{prefix}_speed_0_20"),
        models.CheckConstraint(condition=bounded(incline, 0, 40), name=f"{prefix}_incline_0_40"),
        models.CheckConstraint(condition=bounded(duration, DURATION_MIN, DURATION_MAX),
                               name=f"{prefix}_duration_1_180"),
    ]


def describe_load(speed_kmh, incline_pct, duration_min) -> str:
    """A ladder step in words, as therapists write it: "2.5 km/h · 5 % · 20 min" ("2,5 km/h" in German, Spanish)."""

    def num(value) -> str:
        value = Decimal(value).normalize()
        return f"{value:f}".replace(".", formats.get_format("DECIMAL_SEPARATOR"))

    return f"{num(speed_kmh)} km/h · {num(incline_pct)} % · {duration_min} min"


class ExerciseTemplateQuerySet(models.QuerySet):
    def builtin(self):
        return self.filter(clinic__isnull=True)


class ExerciseTemplate(models.Model):
    """A reusable exercise: its defaults, ladder step sizes and caps, and what the patient reads."""

    TENANT_CLINIC_LOOKUP = "clinic"
    TENANT_SHARED_WHEN_NO_CLINIC = True

    clinic = models.ForeignKey(
        "clinic.Clinic", null=True, blank=True, on_delete=models.CASCADE, related_name="exercise_templates",
        help_text=_("Empty for Backstep's built-in library."),
    )
    slug = models.SlugField(_("slug"), max_length=80)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=32, choices=ExerciseKind.choices)
    # Treadmill load: defaults for the first ladder step, step sizes and caps.
    default_speed_kmh = speed_field(_("start speed (km/h)"), null=True, blank=True)
    default_incline_pct = incline_field(_("start incline (%)"), null=True, blank=True)
    default_duration_min = duration_field(_("start duration (min)"), null=True, blank=True)
    speed_step_kmh = speed_field(_("speed step (km/h)"), null=True, blank=True)
    incline_step_pct = incline_field(_("incline step (%)"), null=True, blank=True)
    duration_step_min = duration_field(_("duration step (min)"), null=True, blank=True)
    max_speed_kmh = speed_field(_("speed cap (km/h)"), null=True, blank=True)
    max_incline_pct = incline_field(_("incline cap (%)"), null=True, blank=True)
    max_duration_min = duration_field(_("duration cap (min)"), null=True, blank=True)
    handrail = models.CharField(
        _("handrail use"),
        max_length=20,
        blank=True,
        choices=[("light", _("Hold lightly")), ("none", _("No handrail")), ("firm", _("Hold firmly"))],
    )
    # Other exercises: sets, reps and holds.
    default_sets = models.PositiveSmallIntegerField(_("sets"), null=True, blank=True)
    default_reps = models.PositiveSmallIntegerField(_("reps"), null=True, blank=True)
    default_hold_seconds = models.PositiveSmallIntegerField(_("hold (seconds)"), null=True, blank=True)
    instructions = capped_text_field(_("patient instructions"), max_length=PROTOCOL_TEXT_MAX_LENGTH)
    safety_notes = capped_text_field(_("safety notes"), max_length=PROTOCOL_TEXT_MAX_LENGTH, blank=True)
    cloned_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ExerciseTemplateQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("exercise template")
        verbose_name_plural = _("exercise templates")
        constraints = [
            models.UniqueConstraint(fields=["clinic", "slug"], name="template_clinic_slug_unique"),
            models.UniqueConstraint(
                fields=["slug"], condition=Q(clinic__isnull=True), name="template_builtin_slug_unique"
            ),
            *load_constraints("template", "default_speed_kmh", "default_incline_pct", "default_duration_min", True),
        ]

    def __str__(self) -> str:
        return self.name if self.clinic_id else f"{self.name} (built-in)"

    @property
    def is_builtin(self) -> bool:
        return self.clinic_id is None

    @property
    def has_ladder(self) -> bool:
        return self.kind in LADDER_KINDS


class Protocol(models.Model):
    """A rehab programme for a condition, made of phases of prescribed exercises."""

    TENANT_CLINIC_LOOKUP = "clinic"
    TENANT_SHARED_WHEN_NO_CLINIC = True

    clinic = models.ForeignKey(
        "clinic.Clinic", null=True, blank=True, on_delete=models.CASCADE, related_name="protocols",
        help_text=_("Empty for Backstep's built-in protocol templates."),
    )
    slug = models.SlugField(_("slug"), max_length=80)
    name = models.CharField(_("name"), max_length=160)
    condition = models.CharField(_("condition"), max_length=8, choices=Condition.choices)
    description = capped_text_field(_("description"), max_length=PROTOCOL_TEXT_MAX_LENGTH, blank=True)
    sessions_per_week = models.PositiveSmallIntegerField(
        _("planned training days per week"), default=3, validators=[MinValueValidator(1), MaxValueValidator(14)]
    )
    cloned_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="clones")
    is_archived = models.BooleanField(_("archived"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("protocol")
        verbose_name_plural = _("protocols")
        constraints = [
            models.UniqueConstraint(fields=["clinic", "slug"], name="protocol_clinic_slug_unique"),
            models.UniqueConstraint(
                fields=["slug"], condition=Q(clinic__isnull=True), name="protocol_builtin_slug_unique"
            ),
            models.CheckConstraint(condition=Q(condition__in=["pfp", "acl"]), name="protocol_condition_valid"),
            models.CheckConstraint(
                condition=Q(sessions_per_week__gte=1, sessions_per_week__lte=14), name="protocol_sessions_1_14"
            ),
        ]

    def __str__(self) -> str:
        return self.name if self.clinic_id else f"{self.name} (built-in)"

    @property
    def is_builtin(self) -> bool:
        return self.clinic_id is None


class Effusion(models.TextChoices):
    """Stroke-test grades (Sturgill et al. 2009), in order."""

    ZERO = "0", _("0 (none)")
    TRACE = "trace", _("Trace")
    ONE = "1+", _("1+")
    TWO = "2+", _("2+")
    THREE = "3+", _("3+")


LSI_VALIDATORS = [MinValueValidator(0), MaxValueValidator(200)]


class PhaseEntryCriteria(models.Model):
    """What a patient should show before a phase starts, in a form the phase-change page can check.

    Each field is optional (empty: not a criterion). They are read against the
    latest clinic measurement and the surgery date (`protocols.phase_criteria`);
    `entry_criteria` keeps the rest in words.
    """

    min_weeks_since_surgery = models.PositiveSmallIntegerField(
        _("at least weeks since surgery"), null=True, blank=True, validators=[MaxValueValidator(104)])
    min_quad_lsi_pct = models.DecimalField(_("quadriceps LSI at least (%)"), max_digits=4, decimal_places=1,
                                           null=True, blank=True, validators=LSI_VALIDATORS)
    min_hop_lsi_pct = models.DecimalField(_("hop LSI at least (%)"), max_digits=4, decimal_places=1,
                                          null=True, blank=True, validators=LSI_VALIDATORS)
    min_rom_pct = models.DecimalField(_("range of motion at least (% of other side)"), max_digits=4,
                                      decimal_places=1, null=True, blank=True, validators=LSI_VALIDATORS)
    max_effusion = models.CharField(_("effusion at most (stroke test)"), max_length=8, blank=True,
                                    choices=Effusion.choices)
    requires_running_signoff = models.BooleanField(_("therapist's running sign-off"), default=False)

    class Meta:
        abstract = True


# Copied from a protocol's phase into an assignment's phase, and compared by the library installer.
PHASE_CRITERIA_FIELDS = ("min_weeks_since_surgery", "min_quad_lsi_pct", "min_hop_lsi_pct", "min_rom_pct",
                         "max_effusion", "requires_running_signoff")


class Phase(PhaseEntryCriteria):
    TENANT_CLINIC_LOOKUP = "protocol__clinic"
    TENANT_SHARED_WHEN_NO_CLINIC = True

    protocol = models.ForeignKey(Protocol, on_delete=models.CASCADE, related_name="phases")
    order = models.PositiveSmallIntegerField(_("order"))
    name = models.CharField(_("name"), max_length=120)
    goals = capped_text_field(_("goals"), max_length=PROTOCOL_TEXT_MAX_LENGTH, blank=True)
    entry_criteria = capped_text_field(_("entry criteria"), max_length=PROTOCOL_TEXT_MAX_LENGTH, blank=True)
    expected_weeks = models.PositiveSmallIntegerField(
        _("expected weeks"), default=2, validators=[MinValueValidator(1), MaxValueValidator(52)]
    )

    class Meta:
        ordering = ["protocol", "order"]
        verbose_name = _("phase")
        verbose_name_plural = _("phases")
        constraints = [models.UniqueConstraint(fields=["protocol", "order"], name="phase_protocol_order_unique")]

    def __str__(self) -> str:
        return f"{self.protocol} — phase {self.order + 1}: {self.name}"


class PrescribedExercise(models.Model):
    """One exercise in a phase: how often, and sets/reps or a load ladder."""

    TENANT_CLINIC_LOOKUP = "phase__protocol__clinic"
    TENANT_SHARED_WHEN_NO_CLINIC = True

    phase = models.ForeignKey(Phase, on_delete=models.CASCADE, related_name="exercises")
    template = models.ForeignKey(ExerciseTemplate, on_delete=models.PROTECT, related_name="prescriptions")
    order = models.PositiveSmallIntegerField(_("order"))
    frequency_per_week = models.PositiveSmallIntegerField(
        _("times per week"), default=3, validators=[MinValueValidator(1), MaxValueValidator(14)]
    )
    sets = models.PositiveSmallIntegerField(_("sets"), null=True, blank=True)
    reps = models.PositiveSmallIntegerField(_("reps"), null=True, blank=True)
    hold_seconds = models.PositiveSmallIntegerField(_("hold (seconds)"), null=True, blank=True)
    duration_min = duration_field(_("duration (min)"), null=True, blank=True)
    notes = capped_text_field(_("notes for the patient"), max_length=PROTOCOL_TEXT_MAX_LENGTH, blank=True)

    class Meta:
        ordering = ["phase", "order"]
        verbose_name = _("prescribed exercise")
        verbose_name_plural = _("prescribed exercises")
        constraints = [
            models.UniqueConstraint(fields=["phase", "order"], name="prescribed_phase_order_unique"),
            models.CheckConstraint(
                condition=Q(frequency_per_week__gte=1, frequency_per_week__lte=14), name="prescribed_frequency_1_14"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template.name} ({self.frequency_per_week}×/week)"


class LadderStepBase(models.Model):
    """One rung of a load ladder; order 0 is the easiest.

    The one definition of a ladder step: a protocol's `LadderStep` and a
    patient's snapshot (`patients.models.AssignedLadderStep`) add only their
    `exercise` and their constraint names.
    """

    order = models.PositiveSmallIntegerField(_("order"))
    speed_kmh = speed_field(_("speed (km/h)"))
    incline_pct = incline_field(_("incline (%)"))
    duration_min = duration_field(_("duration (min)"))

    class Meta:
        abstract = True
        ordering = ["exercise", "order"]

    def __str__(self) -> str:
        return f"{format_level(self.order).capitalize()}: {self.in_words}"

    @property
    def in_words(self) -> str:
        return describe_load(self.speed_kmh, self.incline_pct, self.duration_min)

    @staticmethod
    def constraints_named(prefix: str, unique_name: str) -> list:
        """A ladder's database checks: one step per order in an exercise, and loads within the field limits."""
        return [
            models.UniqueConstraint(fields=["exercise", "order"], name=unique_name),
            *load_constraints(prefix, "speed_kmh", "incline_pct", "duration_min", False),
        ]


class LadderStep(LadderStepBase):
    TENANT_CLINIC_LOOKUP = "exercise__phase__protocol__clinic"
    TENANT_SHARED_WHEN_NO_CLINIC = True

    exercise = models.ForeignKey(PrescribedExercise, on_delete=models.CASCADE, related_name="ladder_steps")

    class Meta(LadderStepBase.Meta):
        verbose_name = _("ladder step")
        verbose_name_plural = _("ladder steps")
        constraints = LadderStepBase.constraints_named("ladder", "ladder_exercise_order_unique")
