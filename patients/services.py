"""Writes for patients: assignments (protocol snapshots), step changes, session logs, check-ins.

Every function here validates with full_clean() and runs in one transaction,
so a failure leaves nothing half-written.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass
from enum import Enum

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from clinic.celery import enqueue_soon
from clinic.dates import BIRTH_DATES, MEASUREMENT_DATES, PLAN_DATES, SURGERY_DATES, sane_clinic_date
from clinic.invitations import Outcome, invitation_account, invitation_account_claim
from clinic.models import Notification, User
from clinic.notifications import email_send, notification_queue
from clinic.selectors import clinic_guidance
from clinic.tokens import token_hash
from patients import selectors
from patients.models import (
    NOTE_MAX_LENGTH,
    SESSION_DOSE_FIELDS,
    AssignedExercise,
    AssignedLadderStep,
    AssignedPhase,
    Assignment,
    ChangeSource,
    Flag,
    Measurement,
    MorningCheckIn,
    Patient,
    PatientPageVisit,
    PhaseVersion,
    SessionLog,
    StepVersion,
    SweepRun,
)
from patients.selectors import invitation_offer
from protocols import engine
from protocols.models import Protocol
from protocols.phase_criteria import phase_criteria_check, unmet_in_words
from protocols.tree import TreeModels, protocol_tree, tree_create
from protocols.wording import format_date

BACKDATE_LIMIT_DAYS = 14
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
    if protocol.clinic_id not in (None, patient.clinic_id):
        raise ValidationError({"protocol": "This protocol belongs to another clinic."})
    if protocol.condition != patient.condition:
        raise ValidationError({"protocol": "This protocol is for a different condition than the patient's."})
    if protocol.is_archived:
        raise ValidationError({"protocol": "This protocol is archived."})
    sane_clinic_date(start_date, "start_date", today=clinic_today(patient.clinic), within=PLAN_DATES)
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

    tree = protocol_tree(protocol)
    if not tree:
        raise ValidationError({"protocol": "This protocol has no phases to assign."})
    written = tree_create(tree, parent=assignment, into=SNAPSHOT_TREE, exercise_extra=lambda exercise: {
        "assignment": assignment, "name": exercise["template"].name, "kind": exercise["template"].kind,
        "instructions": exercise["template"].instructions, "safety_notes": exercise["template"].safety_notes,
        "current_step": 0 if exercise["ladder"] else None,
    })
    first_phase = written[0][0]
    for _phase, exercises in written:
        for assigned in exercises:
            if assigned.current_step is not None:
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
        raise ValidationError({"step": f"Choose a level from 1 to {ladder_size}."})
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
        raise ValidationError({"phase": "This phase belongs to another assignment."})
    unmet = unmet_in_words(phase_criteria_check(
        phase, selectors.phase_readings(patient=assignment.patient, on=effective_date)))
    if unmet and not go_ahead:
        raise ValidationError({"go_ahead": f"Not yet met for “{phase.name}”: {'; '.join(unmet)}. "
                                           "To move the patient anyway, confirm it and say why in the reason."})
    if not reason or not reason.strip():
        raise ValidationError({"reason": "Say why the phase changes."})
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


_SESSION_FIELDS = ("exercise_id", "date", "completed", "duration_min", "speed_kmh", "incline_pct", "sets", "reps",
                   "hold_seconds", "pain_during", "pain_after", "rpe", "notes")


def _require_amount(session: SessionLog) -> None:
    """A session says how much was done: minutes, or sets (what the exercise logs, see logged_fields)."""
    if session.duration_min is None and session.sets is None:
        field = session.exercise.logged_fields[0]
        raise ValidationError({field: "Say how much you did: minutes, or the sets you did."})


class IdempotencyConflict(ValidationError):
    """A client UUID (Idempotency-Key) already used for different content: the API answers 409."""


def session_log_create(
    *,
    patient: Patient,
    exercise: AssignedExercise,
    date: dt.date | None,
    today: dt.date,
    pain_during: int,
    pain_after: int,
    duration_min: int | None = None,
    completed: bool = True,
    speed_kmh=None,
    incline_pct=None,
    sets: int | None = None,
    reps: int | None = None,
    hold_seconds: int | None = None,
    rpe: int | None = None,
    notes: str = "",
    client_uuid: uuid.UUID | None = None,
) -> SavedSession:
    """Log a session for the patient's own exercise, exactly once per client UUID.

    A replay with the same UUID and the same content returns the saved row
    (created=False), even when it arrives days later; the same UUID with
    different content raises IdempotencyConflict. `date` None means today, or
    for a replay the day the entry was first saved, so a retry after midnight
    is still the same entry. How much was done is minutes (with speed and
    incline on a treadmill) or sets of reps or holds, as the exercise logs.
    """
    if exercise.assignment.patient_id != patient.pk:
        raise ValidationError({"exercise": "This exercise is not part of your plan."})
    existing = SessionLog.objects.filter(patient=patient, client_uuid=client_uuid).first() if client_uuid else None
    if date is None:
        date = existing.date if existing is not None else today
    if existing is None:
        if exercise.assignment.status != Assignment.Status.ACTIVE:
            raise ValidationError({"exercise": "This plan has ended: log sessions of your current plan."})
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
        sets=sets,
        reps=reps,
        hold_seconds=hold_seconds,
        pain_during=pain_during,
        pain_after=pain_after,
        rpe=rpe,
        notes=notes or "",
        client_uuid=client_uuid,
    )
    if existing is None:
        _require_amount(session)
        # The patient and the exercise are rows we hold: re-reading them to check they exist
        # would cost two queries per logged session (the foreign keys still guard the insert).
        session.full_clean(exclude=["patient", "exercise"], validate_constraints=False)
        try:
            with transaction.atomic():
                session.save()
                enqueue_assignment_check(exercise.assignment_id)
            return SavedSession(session, True)
        except IntegrityError:
            # A concurrent request with the same UUID won the race.
            existing = SessionLog.objects.get(patient=patient, client_uuid=client_uuid)
    if any(getattr(existing, f) != getattr(session, f) for f in _SESSION_FIELDS):
        raise IdempotencyConflict({"client_uuid": "This entry was already sent with different details."})
    return SavedSession(existing, False)


# ---------------------------------------------------------------------------
# A patient's own corrections: 24 hours to correct or delete an entry
# ---------------------------------------------------------------------------

SESSION_CORRECTABLE_FIELDS = ("date", "completed", *SESSION_DOSE_FIELDS, "pain_during", "pain_after", "rpe", "notes")
# Flag evidence key: the patient changed the session a flag was raised on, so a therapist reviews the flag.
EVIDENCE_CHANGED = "evidence_changed_by_patient"


def _correctable(*, patient: Patient, session: SessionLog, now: dt.datetime) -> SessionLog:
    """The session, locked, when `patient` may still change it: their own entry, within 24 hours of logging it."""
    session = (SessionLog.objects.select_for_update(of=("self",)).select_related("exercise__assignment")
               .filter(pk=session.pk, patient=patient).first())
    if session is None:
        raise ValidationError({"session": "Only the patient who logged a session can change it."})
    if now >= session.correctable_until():
        raise ValidationError({"session": "Sessions can be corrected or deleted for 24 hours after they are "
                                          "logged. Please tell your clinic instead."})
    return session


def _keep_flags_for_review(session: SessionLog, *, what: str, now: dt.datetime) -> list[int]:
    """Flags raised on this session stay open for the therapist, saying the patient changed their evidence.

    The check that re-runs after a correction or a deletion would otherwise
    clear, unseen, a flag whose evidence is gone (a red-pain session deleted
    after its regress). A progression suggestion is not kept: the re-run check
    decides afresh whether to suggest it. Returns the ids of the flags kept.
    """
    note = (f"The patient {what} the session of {session.date.isoformat()} this flag was raised on "
            f"({now:%Y-%m-%d %H:%M} UTC); review it before resolving.")
    kept = []
    flags = (Flag.objects.select_for_update().filter(exercise_id=session.exercise_id,
                                                     status__in=[Flag.Status.OPEN, Flag.Status.ACKNOWLEDGED])
             .exclude(kind=Flag.Kind.PROGRESSION))
    for flag in flags:
        if flag.basis != f"session:{session.pk}" and flag.evidence.get("latest_session_id") != session.pk:
            continue
        flag.evidence = {**flag.evidence, EVIDENCE_CHANGED: {"session_id": session.pk, "what": what,
                                                             "at": now.isoformat(), "note": note}}
        flag.reasons = [note, *[r for r in flag.reasons if r != note]]
        flag.status, flag.acknowledged_at, flag.acknowledged_by = Flag.Status.OPEN, None, None
        flag.save(update_fields=["evidence", "reasons", "status", "acknowledged_at", "acknowledged_by",
                                 "updated_at"])
        kept.append(flag.pk)
    return kept


@transaction.atomic
def session_log_update(*, patient: Patient, session: SessionLog, today: dt.date, now: dt.datetime | None = None,
                       **changes) -> SessionLog:
    """Correct the patient's own session within 24 hours of logging it; the plan is re-checked after commit.

    The exercise and the client UUID stay; a new date follows the same rules as
    a new entry (not in the future, at most 14 days back, not before the plan).
    Flags raised on the session stay open for the therapist with a note.
    """
    unknown = set(changes) - set(SESSION_CORRECTABLE_FIELDS)
    if unknown:
        raise TypeError(f"session_log_update cannot change {', '.join(sorted(unknown))}")
    now = now or timezone.now()
    session = _correctable(patient=patient, session=session, now=now)
    changes["notes"] = changes.get("notes", session.notes) or ""
    if "date" in changes and changes["date"] != session.date:
        validate_session_date(date=changes["date"], today=today)
        if changes["date"] < session.exercise.assignment.start_date:
            raise ValidationError({"date": "This date is before your plan started."})
    changed = [name for name, value in changes.items() if getattr(session, name) != value]
    if not changed:
        return session
    for name in changed:
        setattr(session, name, changes[name])
    if "date" in changed:
        session.step = step_in_force(exercise=session.exercise, date=session.date)
        changed.append("step")
    _require_amount(session)
    session.full_clean(exclude=["patient", "exercise"], validate_constraints=False)
    session.save(update_fields=changed)
    _keep_flags_for_review(session, what="corrected", now=now)
    enqueue_assignment_check(session.exercise.assignment_id)
    logger.info("session %s corrected by its patient (%s)", session.pk, ", ".join(sorted(changed)))
    return session


@transaction.atomic
def session_log_delete(*, patient: Patient, session: SessionLog, now: dt.datetime | None = None) -> int:
    """Delete the patient's own session within 24 hours of logging it; the plan is re-checked after commit.

    Flags raised on it are kept open for the therapist, with a note that the
    patient deleted their evidence; a step already changed because of it stays
    changed until the therapist decides. Returns the deleted session's id.
    """
    now = now or timezone.now()
    session = _correctable(patient=patient, session=session, now=now)
    session_id, assignment_id = session.pk, session.exercise.assignment_id
    _keep_flags_for_review(session, what="deleted", now=now)
    session.delete()
    enqueue_assignment_check(assignment_id)
    logger.info("session %s deleted by its patient", session_id)
    return session_id


@transaction.atomic
def checkin_record(*, patient: Patient, date: dt.date, today: dt.date, pain: int,
                   client_uuid: uuid.UUID | None = None) -> tuple[MorningCheckIn, bool]:
    """Record (or update) the patient's morning pain for `date`; returns (check-in, created).

    An answer that arrives again with the same client UUID (a retry, an
    offline replay after midnight) is the one already saved: nothing changes.
    """
    if client_uuid is not None:
        replayed = MorningCheckIn.objects.filter(patient=patient, client_uuid=client_uuid).first()
        if replayed is not None:
            return replayed, False
    validate_session_date(date=date, today=today)
    checkin = MorningCheckIn.objects.select_for_update().filter(patient=patient, date=date).first()
    if checkin is None:
        checkin = MorningCheckIn(patient=patient, date=date, pain=pain, client_uuid=client_uuid or uuid.uuid4())
        checkin.full_clean(validate_constraints=False)
        try:
            with transaction.atomic():
                checkin.save()
        except IntegrityError:
            # A second first answer for the same day arrived at the same moment: it becomes an update.
            checkin = MorningCheckIn.objects.select_for_update().get(patient=patient, date=date)
        else:
            _enqueue_patient_checks(patient)
            return checkin, True
    checkin.pain = pain
    checkin.full_clean(validate_constraints=False)
    checkin.save(update_fields=["pain", "updated_at"])
    _enqueue_patient_checks(patient)
    return checkin, False


def _enqueue_patient_checks(patient: Patient) -> None:
    for assignment_id in Assignment.objects.filter(patient=patient, status=Assignment.Status.ACTIVE).values_list(
        "pk", flat=True
    ):
        enqueue_assignment_check(assignment_id)


@transaction.atomic
def measurement_record(
    *,
    patient: Patient,
    date: dt.date,
    recorded_by,
    effusion: str = "",
    quad_lsi_pct=None,
    hop_lsi_pct=None,
    rom_pct=None,
    running_signoff: bool = False,
) -> Measurement:
    """Record clinic measurements (unknown values stay empty) and re-check the patient's plan."""
    sane_clinic_date(date, "date", today=clinic_today(patient.clinic), within=MEASUREMENT_DATES)
    measurement = Measurement(
        patient=patient, date=date, effusion=effusion or "", quad_lsi_pct=quad_lsi_pct, hop_lsi_pct=hop_lsi_pct,
        rom_pct=rom_pct, running_signoff=running_signoff, recorded_by=recorded_by,
    )
    measurement.full_clean()
    measurement.save()
    _enqueue_patient_checks(patient)
    return measurement


PATIENT_DATE_RANGES = {"surgery_date": SURGERY_DATES, "date_of_birth": BIRTH_DATES}


def _check_patient(*, clinic, therapist, condition: str, surgery_date, external_ref: str,
                   patient: Patient | None = None, new_dates: dict[str, dt.date | None]) -> None:
    """Rules a patient row must meet, as field errors (the database would only say which constraint failed).

    `new_dates` are the dates being entered now: each must be one a clinic could mean (clinic.dates). A date
    kept unchanged is not re-checked, so a long-standing one never blocks an unrelated edit.
    """
    if therapist is not None and not therapist.memberships.filter(clinic=clinic).exists():
        raise ValidationError({"therapist": "The therapist must work at this clinic."})
    if condition == "acl" and surgery_date is None:
        raise ValidationError({"surgery_date": "A surgery date is required after ACL reconstruction."})
    for name, value in new_dates.items():
        if value is not None:
            sane_clinic_date(value, name, today=clinic_today(clinic), within=PATIENT_DATE_RANGES[name])
    if external_ref:
        same_ref = Patient.objects.filter(clinic=clinic, external_ref=external_ref)
        if patient is not None:
            same_ref = same_ref.exclude(pk=patient.pk)
        if same_ref.exists():
            raise ValidationError({"external_ref": "Another patient of this clinic has this reference."})


PATIENT_EDITABLE_FIELDS = ("first_name", "last_name", "email", "external_ref", "date_of_birth", "condition", "side",
                           "surgery_date", "therapist")


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


# ---------------------------------------------------------------------------
# Progression checks: run the engine and apply its decisions
# ---------------------------------------------------------------------------

ENGINE_CLEARED_NOTE = "Cleared by the check of {date}: the condition no longer applies."


@dataclass(frozen=True)
class WantedFlag:
    kind: str
    severity: str
    reason: str
    basis: str
    rule: str
    suggested_step: int | None = None


FLAG_RULES = {"low_adherence": "F1", "improved": "F2"}  # other flags come from the deciding rule


@dataclass
class CheckOutcome:
    exercise_id: int
    decision: dict
    applied: str = ""
    urgent_flag_ids: list[int] | None = None
    in_current_phase: bool = True


def clinic_today(clinic) -> dt.date:
    """Today's date in the clinic's own time zone."""
    import zoneinfo

    from django.utils import timezone

    return timezone.localtime(timezone.now(), zoneinfo.ZoneInfo(clinic.timezone)).date()


def _iso_week(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _flag_basis(kind: str, basis, today: dt.date) -> str:
    """What a flag is about, so a flag the therapist resolved is not raised again for the same thing."""
    version = f"version:{basis.step_version_id or 0}"
    return {
        "pain_red": f"session:{basis.latest_session_id}",
        "morning_pain": f"session:{basis.latest_session_id}",
        "effusion": f"measurement:{basis.latest_measurement_id}",
        "gate_not_met": f"{version}:measurement:{basis.latest_measurement_id or 0}",
        "needs_override": version,
        "ladder_complete": version,
        "progression": f"{version}:week:{_iso_week(today)}",
    }.get(kind, f"week:{_iso_week(today)}")


def _wanted_flags(basis, decision: dict, today: dt.date, suggest: bool) -> dict[str, WantedFlag]:
    wanted = {
        flag["kind"]: WantedFlag(flag["kind"], flag["severity"], flag["reason"],
                                 _flag_basis(flag["kind"], basis, today),
                                 rule=FLAG_RULES.get(flag["kind"], decision["rules"][0]))
        for flag in decision["flags"]
    }
    if suggest:
        wanted["progression"] = WantedFlag(
            "progression", Flag.Severity.INFO, decision["reasons"][0], _flag_basis("progression", basis, today),
            rule=decision["rules"][0], suggested_step=decision["next_step"],
        )
    return wanted


def _sync_flags(*, basis, decision: dict, wanted: dict[str, WantedFlag], unresolved: list[Flag],
                resolved_bases: set[tuple[int, str, str]], today: dt.date) -> list[Flag]:
    """Open, update or resolve this exercise's flags; return flags that became urgent and need an e-mail."""
    from django.utils import timezone

    exercise = basis.exercise
    now = timezone.now()
    urgent = []
    wanted = dict(wanted)
    evidence = {"as_of": today.isoformat(), "latest_session_id": basis.latest_session_id,
                "measurement_id": basis.latest_measurement_id, "step": exercise.current_step}
    for flag in unresolved:
        want = wanted.pop(flag.kind, None)
        # The patient corrected or deleted this flag's evidence: a therapist resolves it, never the check.
        changed_by_patient = flag.evidence.get(EVIDENCE_CHANGED)
        if want is None and changed_by_patient:
            continue
        if want is None:
            flag.status = Flag.Status.RESOLVED
            flag.resolved_at = now
            flag.resolution_note = ENGINE_CLEARED_NOTE.format(date=format_date(today))
            flag.save(update_fields=["status", "resolved_at", "resolution_note", "updated_at"])
            continue
        reasons = [changed_by_patient["note"], want.reason] if changed_by_patient else [want.reason]
        changes = {"severity": want.severity, "reasons": reasons, "rules": [want.rule],
                   "basis": want.basis, "suggested_step": want.suggested_step, "decision": decision["decision"]}
        changed = [name for name, value in changes.items() if getattr(flag, name) != value]
        if "basis" in changed and flag.status == Flag.Status.ACKNOWLEDGED:
            # New evidence (a new red session, a new week) is a new thing for the therapist to see:
            # back to open, and an urgent one is e-mailed again.
            flag.status, flag.acknowledged_at, flag.acknowledged_by = Flag.Status.OPEN, None, None
            changed += ["status", "acknowledged_at", "acknowledged_by"]
        if "basis" in changed and flag.notified_at is not None:
            flag.notified_at = None
            changed.append("notified_at")
        if changed:
            for name in changed:
                if name in changes:
                    setattr(flag, name, changes[name])
            flag.evidence = {**evidence, EVIDENCE_CHANGED: changed_by_patient} if changed_by_patient else evidence
            flag.save(update_fields=[*changed, "evidence", "updated_at"])
        if flag.severity == Flag.Severity.URGENT and flag.notified_at is None:
            urgent.append(flag)
    for want in wanted.values():
        if (exercise.pk, want.kind, want.basis) in resolved_bases:
            continue  # resolved by the therapist for this very thing: never flag it twice
        flag = Flag.objects.create(
            patient_id=exercise.assignment.patient_id, exercise=exercise, kind=want.kind, severity=want.severity,
            decision=decision["decision"], suggested_step=want.suggested_step, rules=[want.rule],
            reasons=[want.reason], evidence=evidence, basis=want.basis,
        )
        if flag.severity == Flag.Severity.URGENT:
            urgent.append(flag)
    return urgent


# What a check raises for a ladder exercise that is no longer in the current phase (a session back-dated
# or sent from an offline queue after a phase change): what its own sessions say about the knee. Plan-wide
# flags (adherence, improvement) belong to the current exercises; next-step flags and suggestions do not
# apply to an exercise the patient no longer does.
EARLIER_PHASE_FLAG_KINDS = frozenset({"pain_red", "morning_pain", "effusion", "worsening_trend"})


def _apply_step(*, basis, decision: dict, auto_progress: bool, today: dt.date) -> str:
    """Apply a decision's step change, once per piece of evidence; returns what was applied.

    A regression (R1, R3) applies unless one was already decided on the
    evidence behind its rule: the latest session for R1, the two latest
    sessions and their next-morning check-ins for R3. The bookkeeping is the
    exercise's `regress_decided_through`, written under the check's lock, so
    running a check twice never steps down twice, an unrelated entry (a
    measurement, a later check-in) does not repeat it, and a step change made
    in between, such as a progression approved after the red session was
    logged, never cancels it: safety wins the race. The step goes down one
    from the current step, as the engine says.

    A progression applies (only when the clinic allows it) on evidence newer
    than the latest step change of any kind.
    """
    exercise = basis.exercise
    target = decision["next_step"]
    if basis.latest_session_created is None or basis.latest_evidence is None:
        return ""
    if decision["decision"] == "regress":
        recorded = basis.regress_evidence[decision["rules"][0]]
        decided = exercise.regress_decided_through
        if decided is not None and recorded <= decided:
            return ""  # this evidence has had its regression
        AssignedExercise.objects.filter(pk=exercise.pk).update(regress_decided_through=recorded)
        exercise.regress_decided_through = recorded
        if target == exercise.current_step:
            return ""  # at the easiest step: nothing lower, the flag says it all
        applied = "regressed"
    elif decision["decision"] == "progress" and auto_progress:
        changed = basis.step_version_created
        if (changed is not None and basis.latest_evidence <= changed) or target == exercise.current_step:
            return ""
        applied = "progressed"
    else:
        return ""
    version = step_change(exercise=exercise, step=target, effective_date=today, source=ChangeSource.ENGINE,
                          reason=decision["reasons"][0], rules=decision["rules"][:1])
    exercise.current_step = target
    basis.step_version_id, basis.step_version_created = version.pk, version.created_at
    return applied


def _lock_plans(assignment_ids: list[int], *, today: dt.date | None) -> list[AssignedExercise]:
    """Lock plans in the one order used everywhere, and return the ladder exercises to check.

    The active assignments first (by id), then the exercises to check (by id):
    the check batches and flag approvals take them in this order, so they never
    wait on each other in a cycle, and a check and an approval of one exercise
    run one after the other. Each exercise's step and regression bookkeeping
    are read under the lock. Besides the current phase's ladder exercises,
    earlier phases' ones with a session dated within the back-dating limit are
    checked (`selectors.ladder_exercises_to_check`).
    """
    current_phases = dict(
        selectors.with_current_phase(Assignment.objects.select_for_update()
                                     .filter(pk__in=assignment_ids, status=Assignment.Status.ACTIVE))
        .order_by("pk").values_list("pk", "current_phase_id")
    )
    # A day of slack: `today` may be a clinic's, a day ahead of the server's in some time zones.
    since = (today or timezone.localdate()) - dt.timedelta(days=BACKDATE_LIMIT_DAYS + 1)
    exercises = selectors.ladder_exercises_to_check(current_phases=current_phases, sessions_since=since)
    locked = {pk: (step, decided) for pk, step, decided in
              AssignedExercise.objects.select_for_update().filter(pk__in=[e.pk for e in exercises])
              .order_by("pk").values_list("pk", "current_step", "regress_decided_through")}
    for exercise in exercises:
        exercise.current_step, exercise.regress_decided_through = locked[exercise.pk]
    return exercises


def _check_locked(exercises: list[AssignedExercise], *, today: dt.date | None, notify: bool) -> list[CheckOutcome]:
    """Run the engine for exercises locked by `_lock_plans` and apply its decisions (inside their transaction)."""
    from patients.models import ProgressionCheck

    outcomes: list[CheckOutcome] = []
    urgent_ids: list[int] = []
    days = {e.pk: today or clinic_today(e.assignment.patient.clinic) for e in exercises}
    bases = []
    for day in sorted(set(days.values())):
        bases += selectors.engine_inputs(exercises=[e for e in exercises if days[e.pk] == day], today=day)
    unresolved: dict[int, list[Flag]] = {}
    for flag in Flag.objects.filter(exercise_id__in=days, status__in=[Flag.Status.OPEN, Flag.Status.ACKNOWLEDGED]):
        unresolved.setdefault(flag.exercise_id, []).append(flag)
    existing = {(c.exercise_id, c.as_of): c.applied for c in
                ProgressionCheck.objects.filter(exercise_id__in=days, as_of__in=set(days.values()))}
    decided = []
    for basis in bases:
        exercise = basis.exercise
        day = days[exercise.pk]
        try:
            decision = engine.evaluate(basis.engine_input)
        except engine.EngineInputError as error:
            logger.warning("check skipped for exercise %s: invalid engine input at %s", exercise.pk, error.field)
            continue
        settings_row = getattr(exercise.assignment.patient.clinic, "settings", None)
        current = exercise.in_current_phase
        auto = bool(current and settings_row and settings_row.auto_apply_progressions)
        checked_step = exercise.current_step
        applied = _apply_step(basis=basis, decision=decision, auto_progress=auto, today=day)
        suggest = current and decision["decision"] == "progress" and applied != "progressed"
        wanted = _wanted_flags(basis, decision, day, suggest)
        if not current:
            wanted = {kind: want for kind, want in wanted.items() if kind in EARLIER_PHASE_FLAG_KINDS}
        decided.append((basis, decision, wanted, day, checked_step, applied))
    wanted_bases = {want.basis for _, _, wanted, *_ in decided for want in wanted.values()}
    resolved_bases = set(
        Flag.objects.filter(exercise_id__in=days, status=Flag.Status.RESOLVED, basis__in=wanted_bases)
        .values_list("exercise_id", "kind", "basis")
    )
    checks = []
    for basis, decision, wanted, day, checked_step, applied in decided:
        urgent = _sync_flags(basis=basis, decision=decision, wanted=wanted,
                             unresolved=unresolved.get(basis.exercise.pk, []),
                             resolved_bases=resolved_bases, today=day)
        urgent_ids += [flag.pk for flag in urgent]
        checks.append(ProgressionCheck(
            exercise=basis.exercise, as_of=day, decision=decision["decision"], current_step=checked_step,
            next_step=decision["next_step"], rules=decision["rules"], reasons=decision["reasons"],
            flags=decision["flags"], applied=applied or existing.get((basis.exercise.pk, day), ""),
        ))
        outcomes.append(CheckOutcome(basis.exercise.pk, decision, applied, [f.pk for f in urgent],
                                     basis.exercise.in_current_phase))
    ProgressionCheck.objects.bulk_create(
        checks, update_conflicts=True, unique_fields=["exercise", "as_of"],
        update_fields=["decision", "current_step", "next_step", "rules", "reasons", "flags", "applied",
                       "updated_at"],
    )
    if notify:
        # Decided with the flags, in their transaction: the e-mails go out after it commits.
        for flag_id in urgent_ids:
            flag_notify_urgent(flag_id=flag_id)
    return outcomes


def assignments_check(*, assignment_ids: list[int], today: dt.date | None = None,
                      notify: bool = True) -> list[CheckOutcome]:
    """Run the progression engine for the ladder exercises of these active assignments.

    One transaction holding the plans' locks (`_lock_plans`: assignments, then
    exercises), so checks and approvals of the same plan run one after the
    other; the reads take a fixed number of queries for the whole batch. Per
    exercise it records the day's check (re-running the same day updates the
    same row), applies a regression at once (a progression only when the
    clinic allows it, otherwise a suggestion flag), and opens, updates or
    resolves flags so that at most one per kind is unresolved. An exercise of
    an earlier phase with a recent session is checked too: a regression
    applies to it and only flags about the knee are raised (red pain is urgent
    whichever phase the session belongs to). Urgent flags are e-mailed to the
    therapist after commit (unless notify is off, as for demo data).
    """
    with transaction.atomic():
        exercises = _lock_plans(assignment_ids, today=today)
        return _check_locked(exercises, today=today, notify=notify)


def enqueue_assignment_check(assignment_id: int) -> None:
    """Check the assignment once the current transaction commits (never inside it)."""
    from patients.tasks import evaluate_assignment

    transaction.on_commit(lambda: enqueue_soon(evaluate_assignment, assignment_id))


# ---------------------------------------------------------------------------
# Flag actions by therapists
# ---------------------------------------------------------------------------


def _locked_unresolved(flag: Flag) -> Flag:
    flag = Flag.objects.select_for_update(of=("self",)).select_related("exercise").get(pk=flag.pk)
    if flag.status == Flag.Status.RESOLVED:
        raise ValidationError({"flag": "This flag is already resolved."})
    return flag


def _check_typed_note(note: str) -> None:
    """A note a therapist typed on a flag: at most NOTE_MAX_LENGTH characters, as the form and the API allow."""
    if len(note) > NOTE_MAX_LENGTH:
        raise ValidationError({"note": f"Keep the note to {NOTE_MAX_LENGTH} characters (it has {len(note)})."})


def _resolve(flag: Flag, *, user, note: str) -> Flag:
    from django.utils import timezone


    flag.status = Flag.Status.RESOLVED
    flag.resolved_at = timezone.now()
    flag.resolved_by = user
    flag.resolution_note = note
    flag.save(update_fields=["status", "resolved_at", "resolved_by", "resolution_note", "updated_at"])
    return flag


class ApprovalRefused(ValidationError):
    """The latest evidence no longer supports the suggested progression; the message says why."""


def flag_approve(*, flag: Flag, user, today: dt.date) -> StepVersion:
    """Approve a progression suggestion, on the latest evidence: the new step applies from today.

    Under the plan's locks (the order of the checks: assignment, exercises,
    then the flag), the check is first run again with the same code as the
    task. Only if it still suggests this very step is the step changed and the
    flag resolved as approved. Otherwise the check's own work stands (a
    regression applied, the suggestion cleared or updated, a red-pain flag
    raised), and ApprovalRefused says why.
    """
    with transaction.atomic():
        exercise = Flag.objects.select_related("exercise").get(pk=flag.pk).exercise
        exercises = _lock_plans([exercise.assignment_id], today=today)
        flag = _locked_unresolved(flag)
        if flag.kind != Flag.Kind.PROGRESSION or flag.suggested_step is None:
            raise ValidationError({"flag": "Only progression suggestions can be approved."})
        suggested = flag.suggested_step
        outcome = next((o for o in _check_locked(exercises, today=today, notify=True)
                        if o.exercise_id == flag.exercise_id), None)
        if outcome and outcome.applied == "progressed" and outcome.decision["next_step"] == suggested:
            return StepVersion.objects.filter(exercise_id=flag.exercise_id).latest()  # the clinic's auto-apply did it
        refusal = _approval_refusal(outcome, suggested)
        if refusal is None:
            flag.refresh_from_db()
            version = step_change(
                exercise=flag.exercise, step=suggested, effective_date=today, source=ChangeSource.THERAPIST,
                changed_by=user, rules=flag.rules[:1],
                reason="Approved the suggested progression: " + " ".join(flag.reasons),
            )
            _resolve(flag, user=user, note="Approved.")
            return version
    # Outside the transaction, so the check's work above is kept when the approval is refused.
    logger.info("progression approval refused for flag %s by user %s", flag.pk, getattr(user, "pk", None))
    raise ApprovalRefused({"flag": refusal})


def _approval_refusal(outcome: CheckOutcome | None, suggested: int) -> str | None:
    """Why a suggestion cannot be approved on the latest evidence, or None if it can."""
    if outcome is None or not outcome.in_current_phase:
        return "Not approved: this exercise is no longer in the plan's current phase."
    decision = outcome.decision
    if decision["decision"] != "progress":
        return "Not approved: the latest check no longer suggests moving up. " + decision["reasons"][0]
    if outcome.applied or decision["next_step"] != suggested:
        return "Not approved: the plan changed since this suggestion; see the latest one."
    return None


@transaction.atomic
def flag_decline(*, flag: Flag, user, note: str = "") -> Flag:
    """Decline a progression suggestion; it is not suggested again for the same step this week."""
    flag = _locked_unresolved(flag)
    if flag.kind != Flag.Kind.PROGRESSION:
        raise ValidationError({"flag": "Only progression suggestions can be declined."})
    _check_typed_note(note)
    return _resolve(flag, user=user, note=("Declined. " + note).strip())


@transaction.atomic
def flag_acknowledge(*, flag: Flag, user) -> Flag:
    """Mark a flag as seen; it stays unresolved until its condition clears or someone resolves it."""
    from django.utils import timezone

    flag = _locked_unresolved(flag)
    if flag.status == Flag.Status.OPEN:
        flag.status = Flag.Status.ACKNOWLEDGED
        flag.acknowledged_at = timezone.now()
        flag.acknowledged_by = user
        flag.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "updated_at"])
    return flag


@transaction.atomic
def flag_resolve(*, flag: Flag, user, note: str) -> Flag:
    """Resolve a flag with a note; the checks will not raise it again for the same thing."""
    if not note or not note.strip():
        raise ValidationError({"note": "Say how this was resolved."})
    _check_typed_note(note)
    return _resolve(_locked_unresolved(flag), user=user, note=note.strip())


# ---------------------------------------------------------------------------
# Nightly sweep and e-mails
# ---------------------------------------------------------------------------

SWEEP_LOCAL_HOUR = 2
DIGEST_LOCAL_HOUR = 7


def _clinic_local_now(clinic, now=None):
    import zoneinfo

    from django.utils import timezone

    return timezone.localtime(now or timezone.now(), zoneinfo.ZoneInfo(clinic.timezone))


# A claim whose batches were never marked accepted after this long belongs to a process that died
# mid-publish: the next hourly tick takes it over.
SWEEP_RECLAIM_AFTER = dt.timedelta(minutes=30)


def _sweep_claims(*, now=None) -> list[SweepRun]:
    """Claim, for each clinic past 02:00 local time, its local date's sweep; return the claims made.

    The claim is a unique row, so two beats or two workers never sweep a clinic
    twice for one day. A row is only a claim until the sweep's batches are
    accepted (`enqueued_at`): one still unfinished after SWEEP_RECLAIM_AFTER is
    taken over, by a conditional update that only one tick can win.
    """
    from clinic.models import Clinic

    now = now or timezone.now()
    claims = []
    for clinic in Clinic.objects.filter(is_active=True).order_by("pk"):
        local = _clinic_local_now(clinic, now)
        if local.hour < SWEEP_LOCAL_HOUR:
            continue
        run, created = SweepRun.objects.get_or_create(clinic=clinic, local_date=local.date())
        if not created:
            abandoned = SweepRun.objects.filter(pk=run.pk, enqueued_at__isnull=True,
                                                started_at__lte=now - SWEEP_RECLAIM_AFTER)
            if not abandoned.update(started_at=now):
                continue
        claims.append(run)
    return claims


def clinics_due_for_sweep(*, now=None) -> list[int]:
    """Clinics whose sweep for their local date this call claimed (see `_sweep_claims`)."""
    return [run.clinic_id for run in _sweep_claims(now=now)]


def sweeps_run(*, now=None) -> list[int]:
    """The nightly sweep: check every active assignment of each due clinic; returns the clinics swept.

    Each clinic's claim is completed (with the number of assignments) only
    after the broker accepted every batch of its checks. If the broker refuses
    one, the claim is released, so the next hourly tick sweeps the clinic again
    instead of leaving it unchecked until the next night; batches already sent
    are checked twice at most, which the checks make harmless.
    """
    from patients.tasks import publish_checks  # tasks import this module: a real cycle

    now = now or timezone.now()
    swept = []
    for run in _sweep_claims(now=now):
        ids = selectors.active_assignment_ids(clinic_id=run.clinic_id)
        try:
            publish_checks(ids)
        except Exception:
            logger.warning("sweep of clinic %s for %s not sent (broker error): released for the next tick",
                           run.clinic_id, run.local_date, exc_info=True)
            SweepRun.objects.filter(pk=run.pk, enqueued_at__isnull=True).delete()
            continue
        SweepRun.objects.filter(pk=run.pk).update(enqueued_at=timezone.now(), assignments=len(ids))
        swept.append(run.clinic_id)
    return swept


CATCH_UP_DAYS = 2


def assignments_with_unchecked_evidence(*, now=None, skip_clinic_ids=()) -> list[int]:
    """Active assignments with a session, check-in or measurement saved after their latest check.

    Each save enqueues its check after commit; when that message is lost (broker
    down or hung, a process killed between commit and publish), the hourly tick
    finds the entry here, so it is checked within the hour after the broker is
    back rather than at the next night's sweep. Only entries of the last
    CATCH_UP_DAYS are read (older ones have been swept); five queries.
    """
    from django.db.models import Exists, Max, OuterRef
    from django.utils import timezone

    from patients.models import ProgressionCheck
    from protocols.models import LADDER_KINDS

    since = (now or timezone.now()) - dt.timedelta(days=CATCH_UP_DAYS)
    live = {"status": Assignment.Status.ACTIVE, "patient__clinic__is_active": True}
    sessions = (
        SessionLog.objects.filter(created_at__gte=since, exercise__kind__in=LADDER_KINDS,
                                  **{f"exercise__assignment__{name}": value for name, value in live.items()})
        .exclude(patient__clinic_id__in=skip_clinic_ids)
        .filter(~Exists(ProgressionCheck.objects.filter(exercise_id=OuterRef("exercise_id"),
                                                        updated_at__gte=OuterRef("created_at"))))
    )
    stale = set(sessions.values_list("exercise__assignment_id", flat=True))
    # Check-ins and measurements belong to the patient: compare with the latest check of each active plan.
    latest: dict[int, dt.datetime] = {}
    for model, stamp in ((MorningCheckIn, "updated_at"), (Measurement, "created_at")):
        rows = (model.objects.filter(**{f"{stamp}__gte": since}).exclude(patient__clinic_id__in=skip_clinic_ids)
                .order_by().values("patient_id").annotate(at=Max(stamp)).values_list("patient_id", "at"))
        for patient_id, at in rows:
            latest[patient_id] = max(at, latest.get(patient_id, at))
    if latest:
        plans = dict(Assignment.objects.filter(patient_id__in=latest, **live).values_list("pk", "patient_id"))
        checked = dict(
            ProgressionCheck.objects.filter(exercise__assignment_id__in=plans).order_by()
            .values("exercise__assignment_id").annotate(at=Max("updated_at"))
            .values_list("exercise__assignment_id", "at")
        )
        stale.update(pk for pk, patient_id in plans.items() if pk not in checked or checked[pk] < latest[patient_id])
    return sorted(stale)


def _flag_link(flag_id: int | None = None) -> str:
    from django.conf import settings
    from django.urls import reverse

    return settings.SITE_URL + reverse("patients:flags")


def _staff_to_tell(patient: Patient) -> list:
    """Who hears about a patient's urgent flag: their therapist, or the clinic's admins when there is none."""
    from clinic.models import Membership, User

    if patient.therapist_id and patient.therapist.is_active:
        return [patient.therapist]
    return list(User.objects.filter(
        pk__in=Membership.objects.filter(clinic_id=patient.clinic_id, role=Membership.Role.ADMIN).values("user_id"),
        is_active=True,
    ).order_by("pk"))


@transaction.atomic
def flag_notify_urgent(*, flag_id: int) -> int:
    """Queue the e-mail about an urgent flag to the patient's therapist (or the clinic admins), once.

    Once per piece of evidence: `notified_at` records that the e-mail was
    decided, and only new evidence clears it (`_sync_flags`). The e-mails are
    Notification rows written here and sent after commit, retried, and shown
    to the clinic's admins if they still fail. They name no pain score,
    diagnosis or patient name: only the clinic's reference and a link into
    Backstep, where the details are. Returns how many e-mails were queued.
    """
    flag = (Flag.objects.select_for_update(of=("self",)).select_related("patient__therapist", "patient__clinic")
            .filter(pk=flag_id).first())
    if flag is None or flag.notified_at is not None or flag.status == Flag.Status.RESOLVED:
        return 0
    recipients = _staff_to_tell(flag.patient)
    reference = flag.patient.external_ref or f"#{flag.patient_id}"
    body = render_to_string("emails/urgent_flag.txt", {"reference": reference, "link": _flag_link()})
    for user in recipients:
        notification_queue(kind=Notification.Kind.URGENT_FLAG, clinic=flag.patient.clinic, recipient=user,
                           flag=flag, subject=f"Backstep: urgent flag for patient {reference}", body=body)
    flag.notified_at = timezone.now()
    flag.save(update_fields=["notified_at"])
    logger.info("urgent flag %s: e-mail queued for %d recipient(s)", flag.pk, len(recipients))
    return len(recipients)


def daily_digests_send(*, now=None) -> int:
    """From 07:00 clinic time, queue each therapist one e-mail a day counting their new flags; returns how many."""
    from clinic.models import Clinic, Membership
    from patients.models import DigestLog

    sent = 0
    for clinic in Clinic.objects.filter(is_active=True).order_by("pk"):
        local = _clinic_local_now(clinic, now)
        if local.hour < DIGEST_LOCAL_HOUR:
            continue
        since = local.replace(hour=DIGEST_LOCAL_HOUR, minute=0, second=0, microsecond=0) - dt.timedelta(days=1)
        staff = Membership.objects.filter(clinic=clinic, user__is_active=True).select_related("user")
        for membership in staff:
            user = membership.user
            flags = Flag.objects.filter(patient__clinic=clinic, patient__therapist=user, created_at__gte=since,
                                        status__in=[Flag.Status.OPEN, Flag.Status.ACKNOWLEDGED])
            count = flags.count()
            with transaction.atomic():
                _log, created = DigestLog.objects.get_or_create(
                    user=user, local_date=local.date(), defaults={"flag_count": count}
                )
                if not created or count == 0:
                    continue
                urgent = flags.filter(severity=Flag.Severity.URGENT).count()
                body = render_to_string("emails/daily_digest.txt",
                                        {"count": count, "urgent": urgent, "link": _flag_link()})
                # The digest's row and its e-mail commit together: a day's digest is decided once, sent after.
                notification_queue(kind=Notification.Kind.DAILY_DIGEST, clinic=clinic, recipient=user, body=body,
                                   subject=f"Backstep: {count} new flag{'s' if count != 1 else ''} today")
                sent += 1
    return sent


# ---------------------------------------------------------------------------
# Invitations: a one-time link to set a password
# ---------------------------------------------------------------------------

INVITATION_DAYS = 7


class InvitationInvalid(Exception):
    """The link cannot be used: `reason` is "unknown", "used" or "expired"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@transaction.atomic
def invitation_create(*, patient: Patient, created_by=None, send: bool = True):
    """Create a one-time invitation (valid 7 days) and e-mail its link; returns (invitation, link).

    Earlier unused invitations of the patient stop working: only the newest link counts.
    """
    import secrets

    from django.conf import settings
    from django.template.loader import render_to_string
    from django.urls import reverse
    from django.utils import timezone

    from patients.models import Invitation

    if not patient.email:
        raise ValidationError({"email": "Add the patient's e-mail address before inviting them."})
    now = timezone.now()
    Invitation.objects.filter(patient=patient, used_at__isnull=True, expires_at__gt=now).update(expires_at=now)
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        patient=patient, token_hash=token_hash(token), created_by=created_by,
        expires_at=now + dt.timedelta(days=INVITATION_DAYS),
    )
    link = settings.SITE_URL + reverse("patients:invitation", args=[token])
    if send:
        body = render_to_string("emails/invitation.txt", {"clinic": patient.clinic.name, "link": link,
                                                          "days": INVITATION_DAYS,
                                                          "guide": clinic_guidance(patient.clinic)})
        email_send(subject=f"Your Backstep invitation from {patient.clinic.name}", body=body, to=[patient.email])
    logger.info("invitation %s created for patient %s", invitation.pk, patient.pk)
    return invitation, link


def invitation_check(token: str):
    """The usable invitation for `token`, or InvitationInvalid saying why not."""
    from django.utils import timezone

    from patients.models import Invitation

    invitation = Invitation.objects.select_related("patient__clinic", "patient__user").filter(
        token_hash=token_hash(token)).first()
    if invitation is None:
        raise InvitationInvalid("unknown")
    if invitation.used_at is not None:
        raise InvitationInvalid("used")
    if invitation.expires_at <= timezone.now():
        raise InvitationInvalid("expired")
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, password: str | None = None, proven=None):
    """Use an invitation by the one rule of clinic.invitations; returns the user to sign in.

    No login yet: it is created with `password` (already checked by Django's
    validators; the form does that). An existing login is attached only for
    `proven`, an account the invitee has shown they own (signed in as it, or
    its password typed), and keeps its password. ValidationError otherwise,
    with nothing changed and the invitation still open.
    """
    from django.utils import timezone

    from patients.models import Invitation

    invitation = invitation_check(token)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.used_at is not None:  # a double submit that lost the race
        raise InvitationInvalid("used")
    patient = invitation.patient
    offer = invitation_offer(patient)
    decision = invitation_account(email=patient.email, offer=offer, holder=patient.user, proven=proven)
    if decision.outcome is Outcome.CREATE and not password:
        raise ValidationError({"password1": "Choose a password."})
    user = invitation_account_claim(email=patient.email, offer=offer, holder=patient.user, proven=proven,
                                    password=password, first_name=patient.first_name, last_name=patient.last_name)
    if patient.user_id != user.pk:
        patient.user = user
        patient.save(update_fields=["user"])
    invitation.used_at = timezone.now()
    invitation.save(update_fields=["used_at"])
    logger.info("invitation %s accepted (%s) for patient %s", invitation.pk, decision.outcome.value, patient.pk)
    return user


@transaction.atomic
def assignment_end(*, assignment: Assignment, end_date: dt.date, status: str = Assignment.Status.COMPLETED,
                   changed_by=None) -> Assignment:
    """End a running plan (completed or stopped) so the patient can be given a new one."""
    if status not in (Assignment.Status.COMPLETED, Assignment.Status.STOPPED):
        raise ValidationError({"status": "A plan ends as completed or stopped."})
    if assignment.status != Assignment.Status.ACTIVE:
        raise ValidationError({"assignment": "This plan has already ended."})
    if end_date < assignment.start_date:
        raise ValidationError({"end_date": "The end date cannot be before the plan started."})
    sane_clinic_date(end_date, "end_date", today=clinic_today(assignment.patient.clinic), within=PLAN_DATES)
    assignment.end_date, assignment.status = end_date, status
    assignment.full_clean(validate_constraints=False)
    assignment.save(update_fields=["end_date", "status"])
    logger.info("assignment %s ended (%s) by user %s", assignment.pk, status, getattr(changed_by, "pk", None))
    return assignment


def invitation_revoke(*, patient: Patient) -> int:
    """Make the patient's unused invitation links stop working; returns how many were open."""
    from django.utils import timezone

    from patients.models import Invitation

    now = timezone.now()
    return Invitation.objects.filter(patient=patient, used_at__isnull=True, expires_at__gt=now).update(expires_at=now)


# --- added for thin views (issue 14) ---


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


class CheckInOutcome(Enum):
    SAVED = "saved"  # recorded: a first answer for the morning, or a confirmed (or identical) second one
    REPLAYED = "replayed"  # this very answer was saved before (a retry, the offline outbox): nothing changed


@dataclass(frozen=True)
class CheckInAnswer:
    checkin: MorningCheckIn
    outcome: CheckInOutcome


class CheckInNeedsConfirmation(ValidationError):
    """A different pain for a morning already answered: the patient confirms before it replaces the first answer.

    `existing` is the saved answer, shown beside the new one.
    """

    def __init__(self, existing: MorningCheckIn):
        super().__init__({"pain": "This morning was already answered: confirm to replace the answer."})
        self.existing = existing


@transaction.atomic
def checkin_answer(*, patient: Patient, date: dt.date, today: dt.date, pain: int, client_uuid: uuid.UUID,
                   confirmed: bool = False) -> CheckInAnswer:
    """The morning answer from the phone: saved, recognised as a replay, or held for the patient to confirm.

    An answer whose client UUID is already saved is a replay and changes
    nothing (never asked to confirm, even after midnight). A different pain
    for a morning already answered raises CheckInNeedsConfirmation unless
    `confirmed`; the same pain again is simply saved. Recording is
    `checkin_record`'s.
    """
    replayed = MorningCheckIn.objects.filter(patient=patient, client_uuid=client_uuid).first()
    if replayed is not None:
        return CheckInAnswer(replayed, CheckInOutcome.REPLAYED)
    existing = MorningCheckIn.objects.filter(patient=patient, date=date).first()
    if existing is not None and existing.pain != pain and not confirmed:
        raise CheckInNeedsConfirmation(existing)
    checkin, _created = checkin_record(patient=patient, date=date, today=today, pain=pain, client_uuid=client_uuid)
    return CheckInAnswer(checkin, CheckInOutcome.SAVED)
