"""Tenancy: users, clinics, memberships and clinic settings."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinic.audit_labels import event_label, object_type_words, role_words
from clinic.validators import validate_single_line


class UserManager(BaseUserManager):
    """Users sign in with their e-mail address; there is no separate username."""

    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        """The one spelling of an address: without surrounding spaces, all lower case.

        Backstep compares addresses without regard to case everywhere (sign-in,
        invitations, the database's unique index on lower(email)), so it stores
        them that way too. AbstractUser.clean() calls this, so forms and the
        admin normalise as well.
        """
        return super().normalize_email((email or "").strip()).lower()

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An e-mail address is required")
        email = self.normalize_email(email)
        user = self.model(email=email, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, email: str):
        return self.get(email__iexact=email)


class User(AbstractUser):
    """A person who signs in: a therapist, a clinic admin or a patient."""

    username = None
    email = models.EmailField(_("e-mail address"), unique=True)
    # Staff names go into e-mails ("invited by ..."): one line, like every name.
    first_name = models.CharField(_("first name"), max_length=150, blank=True, validators=[validate_single_line])
    last_name = models.CharField(_("last name"), max_length=150, blank=True, validators=[validate_single_line])
    # A staff member's own language (clinic/language.py); blank follows the clinic's default. A patient's
    # language is on their Patient row, which their therapist can set too.
    language = models.CharField(_("language"), max_length=8, blank=True, choices=settings.LANGUAGES)
    # Raised (UPDATE ... + 1, in the transaction of the change) whenever what tenancy caches about this person
    # changes: a membership or role, their patient record, their clinic or its settings, a two-factor device, a
    # sign-in or sign-out (clinic.tenancy.access_changed). Loaded with the user on every request, it names the
    # cached caller state that is still true; an ordinary save never writes it back (see `save`).
    access_version = models.PositiveBigIntegerField(default=0, editable=False)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        ordering = ["email"]
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def save(self, *args, **kwargs):
        # Every path (forms, the admin, scripts) stores the one spelling the unique index compares.
        self.email = type(self).objects.normalize_email(self.email)
        if not self._state.adding and not args and kwargs.get("update_fields") is None and not kwargs.get(
                "force_insert"):
            # A full save of a user loaded earlier must not put back an older access_version (the cached caller
            # state it named would be trusted again): every loaded field but that one.
            kwargs["update_fields"] = [
                field.attname for field in self._meta.concrete_fields
                if not field.primary_key and field.attname != "access_version" and field.attname in self.__dict__
            ]
        super().save(*args, **kwargs)


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


def default_timezone() -> str:
    return settings.TIME_ZONE


def site_language() -> str:
    return settings.LANGUAGE_CODE


class Clinic(models.Model):
    """A tenant: every patient, protocol and report belongs to exactly one clinic."""

    name = models.CharField(_("name"), max_length=200, unique=True, validators=[validate_single_line])
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    timezone = models.CharField(_("time zone"), max_length=64, default=default_timezone, validators=[validate_timezone])
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("clinic")
        verbose_name_plural = _("clinics")

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A staff user's role in a clinic. Patients are not members; they have a Patient row."""

    # Staff lists go through the one tenancy filter like every other clinic row.
    TENANT_CLINIC_LOOKUP = "clinic"

    class Role(models.TextChoices):
        ADMIN = "admin", _("Clinic admin")
        THERAPIST = "therapist", _("Therapist")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.THERAPIST)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["clinic__name", "user__email"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "clinic"], name="membership_user_clinic_unique"),
            models.CheckConstraint(condition=models.Q(role__in=["admin", "therapist"]), name="membership_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} at {self.clinic}"

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN


validate_phone = RegexValidator(
    r"\A\+?[0-9][0-9 ()./-]{2,38}\Z",
    _("Enter a phone number with digits, spaces and + ( ) - . / only, e.g. +44 20 7946 0000."),
    code="phone",
)


class ClinicSettings(models.Model):
    """Per-clinic switches: progression-engine threshold overrides, automatic progression, and how patients
    reach the clinic.

    `engine_overrides` holds only the names listed in progression-rules.md
    (green_max, red_above, ...); anything else is refused by clean(). The
    contact fields are shown to patients on the phone pages after a red-pain
    session, in the footer, on the printed plan and in e-mails to patients.
    """

    ENGINE_SETTING_NAMES = {
        "green_max": int,
        "red_above": int,
        "trend_points": float,
        "green_sessions_to_progress": int,
        "running_speed_kmh": float,
        "max_auto_incline_pct": float,
        "adherence_min_fraction": float,
    }

    clinic = models.OneToOneField(Clinic, on_delete=models.CASCADE, related_name="settings")
    engine_overrides = models.JSONField(_("engine threshold overrides"), default=dict, blank=True)
    auto_apply_progressions = models.BooleanField(
        _("apply progressions automatically"),
        default=False,
        help_text=_("When off, the engine's progressions wait for a therapist's approval."),
    )
    require_two_factor = models.BooleanField(_("require two-factor sign-in for staff"), default=False)
    contact_phone = models.CharField(
        _("phone for patients"), max_length=40, blank=True, validators=[validate_single_line, validate_phone],
        help_text=_("The number patients call about pain or their plan, e.g. +44 20 7946 0000."),
    )
    contact_email = models.EmailField(
        _("e-mail for patients"), max_length=254, blank=True, validators=[validate_single_line],
    )
    contact_hours = models.CharField(
        _("opening hours"), max_length=120, blank=True, validators=[validate_single_line],
        help_text=_("When someone answers, on one line, e.g. Mon–Fri 8:00–18:00, Sat 9:00–12:00."),
    )
    # The language of everyone in the clinic who has not chosen their own (clinic/language.py).
    default_language = models.CharField(
        _("default language"), max_length=8, choices=settings.LANGUAGES, default=site_language,
        help_text=_("For patients and staff who have not chosen a language, and their e-mails."),
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("clinic settings")
        verbose_name_plural = _("clinic settings")

    def __str__(self) -> str:
        return f"Settings for {self.clinic}"

    def clean(self) -> None:
        if not isinstance(self.engine_overrides, dict):
            raise ValidationError({"engine_overrides": _("Overrides must be an object of name: value.")})
        errors = []
        for name, value in self.engine_overrides.items():
            kind = self.ENGINE_SETTING_NAMES.get(name)
            if kind is None:
                errors.append(_("Unknown engine setting %(name)s.") % {"name": name})
            elif isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                errors.append(_("%(name)s must be a number of at least 0.") % {"name": name})
            elif kind is int and value != int(value):
                errors.append(_("%(name)s must be a whole number.") % {"name": name})
        if errors:
            raise ValidationError({"engine_overrides": errors})


class ApiKey(models.Model):
    """A read-only key for one clinic's reporting system.

    Only the prefix is stored in clear (to find the key and to show it in
    lists); the whole key is stored as a SHA-256 hash. Keys are long random
    strings, so a fast hash is enough: there is nothing to guess from it.
    """

    TENANT_CLINIC_LOOKUP = "clinic"

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(_("name"), max_length=100, validators=[validate_single_line])
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["clinic__name", "-created_at"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        constraints = [models.CheckConstraint(condition=~models.Q(name=""), name="api_key_name_required")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…) for {self.clinic}"

    def is_usable(self, now) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class AppendOnlyQuerySet(models.QuerySet):
    """The audit trail is append-only: bulk changes are refused here, and by a trigger on PostgreSQL."""

    def update(self, **kwargs):
        raise PermissionDenied("Audit events cannot be changed.")

    def delete(self):
        raise PermissionDenied("Audit events cannot be deleted.")


class AppendOnlyModel(models.Model):
    """A row of the audit trail: written once, never changed or deleted."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionDenied("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionDenied("Audit events cannot be deleted.")


class AuditEvent(AppendOnlyModel):
    """One read or write of patient data: who (user or API key), which clinic, what, when, from where.

    Written by clinic.audit.AuditMiddleware in the same transaction as the
    request's own writes. References are plain ids without database
    constraints, so deactivating or removing a user, key or patient never
    rewrites the trail.

    `patient_id` is the one patient the request named (its URL's object, or a
    `patient` filter naming a patient of this clinic). A list response also
    records the patients it contained (`patients`, the first
    PATIENTS_KEPT of them; `patient_count` is how many there were) and the
    filters that narrowed it (`query`).
    """

    TENANT_CLINIC_LOOKUP = "clinic"
    # A list response keeps this many of the patients it contained (an API page holds up to 500 rows).
    PATIENTS_KEPT = 100

    class Action(models.TextChoices):
        READ = "read", _("read")
        WRITE = "write", _("write")

    occurred_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True, editable=False)
    clinic = models.ForeignKey(
        Clinic, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+",
        editable=False,
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False,
        related_name="+", editable=False, verbose_name=_("user"),
    )
    api_key = models.ForeignKey(
        ApiKey, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+",
        editable=False, verbose_name=_("API key"),
    )
    actor_role = models.CharField(_("role"), max_length=20, editable=False)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices, editable=False)
    method = models.CharField(_("method"), max_length=10, editable=False)
    route = models.CharField(_("route"), max_length=120, editable=False)
    object_type = models.CharField(_("object type"), max_length=40, editable=False)
    object_id = models.CharField(_("object id"), max_length=64, blank=True, editable=False)
    patient_id = models.BigIntegerField(_("patient id"), null=True, blank=True, editable=False)
    patient_count = models.PositiveIntegerField(
        _("patients in the response"), null=True, blank=True, editable=False,
        help_text=_("Lists only: how many patients the response contained."),
    )
    query = models.JSONField(
        _("narrowed by"), default=dict, blank=True, editable=False,
        help_text=_("Lists only: the filters that narrowed it. A search term is kept as its length only."),
    )
    status_code = models.PositiveSmallIntegerField(_("status"), editable=False)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True, editable=False)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True, editable=False)
    request_id = models.CharField(_("request id"), max_length=64, blank=True, editable=False)
    detail = models.JSONField(_("detail"), default=dict, blank=True, editable=False)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [
            models.Index(fields=["clinic", "-occurred_at"], name="audit_clinic_time"),
            models.Index(fields=["clinic", "patient_id", "-occurred_at"], name="audit_clinic_patient_time"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(action__in=["read", "write"]), name="audit_action_valid"),
        ]

    def __str__(self) -> str:
        return (f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.actor_role} {self.action} "
                f"{self.object_type} {self.object_id}")

    @property
    def label(self) -> str:
        """What happened, in words ("logged a session"; a refused write: "tried to …, refused")."""
        return event_label(route=self.route, method=self.method, status_code=self.status_code,
                           object_type=self.object_type)

    @property
    def role_label(self) -> str:
        return role_words(self.actor_role)

    @property
    def object_type_label(self) -> str:
        """The kind of record, in the reader's language (the stored `object_type` stays English)."""
        return object_type_words(self.object_type)

    @property
    def refused(self) -> bool:
        return self.status_code >= 400


class AuditEventPatient(AppendOnlyModel):
    """One patient a list response contained: the trail's index of "whose data did this read show".

    A row per patient (rather than a list on the event) so that "every read
    that showed this patient" is an indexed lookup on PostgreSQL and SQLite alike.
    """

    TENANT_CLINIC_LOOKUP = "event__clinic"

    event = models.ForeignKey(AuditEvent, on_delete=models.DO_NOTHING, related_name="patients", editable=False)
    patient_id = models.BigIntegerField(_("patient id"), editable=False)

    class Meta:
        ordering = ["event", "id"]
        verbose_name = _("patient in an audit event")
        verbose_name_plural = _("patients in audit events")
        constraints = [
            models.UniqueConstraint(fields=["patient_id", "event"], name="audit_patient_event_unique"),
        ]

    def __str__(self) -> str:
        return f"patient #{self.patient_id} in event #{self.event_id}"


class Notification(models.Model):
    """An e-mail Backstep decided to send to a staff member, and what became of it.

    Written in the transaction that decided it (an urgent flag, a digest, an
    invitation) and sent after commit by a task that retries with back-off;
    one that still fails is marked failed and shown to the clinic's admins.
    The subject and body are kept only until the e-mail is sent. `last_error`
    holds the error's class name only: an error's text can quote addresses.
    """

    TENANT_CLINIC_LOOKUP = "clinic"

    class Kind(models.TextChoices):
        URGENT_FLAG = "urgent_flag", _("Urgent flag")
        DAILY_DIGEST = "daily_digest", _("Daily flag digest")
        STAFF_INVITATION = "staff_invitation", _("Staff invitation")
        STAFF_JOIN = "staff_join", _("Invitation to join the clinic")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                                  verbose_name=_("recipient"))
    flag = models.ForeignKey("patients.Flag", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("body"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=100, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["clinic", "status"], name="notification_clinic_status"),
            models.Index(fields=["status", "next_attempt_at"], name="notification_due"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=["pending", "sent", "failed"]),
                                   name="notification_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.status})"
