"""Remote monitoring: the billing codes as data, episodes of monitoring, management time and running timers."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from clinic.fields import capped_text_field
from monitoring import periods

ACTIVITY_MAX_LENGTH = 500  # what was done, in a management-time entry
ENTRY_MINUTES_MAX = 240  # one entry, by hand or from the timer: four hours
CODE_PATTERN = r"\d{5}"
validate_code = RegexValidator(rf"\A{CODE_PATTERN}\Z", _("A CPT code is five digits, e.g. 98977."))


def code_list(text: str) -> frozenset[str]:
    """"98980, 98981" -> {"98980", "98981"}: the codes an `excludes` field names."""
    return frozenset(re.findall(CODE_PATTERN, text or ""))


def validate_code_list(value: str) -> None:
    if value and not re.fullmatch(rf"\s*{CODE_PATTERN}(\s*[, ]\s*{CODE_PATTERN})*\s*", value):
        raise ValidationError(_("List five-digit codes separated by spaces or commas, e.g. 98980 98981."),
                              code="code_list")


class BillingCode(models.Model):
    """One RTM billing code's rule, in force from `effective_from` to `effective_to` (inclusive).

    The codes and thresholds change every January, so they are rows a site
    administrator edits in Django's admin, never code: add the new year's row
    with its `effective_from` and close the old one with `effective_to`. The
    arithmetic that applies them is `monitoring.periods`; a period or month is
    judged by the rows in force on its date of service.
    """

    class CountedPer(models.TextChoices):
        EPISODE = periods.EPISODE, _("Once per episode (set-up)")
        PERIOD = periods.PERIOD, _("Per 30-day period (days with data)")
        MONTH = periods.MONTH, _("Per calendar month (first block of minutes)")
        MONTH_ADDITIONAL = periods.MONTH_ADDITIONAL, _("Each additional block of minutes in the month")

    code = models.CharField(_("code"), max_length=5, validators=[validate_code])
    description = models.CharField(_("description"), max_length=200)
    counted_per = models.CharField(_("counted"), max_length=20, choices=CountedPer.choices)
    min_days = models.PositiveSmallIntegerField(
        _("days with data, at least"), null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(periods.PERIOD_DAYS)],
        help_text=_("Per 30-day period; for the set-up code, in the first period (empty: no threshold)."))
    max_days = models.PositiveSmallIntegerField(
        _("days with data, at most"), null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(periods.PERIOD_DAYS)])
    min_minutes = models.PositiveSmallIntegerField(
        _("minutes"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(600)],
        help_text=_("Per calendar month: the first block (e.g. 20), or the size of each additional block."))
    requires_interactive = models.BooleanField(
        _("needs an interactive communication"), default=False,
        help_text=_("At least one real-time audio or video contact with the patient in the month."))
    adds_to = models.CharField(_("adds to code"), max_length=5, blank=True, validators=[validate_code],
                               help_text=_("For an additional block: the code it follows (98981 adds to 98980)."))
    excludes = models.CharField(
        _("never billed with"), max_length=100, blank=True, validators=[validate_code_list],
        help_text=_("Codes never reported with this one for the same period or month, e.g. 98980 98981."))
    effective_from = models.DateField(_("in force from"))
    effective_to = models.DateField(_("in force until"), null=True, blank=True,
                                    help_text=_("Inclusive; empty while still in force."))
    source = models.TextField(_("source and notes"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-effective_from", "code"]
        verbose_name = _("RTM billing code")
        verbose_name_plural = _("RTM billing codes")
        constraints = [
            models.UniqueConstraint(fields=["code", "effective_from"], name="billing_code_from_unique"),
            models.CheckConstraint(condition=Q(counted_per__in=[periods.EPISODE, periods.PERIOD, periods.MONTH,
                                                         periods.MONTH_ADDITIONAL]),
                                   name="billing_code_counted_per_valid"),
            models.CheckConstraint(condition=Q(effective_to__isnull=True) | Q(effective_to__gte=F("effective_from")),
                                   name="billing_code_dates_ordered"),
            models.CheckConstraint(condition=Q(min_days__isnull=True) | Q(max_days__isnull=True)
                                   | Q(max_days__gte=F("min_days")), name="billing_code_days_ordered"),
        ]

    def __str__(self) -> str:
        until = self.effective_to.isoformat() if self.effective_to else _("now")
        return f"{self.code} ({self.effective_from.isoformat()} – {until})"

    def clean(self) -> None:
        """What each kind of code needs, and no two rows of one code in force on the same day."""
        errors = {}
        if self.counted_per == self.CountedPer.PERIOD and self.min_days is None:
            errors["min_days"] = _("A per-period code needs its days with data.")
        if self.counted_per in (self.CountedPer.MONTH, self.CountedPer.MONTH_ADDITIONAL) and self.min_minutes is None:
            errors["min_minutes"] = _("A per-month code needs its minutes.")
        if self.counted_per == self.CountedPer.MONTH_ADDITIONAL and not self.adds_to:
            errors["adds_to"] = _("Name the code this block adds to.")
        if self.counted_per != self.CountedPer.MONTH_ADDITIONAL and self.adds_to:
            errors["adds_to"] = _("Only an additional block adds to another code.")
        if self.min_days is not None and self.max_days is not None and self.max_days < self.min_days:
            errors["max_days"] = _("At most cannot be fewer than at least.")
        if self.effective_from and self.effective_to and self.effective_to < self.effective_from:
            errors["effective_to"] = _("The end cannot be before the start.")
        if errors:
            raise ValidationError(errors)
        if self.code and self.effective_from:
            overlapping = BillingCode.objects.filter(code=self.code).exclude(pk=self.pk).filter(
                Q(effective_to__isnull=True) | Q(effective_to__gte=self.effective_from))
            if self.effective_to is not None:
                overlapping = overlapping.filter(effective_from__lte=self.effective_to)
            if overlapping.exists():
                raise ValidationError({"effective_from": _(
                    "Another row of %(code)s is in force on some of these days: end it first.") % {
                    "code": self.code}})

    def as_rule(self) -> periods.Rule:
        return periods.Rule(
            code=self.code, counted_per=self.counted_per, effective_from=self.effective_from,
            effective_to=self.effective_to,
            min_days=self.min_days, max_days=self.max_days, min_minutes=self.min_minutes,
            requires_interactive=self.requires_interactive, adds_to=self.adds_to, excludes=code_list(self.excludes),
        )


class Enrolment(models.Model):
    """One episode of remote monitoring for a patient's plan.

    The set-up date starts the first 30-day period (and is the set-up, once
    per episode). The episode ends on `last_day` when the patient is
    unenrolled, or when its plan ends (the plan's end date), whichever comes
    first; enrolling again starts a new episode. At most one episode per
    patient is open (no `last_day`); a new one closes an episode whose plan
    has ended.
    """

    TENANT_CLINIC_LOOKUP = "patient__clinic"

    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="rtm_episodes")
    assignment = models.ForeignKey("patients.Assignment", on_delete=models.CASCADE, related_name="rtm_episodes",
                                   help_text=_("The plan monitored: the episode ends when it ends."))
    setup_date = models.DateField(_("set-up date"))
    last_day = models.DateField(_("last day of monitoring"), null=True, blank=True)
    enrolled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-setup_date", "-id"]
        verbose_name = _("remote-monitoring episode")
        verbose_name_plural = _("remote-monitoring episodes")
        constraints = [
            models.UniqueConstraint(fields=["patient"], condition=Q(last_day__isnull=True),
                                    name="rtm_episode_one_open_per_patient"),
            models.CheckConstraint(condition=Q(last_day__isnull=True) | Q(last_day__gte=F("setup_date")),
                                   name="rtm_episode_ends_after_setup"),
        ]
        indexes = [models.Index(fields=["patient", "setup_date"])]

    def __str__(self) -> str:
        return f"Monitoring of patient #{self.patient_id} from {self.setup_date}"

    def end(self) -> tuple:
        """(last day, why) of the episode: unenrolled or its plan ended, whichever first; (None, None) if running."""
        return periods.episode_end(last_day=self.last_day, plan_end=self.assignment.end_date)

    def periods_through(self, day) -> list[periods.Period]:
        """The periods started by `day` (today), the last one cut short at the episode's end."""
        return periods.episode_periods(setup_date=self.setup_date, through=day, last_day=self.last_day,
                                       plan_end=self.assignment.end_date)


class TimeEntry(models.Model):
    """Management time a staff member spent on one patient, counted in the calendar month of `date`.

    Changed or deleted only by its author or a clinic admin (`editable_by`);
    every change is on the audit trail with the request that made it.
    """

    TENANT_CLINIC_LOOKUP = "patient__clinic"

    class Source(models.TextChoices):
        TIMER = "timer", _("Timer")
        MANUAL = "manual", _("Entered by hand")

    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="rtm_time")
    episode = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="time_entries")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    date = models.DateField(_("date"))
    minutes = models.PositiveSmallIntegerField(
        _("minutes"), validators=[MinValueValidator(1), MaxValueValidator(ENTRY_MINUTES_MAX)])
    activity = capped_text_field(_("what was done"), max_length=ACTIVITY_MAX_LENGTH)
    interactive = models.BooleanField(
        _("interactive communication"), default=False,
        help_text=_("Real-time audio or video with the patient. Text messages and e-mail do not count."))
    source = models.CharField(_("source"), max_length=8, choices=Source.choices, default=Source.MANUAL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["-date", "-created_at", "-id"]
        verbose_name = _("management-time entry")
        verbose_name_plural = _("management-time entries")
        constraints = [
            models.CheckConstraint(condition=Q(minutes__gte=1, minutes__lte=ENTRY_MINUTES_MAX),
                                   name="rtm_time_minutes_1_240"),
            models.CheckConstraint(condition=Q(source__in=["timer", "manual"]), name="rtm_time_source_valid"),
            models.CheckConstraint(condition=~Q(activity=""), name="rtm_time_activity_required"),
        ]
        indexes = [models.Index(fields=["patient", "date"])]

    def __str__(self) -> str:
        return f"{self.minutes} min for patient #{self.patient_id} on {self.date}"

    def editable_by(self, actor) -> bool:
        """Its author and the admins of the patient's clinic may change or delete it; nobody else."""
        if not actor.is_staff_member or actor.clinic.pk != self.patient.clinic_id:
            return False
        return actor.is_clinic_admin or (self.author_id is not None and self.author_id == actor.user.pk)


class RunningTimer(models.Model):
    """A staff member's management timer, kept on the server: one per person, so it never counts two patients
    at once and survives a reload, another tab or signing in again."""

    TENANT_CLINIC_LOOKUP = "patient__clinic"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rtm_timer")
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="+")
    episode = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="+")
    started_at = models.DateTimeField(_("started at"))

    class Meta:
        verbose_name = _("running management timer")
        verbose_name_plural = _("running management timers")

    def __str__(self) -> str:
        return f"Timer of user #{self.user_id} on patient #{self.patient_id} since {self.started_at}"
