"""Writes for patients: assignments (protocol snapshots), step changes, session logs, check-ins.

Every function here validates with full_clean() and runs in one transaction,
so a failure leaves nothing half-written.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from patients.models import (
    AssignedExercise,
    AssignedLadderStep,
    AssignedPhase,
    Assignment,
    ChangeSource,
    MorningCheckIn,
    Patient,
    PhaseVersion,
    SessionLog,
    StepVersion,
)
from protocols.models import Protocol

BACKDATE_LIMIT_DAYS = 14


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
    if protocol.clinic_id not in (None, patient.clinic_id):
        raise ValidationError({"protocol": "This protocol belongs to another clinic."})
    if protocol.condition != patient.condition:
        raise ValidationError({"protocol": "This protocol is for a different condition than the patient's."})
    if protocol.is_archived:
        raise ValidationError({"protocol": "This protocol is archived."})
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
        raise ValidationError({"patient": "This patient already has an active assignment; end it first."})
    assignment.save()

    phases = list(protocol.phases.prefetch_related("exercises__template", "exercises__ladder_steps").order_by("order"))
    if not phases:
        raise ValidationError({"protocol": "This protocol has no phases to assign."})
    first_phase = None
    for phase in phases:
        assigned_phase = AssignedPhase.objects.create(
            assignment=assignment,
            order=phase.order,
            name=phase.name,
            goals=phase.goals,
            entry_criteria=phase.entry_criteria,
            expected_weeks=phase.expected_weeks,
        )
        first_phase = first_phase or assigned_phase
        for exercise in phase.exercises.all():
            template = exercise.template
            ladder = list(exercise.ladder_steps.all())
            assigned = AssignedExercise.objects.create(
                assignment=assignment,
                phase=assigned_phase,
                template=template,
                order=exercise.order,
                name=template.name,
                kind=template.kind,
                frequency_per_week=exercise.frequency_per_week,
                sets=exercise.sets,
                reps=exercise.reps,
                hold_seconds=exercise.hold_seconds,
                duration_min=exercise.duration_min,
                instructions=template.instructions,
                safety_notes=template.safety_notes,
                notes=exercise.notes,
                current_step=0 if ladder else None,
            )
            AssignedLadderStep.objects.bulk_create(
                AssignedLadderStep(
                    exercise=assigned,
                    order=step.order,
                    speed_kmh=step.speed_kmh,
                    incline_pct=step.incline_pct,
                    duration_min=step.duration_min,
                )
                for step in ladder
            )
            if ladder:
                StepVersion.objects.create(
                    exercise=assigned,
                    step=0,
                    effective_date=start_date,
                    source=ChangeSource.INITIAL,
                    changed_by=assigned_by,
                    reason="Starting step of the assigned protocol.",
                )
    PhaseVersion.objects.create(
        assignment=assignment,
        phase=first_phase,
        effective_date=start_date,
        source=ChangeSource.INITIAL,
        changed_by=assigned_by,
        reason="First phase of the assigned protocol.",
    )
    return assignment


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
) -> StepVersion:
    """Record a new current step for a ladder exercise: a new dated version, never an overwrite."""
    exercise = AssignedExercise.objects.select_for_update().get(pk=exercise.pk)
    ladder_size = exercise.ladder_steps.count()
    if not ladder_size:
        raise ValidationError({"exercise": "This exercise has no load ladder."})
    if not 0 <= step < ladder_size:
        raise ValidationError({"step": f"Step must be between 0 and {ladder_size - 1}."})
    if not reason or not reason.strip():
        raise ValidationError({"reason": "Say why the step changes."})
    version = StepVersion(
        exercise=exercise,
        step=step,
        effective_date=effective_date,
        source=source,
        changed_by=changed_by,
        rules=list(rules or []),
        reason=reason.strip(),
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
) -> PhaseVersion:
    """Make `phase` the assignment's current phase: a new dated version, never an overwrite.

    The ladder steps of the new phase's exercises are left as they are; move
    them with `step_change` if the new phase should not start at its first step.
    """
    # Lock the assignment so two concurrent changes are ordered, as step_change does for exercises.
    assignment = Assignment.objects.select_for_update().get(pk=assignment.pk)
    if phase.assignment_id != assignment.pk:
        raise ValidationError({"phase": "This phase belongs to another assignment."})
    if not reason or not reason.strip():
        raise ValidationError({"reason": "Say why the phase changes."})
    version = PhaseVersion(
        assignment=assignment,
        phase=phase,
        effective_date=effective_date,
        source=source,
        changed_by=changed_by,
        reason=reason.strip(),
    )
    version.full_clean()
    version.save()
    return version


def step_in_force(*, exercise: AssignedExercise, date: dt.date) -> int | None:
    """The ladder step that applied on `date`: the newest version effective by then.

    A back-dated session belongs to the step of its own day, not today's, so
    the engine reads each session at the load it was done at.
    """
    if exercise.current_step is None:
        return None
    version = (
        StepVersion.objects.filter(exercise=exercise, effective_date__lte=date)
        .order_by("-effective_date", "-created_at", "-id")
        .values_list("step", flat=True)
        .first()
    )
    return 0 if version is None else version


@dataclass(frozen=True)
class SavedSession:
    session: SessionLog
    created: bool


def validate_session_date(*, date: dt.date, today: dt.date) -> None:
    if date > today:
        raise ValidationError({"date": "A session cannot be logged in the future."})
    if date < today - dt.timedelta(days=BACKDATE_LIMIT_DAYS):
        raise ValidationError({"date": f"Sessions can be back-dated by {BACKDATE_LIMIT_DAYS} days at most."})


_SESSION_FIELDS = ("exercise_id", "date", "completed", "duration_min", "speed_kmh", "incline_pct",
                   "pain_during", "pain_after", "rpe", "notes")


def session_log_create(
    *,
    patient: Patient,
    exercise: AssignedExercise,
    date: dt.date,
    today: dt.date,
    duration_min: int,
    pain_during: int,
    pain_after: int,
    completed: bool = True,
    speed_kmh=None,
    incline_pct=None,
    rpe: int | None = None,
    notes: str = "",
    client_uuid: uuid.UUID | None = None,
) -> SavedSession:
    """Log a session for the patient's own exercise, exactly once per client UUID.

    A replay with the same UUID and the same content returns the saved row
    (created=False); the same UUID with different content is refused.
    """
    if exercise.assignment.patient_id != patient.pk:
        raise ValidationError({"exercise": "This exercise is not part of your plan."})
    validate_session_date(date=date, today=today)
    if date < exercise.assignment.start_date:
        raise ValidationError({"date": "This date is before your plan started."})
    client_uuid = client_uuid or uuid.uuid4()
    session = SessionLog(
        patient=patient,
        exercise=exercise,
        date=date,
        step=step_in_force(exercise=exercise, date=date),
        completed=completed,
        duration_min=duration_min,
        speed_kmh=speed_kmh,
        incline_pct=incline_pct,
        pain_during=pain_during,
        pain_after=pain_after,
        rpe=rpe,
        notes=notes or "",
        client_uuid=client_uuid,
    )
    session.full_clean(validate_constraints=False)
    existing = SessionLog.objects.filter(patient=patient, client_uuid=client_uuid).first()
    if existing is None:
        try:
            with transaction.atomic():
                session.save()
            return SavedSession(session, True)
        except IntegrityError:
            # A concurrent request with the same UUID won the race.
            existing = SessionLog.objects.get(patient=patient, client_uuid=client_uuid)
    if any(getattr(existing, f) != getattr(session, f) for f in _SESSION_FIELDS):
        raise ValidationError({"client_uuid": "This entry was already sent with different details."})
    return SavedSession(existing, False)


@transaction.atomic
def checkin_record(*, patient: Patient, date: dt.date, today: dt.date, pain: int,
                   client_uuid: uuid.UUID | None = None) -> tuple[MorningCheckIn, bool]:
    """Record (or update) the patient's morning pain for `date`; returns (check-in, created)."""
    validate_session_date(date=date, today=today)
    checkin = MorningCheckIn.objects.select_for_update().filter(patient=patient, date=date).first()
    if checkin is None:
        checkin = MorningCheckIn(patient=patient, date=date, pain=pain, client_uuid=client_uuid or uuid.uuid4())
        checkin.full_clean(validate_constraints=False)
        checkin.save()
        return checkin, True
    checkin.pain = pain
    checkin.full_clean(validate_constraints=False)
    checkin.save(update_fields=["pain", "updated_at"])
    return checkin, False


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
) -> Patient:
    """Register a patient in a clinic. ACL-R patients need a surgery date (the engine uses it)."""
    if therapist is not None and not therapist.memberships.filter(clinic=clinic).exists():
        raise ValidationError({"therapist": "The therapist must work at this clinic."})
    if condition == "acl" and surgery_date is None:
        raise ValidationError({"surgery_date": "A surgery date is required after ACL reconstruction."})
    patient = Patient(
        clinic=clinic,
        first_name=first_name,
        last_name=last_name,
        condition=condition,
        side=side,
        therapist=therapist,
        email=email,
        external_ref=external_ref,
        date_of_birth=date_of_birth,
        surgery_date=surgery_date,
        user=user,
    )
    patient.full_clean()
    patient.save()
    return patient
