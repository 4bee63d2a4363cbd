"""Patients and their plans: registering and editing a patient, assigning a protocol, moving a step or a phase,
ending a plan, and noting a therapist's visit to the patient's page.

An assignment is a frozen snapshot of its protocol; step and phase changes
are new dated versions, never overwrites. Every write validates with
full_clean() and runs in one transaction, so a failure leaves nothing half-written.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.clock import clinic_today
from clinic.dates import BIRTH_DATES, PLAN_DATES, SURGERY_DATES, sane_clinic_date
from clinic.models import User
from patients import selectors
from patients.models import (
    AssignedExercise,
    AssignedLadderStep,
    AssignedPhase,
    Assignment,
    ChangeSource,
    Patient,
    PatientPageVisit,
    PhaseVersion,
    StepVersion,
)
from patients.reason_messages import note as reason_note
from protocols.models import Protocol
from protocols.phase_criteria import phase_criteria_check, unmet_in_words
from protocols.tree import TreeModels, protocol_tree, tree_create

logger = logging.getLogger(__name__)


# Where an assignment's snapshot of a protocol tree is written (see `protocols.tree`).
SNAPSHOT_TREE = TreeModels(phase=AssignedPhase, exercise=AssignedExercise, step=AssignedLadderStep,
                           phase_parent="assignment")


@transaction.atomic
def assignment_create(
    *,
    patient: Patient,
    protocol: Protocol,
    start_date: dt.date,
    baseline_pain: int,
    sessions_per_week: int | None = None,
    assigned_by=None,
) -> Assignment:
    """Assign `protocol` to `patient` as a frozen snapshot.

    The snapshot copies phases, exercises (with their template's instructions
    and safety notes) and ladders, so later edits of the protocol or template
    never change a running assignment. Each ladder exercise starts at step 0
    and the first phase is current; both are recorded as initial versions.
    """
    _check_assignable(patient=patient, protocol=protocol, start_date=start_date)
    assignment = Assignment(
        patient=patient,
        protocol=protocol,
        protocol_name=protocol.name,
        condition=protocol.condition,
        start_date=start_date,
        sessions_per_week=sessions_per_week or protocol.sessions_per_week,
        baseline_pain=baseline_pain,
        assigned_by=assigned_by,
    )
    assignment.full_clean(validate_constraints=False)
    if Assignment.objects.filter(patient=patient, status=Assignment.Status.ACTIVE).exists():
        raise ValidationError({"patient": _("This patient already has an active assignment; end it first.")})
    assignment.save()
    _snapshot_write(assignment, protocol, assigned_by=assigned_by)
    return assignment


def _check_assignable(*, patient: Patient, protocol: Protocol, start_date: dt.date) -> None:
    """A protocol of the patient's clinic (or built in) and condition, not archived, from a date a clinic could mean."""
    if protocol.clinic_id not in (None, patient.clinic_id):
        raise ValidationError({"protocol": _("This protocol belongs to another clinic.")})
    if protocol.condition != patient.condition:
        raise ValidationError({"protocol": _("This protocol is for a different condition than the patient's.")})
    if protocol.is_archived:
        raise ValidationError({"protocol": _("This protocol is archived.")})
    sane_clinic_date(start_date, "start_date", today=clinic_today(patient.clinic), within=PLAN_DATES)


def _snapshot_write(assignment: Assignment, protocol: Protocol, *, assigned_by) -> None:
    """Copy the protocol's tree into the assignment; every ladder's step 0 and the first phase are initial versions."""
    tree = protocol_tree(protocol)
    if not tree:
        raise ValidationError({"protocol": _("This protocol has no phases to assign.")})
    written = tree_create(tree, parent=assignment, into=SNAPSHOT_TREE, exercise_extra=lambda exercise: {
        "assignment": assignment, "name": exercise["template"].name, "kind": exercise["template"].kind,
        "instructions": exercise["template"].instructions, "safety_notes": exercise["template"].safety_notes,
        "current_step": 0 if exercise["ladder"] else None,
    })
    for _phase, exercises in written:
        for assigned in exercises:
            if assigned.current_step is not None:
                StepVersion.objects.create(
                    exercise=assigned,
                    step=0,
                    effective_date=assignment.start_date,
                    source=ChangeSource.INITIAL,
                    changed_by=assigned_by,
                    reason="Starting step of the assigned protocol.", reason_message=reason_note("step.start"),
                )
    PhaseVersion.objects.create(
        assignment=assignment,
        phase=written[0][0],
        effective_date=assignment.start_date,
        source=ChangeSource.INITIAL,
        changed_by=assigned_by,
        reason="First phase of the assigned protocol.",
    )


@transaction.atomic
def step_change(
    *,
    exercise: AssignedExercise,
    step: int,
    effective_date: dt.date,
    source: str,
    reason: str,
    changed_by=None,
    rules: list[str] | None = None,
    reason_message: dict | None = None,
) -> StepVersion:
    """Record a new current step for a ladder exercise: a new dated version, never an overwrite.

    `reason` is stored as given (English when Backstep wrote it); `reason_message`, when Backstep wrote it,
    is its message, so the step history reads in the viewer's language.
    """
    exercise = AssignedExercise.objects.select_for_update().get(pk=exercise.pk)
    ladder_size = exercise.ladder_steps.count()
    if not ladder_size:
        raise ValidationError({"exercise": _("This exercise has no load ladder.")})
    if not 0 <= step < ladder_size:
        raise ValidationError({"step": _("Choose a level from 1 to %(last)d.") % {"last": ladder_size}})
    if not reason or not reason.strip():
        raise ValidationError({"reason": _("Say why the step changes.")})
    version = StepVersion(
        exercise=exercise,
        step=step,
        effective_date=effective_date,
        source=source,
        changed_by=changed_by,
        rules=list(rules or []),
        reason=reason.strip(),
        reason_message=reason_message,
    )
    version.full_clean()
    version.save()
    AssignedExercise.objects.filter(pk=exercise.pk).update(current_step=step)
    return version


@transaction.atomic
def phase_change(
    *,
    assignment: Assignment,
    phase: AssignedPhase,
    effective_date: dt.date,
    source: str,
    reason: str,
    changed_by=None,
    go_ahead: bool = False,
) -> PhaseVersion:
    """Make `phase` the assignment's current phase: a new dated version, never an overwrite.

    The new phase's checkable entry criteria are read against the latest
    measurement on `effective_date` (an unknown value never meets one). When
    any is unmet the change is refused unless `go_ahead` says the therapist
    saw them and goes ahead anyway; the reason is then required as always, and
    the unmet criteria are kept with the version, in words.

    The ladder steps of the new phase's exercises are left as they are; move
    them with `step_change` if the new phase should not start at its first step.
    """
    # Lock the assignment so two concurrent changes are ordered, as step_change does for exercises.
    assignment = Assignment.objects.select_for_update().select_related("patient").get(pk=assignment.pk)
    if phase.assignment_id != assignment.pk:
        raise ValidationError({"phase": _("This phase belongs to another assignment.")})
    unmet = unmet_in_words(phase_criteria_check(
        phase, selectors.phase_readings(patient=assignment.patient, on=effective_date)))
    if unmet and not go_ahead:
        raise ValidationError({"go_ahead": _("Not yet met for “%(phase)s”: %(unmet)s. To move the patient anyway, "
                                             "confirm it and say why in the reason.")
                                           % {"phase": phase.name, "unmet": "; ".join(unmet)}})
    if not reason or not reason.strip():
        raise ValidationError({"reason": _("Say why the phase changes.")})
    version = PhaseVersion(
        assignment=assignment,
        phase=phase,
        effective_date=effective_date,
        source=source,
        changed_by=changed_by,
        reason=reason.strip(),
        unmet_criteria=unmet,
    )
    version.full_clean()
    version.save()
    return version


PATIENT_DATE_RANGES = {"surgery_date": SURGERY_DATES, "date_of_birth": BIRTH_DATES}


def _check_patient(*, clinic, therapist, condition: str, surgery_date, external_ref: str,
                   patient: Patient | None = None, new_dates: dict[str, dt.date | None]) -> None:
    """Rules a patient row must meet, as field errors (the database would only say which constraint failed).

    `new_dates` are the dates being entered now: each must be one a clinic could mean (clinic.dates). A date
    kept unchanged is not re-checked, so a long-standing one never blocks an unrelated edit.
    """
    if therapist is not None and not therapist.memberships.filter(clinic=clinic).exists():
        raise ValidationError({"therapist": _("The therapist must work at this clinic.")})
    if condition == "acl" and surgery_date is None:
        raise ValidationError({"surgery_date": _("A surgery date is required after ACL reconstruction.")})
    for name, value in new_dates.items():
        if value is not None:
            sane_clinic_date(value, name, today=clinic_today(clinic), within=PATIENT_DATE_RANGES[name])
    if external_ref:
        same_ref = Patient.objects.filter(clinic=clinic, external_ref=external_ref)
        if patient is not None:
            same_ref = same_ref.exclude(pk=patient.pk)
        if same_ref.exists():
            raise ValidationError({"external_ref": _("Another patient of this clinic has this reference.")})


PATIENT_EDITABLE_FIELDS = ("first_name", "last_name", "email", "external_ref", "date_of_birth", "condition", "side",
                           "surgery_date", "therapist", "language")


@transaction.atomic
def patient_update(*, patient: Patient, **changes) -> Patient:
    """Change a patient's details. The clinic and the login never change here."""
    unknown = set(changes) - set(PATIENT_EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"patient_update cannot change {', '.join(sorted(unknown))}")
    if "email" in changes:
        changes["email"] = User.objects.normalize_email(changes["email"])
    new_dates = {name: value for name, value in changes.items()
                 if name in PATIENT_DATE_RANGES and value != getattr(patient, name)}
    for name, value in changes.items():
        setattr(patient, name, value)
    _check_patient(clinic=patient.clinic, therapist=patient.therapist, condition=patient.condition,
                   surgery_date=patient.surgery_date, external_ref=patient.external_ref, patient=patient,
                   new_dates=new_dates)
    patient.full_clean()
    patient.save()
    return patient


@transaction.atomic
def patient_create(
    *,
    clinic,
    first_name: str,
    last_name: str,
    condition: str,
    side: str,
    therapist=None,
    email: str = "",
    external_ref: str = "",
    date_of_birth: dt.date | None = None,
    surgery_date: dt.date | None = None,
    user=None,
    language: str = "",
) -> Patient:
    """Register a patient in a clinic. ACL-R patients need a surgery date (the engine uses it)."""
    _check_patient(clinic=clinic, therapist=therapist, condition=condition, surgery_date=surgery_date,
                   external_ref=external_ref, new_dates={"surgery_date": surgery_date, "date_of_birth": date_of_birth})
    patient = Patient(
        clinic=clinic,
        first_name=first_name,
        last_name=last_name,
        condition=condition,
        side=side,
        therapist=therapist,
        # Compared with accounts' addresses when the patient is invited: one spelling, as User stores it.
        email=User.objects.normalize_email(email),
        external_ref=external_ref,
        date_of_birth=date_of_birth,
        surgery_date=surgery_date,
        user=user,
        language=language,
    )
    patient.full_clean()
    patient.save()
    return patient


def patient_page_visit_record(*, user, patient: Patient, now: dt.datetime | None = None) -> dt.datetime | None:
    """Record that `user` opened `patient`'s page now; return when they had opened it before (None: never).

    What the patient logged after the returned moment is "new" to this user
    (selectors.is_new). One upsert, so two tabs opened at once cannot collide.
    """
    previous = (PatientPageVisit.objects.filter(user=user, patient=patient)
                .values_list("visited_at", flat=True).first())
    PatientPageVisit.objects.bulk_create(
        [PatientPageVisit(user=user, patient=patient, visited_at=now or timezone.now())],
        update_conflicts=True, unique_fields=["user", "patient"], update_fields=["visited_at"],
    )
    return previous


@transaction.atomic
def assignment_end(*, assignment: Assignment, end_date: dt.date, status: str = Assignment.Status.COMPLETED,
                   changed_by=None) -> Assignment:
    """End a running plan (completed or stopped) so the patient can be given a new one."""
    if status not in (Assignment.Status.COMPLETED, Assignment.Status.STOPPED):
        raise ValidationError({"status": _("A plan ends as completed or stopped.")})
    if assignment.status != Assignment.Status.ACTIVE:
        raise ValidationError({"assignment": _("This plan has already ended.")})
    if end_date < assignment.start_date:
        raise ValidationError({"end_date": _("The end date cannot be before the plan started.")})
    sane_clinic_date(end_date, "end_date", today=clinic_today(assignment.patient.clinic), within=PLAN_DATES)
    assignment.end_date, assignment.status = end_date, status
    assignment.full_clean(validate_constraints=False)
    assignment.save(update_fields=["end_date", "status", "updated_at"])
    logger.info("assignment %s ended (%s) by user %s", assignment.pk, status, getattr(changed_by, "pk", None))
    return assignment


@transaction.atomic
def plan_assign(
    *,
    patient: Patient,
    protocol: Protocol,
    start_date: dt.date,
    baseline_pain: int,
    sessions_per_week: int | None = None,
    surgery_date: dt.date | None = None,
    assigned_by=None,
) -> Assignment:
    """Assign `protocol` as the assign page does: an ACL-R patient's surgery date, when the page changes it, and
    the plan, together or not at all.

    The running gate reads the surgery date, so it is asked for with the plan;
    a refused assignment (another plan running, a protocol of another clinic,
    an impossible date) leaves the patient's date and plans as they were.
    """
    if patient.condition == "acl" and surgery_date != patient.surgery_date:
        patient_update(patient=patient, surgery_date=surgery_date)
    return assignment_create(patient=patient, protocol=protocol, start_date=start_date, baseline_pain=baseline_pain,
                             sessions_per_week=sessions_per_week, assigned_by=assigned_by)
