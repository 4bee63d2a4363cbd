"""Patients, their invitation links, and when staff last opened a patient's page."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clinic.validators import validate_single_line
from protocols.models import Condition


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
    # The patient's pages, e-mails and reminders (clinic/language.py); blank follows the clinic's default.
    # Set by the therapist on the patient form, changed by the patient on their Language page.
    language = models.CharField(_("language"), max_length=8, blank=True, choices=settings.LANGUAGES)
    created_at = models.DateTimeField(auto_now_add=True)
    # Any change to the record (FHIR meta.lastUpdated, _lastUpdated, Bulk _since). Saves naming
    # update_fields must name it too: auto_now only writes the fields a save writes.
    updated_at = models.DateTimeField(auto_now=True)

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


class JoinCode(models.Model):
    """A short one-time code (and its QR link) a therapist shows in the clinic, so the patient joins on their phone.

    Only a hash of the code is kept; it works for JOIN_CODE_MINUTES, once, and a
    new code for the same patient voids the previous one.
    """

    TENANT_CLINIC_LOOKUP = "patient__clinic"
    TENANT_PATIENT_LOOKUP = "patient"

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="join_codes")
    code_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("join code")
        verbose_name_plural = _("join codes")

    def __str__(self) -> str:
        return f"Join code for patient #{self.patient_id}"
