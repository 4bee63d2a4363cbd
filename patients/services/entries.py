"""What a patient enters: sessions (and their own corrections within 24 hours), morning check-ins, and the
clinic's measurements.

Each entry is saved once per client UUID (a retry or an offline replay is the
same entry) and asks for its plan's progression check after commit, by task
name (`clinic.celery`), so the web request never waits for the engine.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass
from enum import Enum

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.celery import enqueue_soon
from clinic.clock import clinic_today
from clinic.dates import MEASUREMENT_DATES, sane_clinic_date
from patients.models import (
    SESSION_DOSE_FIELDS,
    AssignedExercise,
    Assignment,
    Flag,
    Measurement,
    MorningCheckIn,
    Patient,
    SessionLog,
)
from patients.reason_messages import note as reason_note
from patients.selectors import step_in_force

logger = logging.getLogger(__name__)


BACKDATE_LIMIT_DAYS = 14
# Tasks are enqueued by name (clinic.celery): patients.tasks imports the services, never the other way round.
EVALUATE_ASSIGNMENT = "patients.evaluate_assignment"


@dataclass(frozen=True)
class SavedSession:
    session: SessionLog
    created: bool


def validate_session_date(*, date: dt.date, today: dt.date) -> None:
    if date > today:
        raise ValidationError({"date": _("A session cannot be logged in the future.")})
    if date < today - dt.timedelta(days=BACKDATE_LIMIT_DAYS):
        raise ValidationError({"date": _("Sessions can be back-dated by %(days)d days at most.")
            % {"days": BACKDATE_LIMIT_DAYS}})


_SESSION_FIELDS = ("exercise_id", "date", "completed", "duration_min", "speed_kmh", "incline_pct", "sets", "reps",
                   "hold_seconds", "pain_during", "pain_after", "rpe", "notes")


def _require_amount(session: SessionLog) -> None:
    """A session says how much was done: minutes, or sets (what the exercise logs, see logged_fields)."""
    if session.duration_min is None and session.sets is None:
        field = session.exercise.logged_fields[0]
        raise ValidationError({field: _("Say how much you did: minutes, or the sets you did.")})


def _check_session_day(*, date: dt.date, today: dt.date, assignment: Assignment) -> None:
    """A day a session may be logged (or corrected) for: not ahead, not too far back, not before the plan."""
    validate_session_date(date=date, today=today)
    if date < assignment.start_date:
        raise ValidationError({"date": _("This date is before your plan started.")})


def _session_insert(session: SessionLog) -> SessionLog | None:
    """Save a new session and ask for its plan's check after commit.

    Returns None, or the row saved by a concurrent request with the same client
    UUID that won the race (the caller compares it with this one).
    """
    _require_amount(session)
    # The patient and the exercise are rows we hold: re-reading them to check they exist
    # would cost two queries per logged session (the foreign keys still guard the insert).
    session.full_clean(exclude=["patient", "exercise"], validate_constraints=False)
    try:
        with transaction.atomic():
            session.save()
            enqueue_assignment_check(session.exercise.assignment_id)
    except IntegrityError:
        return SessionLog.objects.get(patient_id=session.patient_id, client_uuid=session.client_uuid)
    return None


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
        raise ValidationError({"exercise": _("This exercise is not part of your plan.")})
    existing = SessionLog.objects.filter(patient=patient, client_uuid=client_uuid).first() if client_uuid else None
    if date is None:
        date = existing.date if existing is not None else today
    if existing is None:
        if exercise.assignment.status != Assignment.Status.ACTIVE:
            raise ValidationError({"exercise": _("This plan has ended: log sessions of your current plan.")})
        _check_session_day(date=date, today=today, assignment=exercise.assignment)
    session = SessionLog(
        patient=patient, exercise=exercise, date=date, step=step_in_force(exercise=exercise, date=date),
        completed=completed, duration_min=duration_min, speed_kmh=speed_kmh, incline_pct=incline_pct, sets=sets,
        reps=reps, hold_seconds=hold_seconds, pain_during=pain_during, pain_after=pain_after, rpe=rpe,
        notes=notes or "", client_uuid=client_uuid or uuid.uuid4(),
    )
    if existing is None:
        existing = _session_insert(session)
        if existing is None:
            return SavedSession(session, True)
    if any(getattr(existing, f) != getattr(session, f) for f in _SESSION_FIELDS):
        raise IdempotencyConflict({"client_uuid": _("This entry was already sent with different details.")})
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
        raise ValidationError({"session": _("Only the patient who logged a session can change it.")})
    if now >= session.correctable_until():
        raise ValidationError({"session": _("Sessions can be corrected or deleted for 24 hours after they are "
                                          "logged. Please tell your clinic instead.")})
    return session


def _padded(messages: list | None, texts: list) -> list:
    """A flag's messages, one per reason (None where a reason has none, as on rows from before messages)."""
    messages = list(messages or [])
    return messages + [None] * (len(texts) - len(messages))


def _keep_flags_for_review(session: SessionLog, *, what: str, now: dt.datetime) -> list[int]:
    """Flags raised on this session stay open for the therapist, saying the patient changed their evidence.

    The check that re-runs after a correction or a deletion would otherwise
    clear, unseen, a flag whose evidence is gone (a red-pain session deleted
    after its regress). A progression suggestion is not kept: the re-run check
    decides afresh whether to suggest it. Returns the ids of the flags kept.
    """
    note = (f"The patient {what} the session of {session.date.isoformat()} this flag was raised on "
            f"({now:%Y-%m-%d %H:%M} UTC); review it before resolving.")
    utc = now.astimezone(dt.UTC)
    message = reason_note(f"flag.session_{what}", date={"date": session.date.isoformat()},
                          when={"date": utc.date().isoformat()}, time=f"{utc:%H:%M}")
    kept = []
    flags = (Flag.objects.select_for_update().filter(exercise_id=session.exercise_id,
                                                     status__in=[Flag.Status.OPEN, Flag.Status.ACKNOWLEDGED])
             .exclude(kind=Flag.Kind.PROGRESSION))
    for flag in flags:
        if flag.basis != f"session:{session.pk}" and flag.evidence.get("latest_session_id") != session.pk:
            continue
        flag.evidence = {**flag.evidence, EVIDENCE_CHANGED: {"session_id": session.pk, "what": what,
                                                             "at": now.isoformat(), "note": note,
                                                             "message": message}}
        kept_reasons = [(text, shown) for text, shown in zip(flag.reasons, _padded(flag.reason_messages, flag.reasons))
                        if text != note]
        flag.reasons = [note, *[text for text, _shown in kept_reasons]]
        flag.reason_messages = [message, *[shown for _text, shown in kept_reasons]]
        flag.status, flag.acknowledged_at, flag.acknowledged_by = Flag.Status.OPEN, None, None
        flag.save(update_fields=["evidence", "reasons", "reason_messages", "status", "acknowledged_at",
                                 "acknowledged_by", "updated_at"])
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
        _check_session_day(date=changes["date"], today=today, assignment=session.exercise.assignment)
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
    session.save(update_fields=[*changed, "updated_at"])
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


def enqueue_assignment_check(assignment_id: int) -> None:
    """Check the assignment once the current transaction commits (never inside it)."""
    transaction.on_commit(lambda: enqueue_soon(EVALUATE_ASSIGNMENT, assignment_id))


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
        super().__init__({"pain": _("This morning was already answered: confirm to replace the answer.")})
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
