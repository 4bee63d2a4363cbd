"""Progression checks: run the engine on a plan's evidence and apply its decisions.

`assignments_check` locks the plans (`_lock_plans`), reads the engine inputs
for the whole batch (`patients.selectors.engine_inputs`), applies a step
change where the rules say so (`_apply_step`), opens, updates or resolves the
flags (`_sync_flags`) and records the day's check; urgent flags are e-mailed
after commit (`patients.services.notifications`).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone, translation

from clinic.clock import clinic_today
from patients import selectors
from patients.models import OUTCOME_FLAG_KINDS, AssignedExercise, Assignment, ChangeSource, Flag, ProgressionCheck
from patients.services.entries import BACKDATE_LIMIT_DAYS, EVIDENCE_CHANGED
from patients.services.notifications import flag_notify_urgent
from patients.services.plans import step_change
from protocols import engine
from protocols.wording import format_date

logger = logging.getLogger(__name__)


ENGINE_CLEARED_NOTE = "Cleared by the check of {date}: the condition no longer applies."


@dataclass(frozen=True)
class WantedFlag:
    kind: str
    severity: str
    reason: str  # in English, as the engine's JSON has it
    basis: str
    rule: str
    suggested_step: int | None = None
    message: dict | None = field(default=None, hash=False)  # the reason's message, worded where shown


FLAG_RULES = {"low_adherence": "F1", "improved": "F2"}  # other flags come from the deciding rule


@dataclass
class CheckOutcome:
    exercise_id: int
    decision: dict
    applied: str = ""
    urgent_flag_ids: list[int] | None = None
    in_current_phase: bool = True


def _iso_week(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _flag_basis(kind: str, checked, today: dt.date) -> str:
    """What a flag is about, so a flag the therapist resolved is not raised again for the same thing."""
    version = f"version:{checked.step_version_id or 0}"
    return {
        "pain_red": f"session:{checked.latest_session_id}",
        "morning_pain": f"session:{checked.latest_session_id}",
        "effusion": f"measurement:{checked.latest_measurement_id}",
        "gate_not_met": f"{version}:measurement:{checked.latest_measurement_id or 0}",
        "needs_override": version,
        "ladder_complete": version,
        "progression": f"{version}:week:{_iso_week(today)}",
    }.get(kind, f"week:{_iso_week(today)}")


def _wanted_flags(checked, decision: dict, today: dt.date, suggest: bool) -> dict[str, WantedFlag]:
    wanted = {
        flag["kind"]: WantedFlag(flag["kind"], flag["severity"], flag["reason"],
                                 _flag_basis(flag["kind"], checked, today),
                                 rule=FLAG_RULES.get(flag["kind"], decision["rules"][0]),
                                 message=flag["reason_message"])
        for flag in decision["flags"]
    }
    if suggest:
        wanted["progression"] = WantedFlag(
            "progression", Flag.Severity.INFO, decision["reasons"][0], _flag_basis("progression", checked, today),
            rule=decision["rules"][0], suggested_step=decision["next_step"], message=decision["reason_messages"][0],
        )
    return wanted


def _sync_flags(*, checked, decision: dict, wanted: dict[str, WantedFlag], unresolved: list[Flag],
                resolved_bases: set[tuple[int, str, str]], today: dt.date) -> list[Flag]:
    """Open, update or resolve this exercise's flags; return flags that became urgent and need an e-mail."""
    exercise = checked.exercise
    now = timezone.now()
    urgent = []
    wanted = dict(wanted)
    evidence = {"as_of": today.isoformat(), "latest_session_id": checked.latest_session_id,
                "measurement_id": checked.latest_measurement_id, "step": exercise.current_step}
    for flag in unresolved:
        want = wanted.pop(flag.kind, None)
        if _flag_update(flag, want, decision=decision, evidence=evidence, today=today, now=now):
            urgent.append(flag)
    for want in wanted.values():
        if (exercise.pk, want.kind, want.basis) in resolved_bases:
            continue  # resolved by the therapist for this very thing: never flag it twice
        flag = Flag.objects.create(
            patient_id=exercise.assignment.patient_id, exercise=exercise, kind=want.kind, severity=want.severity,
            decision=decision["decision"], suggested_step=want.suggested_step, rules=[want.rule],
            reasons=[want.reason], reason_messages=[want.message], evidence=evidence, basis=want.basis,
        )
        if flag.severity == Flag.Severity.URGENT:
            urgent.append(flag)
    return urgent


def _flag_update(flag: Flag, want: WantedFlag | None, *, decision: dict, evidence: dict, today: dt.date,
                 now: dt.datetime) -> bool:
    """Bring one unresolved flag in line with the check (resolve it if no longer wanted); True if it needs its e-mail.

    A flag whose evidence the patient corrected or deleted stays for a
    therapist to resolve, never the check.
    """
    changed_by_patient = flag.evidence.get(EVIDENCE_CHANGED)
    if want is None:
        if not changed_by_patient:
            flag.status = Flag.Status.RESOLVED
            flag.resolved_at = now
            with translation.override("en"):  # stored text, read as the flag's English record
                flag.resolution_note = ENGINE_CLEARED_NOTE.format(date=format_date(today))
            flag.save(update_fields=["status", "resolved_at", "resolution_note", "updated_at"])
        return False
    reasons = [changed_by_patient["note"], want.reason] if changed_by_patient else [want.reason]
    messages = [changed_by_patient.get("message"), want.message] if changed_by_patient else [want.message]
    changes = {"severity": want.severity, "reasons": reasons, "reason_messages": messages, "rules": [want.rule],
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
    return flag.severity == Flag.Severity.URGENT and flag.notified_at is None


# What a check raises for a ladder exercise that is no longer in the current phase (a session back-dated
# or sent from an offline queue after a phase change): what its own sessions say about the knee. Plan-wide
# flags (adherence, improvement) belong to the current exercises; next-step flags and suggestions do not
# apply to an exercise the patient no longer does.
EARLIER_PHASE_FLAG_KINDS = frozenset({"pain_red", "morning_pain", "effusion", "worsening_trend"})


def _apply_step(*, checked, decision: dict, auto_progress: bool, today: dt.date) -> str:
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
    exercise = checked.exercise
    target = decision["next_step"]
    if checked.latest_session_created is None or checked.latest_evidence is None:
        return ""
    if decision["decision"] == "regress":
        recorded = checked.regress_evidence[decision["rules"][0]]
        decided = exercise.regress_decided_through
        if decided is not None and recorded <= decided:
            return ""  # this evidence has had its regression
        AssignedExercise.objects.filter(pk=exercise.pk).update(regress_decided_through=recorded)
        exercise.regress_decided_through = recorded
        if target == exercise.current_step:
            return ""  # at the easiest step: nothing lower, the flag says it all
        applied = "regressed"
    elif decision["decision"] == "progress" and auto_progress:
        changed = checked.step_version_created
        if (changed is not None and checked.latest_evidence <= changed) or target == exercise.current_step:
            return ""
        applied = "progressed"
    else:
        return ""
    version = step_change(exercise=exercise, step=target, effective_date=today, source=ChangeSource.ENGINE,
                          reason=decision["reasons"][0], reason_message=decision["reason_messages"][0],
                          rules=decision["rules"][:1])
    exercise.current_step = target
    checked.step_version_id, checked.step_version_created = version.pk, version.created_at
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


@dataclass
class _Decided:
    """One exercise's engine decision and what the check did about it, before its flags are synced."""

    checked: selectors.CheckInput
    decision: dict
    wanted: dict[str, WantedFlag]
    day: dt.date
    checked_step: int | None
    applied: str


def _check_inputs(exercises: list[AssignedExercise], days: dict[int, dt.date]) -> list[selectors.CheckInput]:
    """The engine inputs of the batch, read per day (a batch across time zones may span two clinic dates)."""
    inputs = []
    for day in sorted(set(days.values())):
        inputs += selectors.engine_inputs(exercises=[e for e in exercises if days[e.pk] == day], today=day)
    return inputs


def _decide(checked: selectors.CheckInput, day: dt.date) -> _Decided | None:
    """Run the engine on one exercise, apply its step change, and say which flags it wants (None: input refused)."""
    exercise = checked.exercise
    try:
        decision = engine.evaluate(checked.engine_input, messages=True)
    except engine.EngineInputError as error:
        logger.warning("check skipped for exercise %s: invalid engine input at %s", exercise.pk, error.field)
        return None
    settings_row = getattr(exercise.assignment.patient.clinic, "settings", None)
    current = exercise.in_current_phase
    auto = bool(current and settings_row and settings_row.auto_apply_progressions)
    checked_step = exercise.current_step
    applied = _apply_step(checked=checked, decision=decision, auto_progress=auto, today=day)
    suggest = current and decision["decision"] == "progress" and applied != "progressed"
    wanted = _wanted_flags(checked, decision, day, suggest)
    if not current:
        wanted = {kind: want for kind, want in wanted.items() if kind in EARLIER_PHASE_FLAG_KINDS}
    return _Decided(checked, decision, wanted, day, checked_step, applied)


def _check_row(decided: _Decided, applied_before: dict[tuple[int, dt.date], str]) -> ProgressionCheck:
    """The day's check of one exercise; a re-run the same day keeps what an earlier run of that day applied."""
    decision, exercise = decided.decision, decided.checked.exercise
    return ProgressionCheck(
        exercise=exercise, as_of=decided.day, decision=decision["decision"], current_step=decided.checked_step,
        next_step=decision["next_step"], rules=decision["rules"], reasons=decision["reasons"],
        reason_messages=decision["reason_messages"],
        flags=[{key: value for key, value in flag.items() if key != "reason_message"} for flag in decision["flags"]],
        applied=decided.applied or applied_before.get((exercise.pk, decided.day), ""),
    )


def _check_locked(exercises: list[AssignedExercise], *, today: dt.date | None, notify: bool) -> list[CheckOutcome]:
    """Run the engine for exercises locked by `_lock_plans` and apply its decisions (inside their transaction).

    The reads are per batch (engine inputs, unresolved flags, the day's earlier
    checks, resolved flags' bases), then each exercise is decided
    (`_decide`), its flags synced (`_sync_flags`), and the day's checks
    written in one upsert.
    """
    days = {e.pk: today or clinic_today(e.assignment.patient.clinic) for e in exercises}
    inputs = _check_inputs(exercises, days)
    unresolved: dict[int, list[Flag]] = {}
    for flag in Flag.objects.filter(exercise_id__in=days, status__in=[Flag.Status.OPEN, Flag.Status.ACKNOWLEDGED]
                                    ).exclude(kind__in=OUTCOME_FLAG_KINDS):
        unresolved.setdefault(flag.exercise_id, []).append(flag)
    applied_before = {(c.exercise_id, c.as_of): c.applied for c in
                      ProgressionCheck.objects.filter(exercise_id__in=days, as_of__in=set(days.values()))}
    decided = [found for found in (_decide(checked, days[checked.exercise.pk]) for checked in inputs) if found]
    resolved_bases = set(
        Flag.objects.filter(exercise_id__in=days, status=Flag.Status.RESOLVED,
                            basis__in={want.basis for d in decided for want in d.wanted.values()})
        .values_list("exercise_id", "kind", "basis")
    )
    outcomes, checks, urgent_ids = [], [], []
    for d in decided:
        exercise = d.checked.exercise
        urgent = _sync_flags(checked=d.checked, decision=d.decision, wanted=d.wanted,
                             unresolved=unresolved.get(exercise.pk, []), resolved_bases=resolved_bases, today=d.day)
        urgent_ids += [flag.pk for flag in urgent]
        checks.append(_check_row(d, applied_before))
        outcomes.append(CheckOutcome(exercise.pk, d.decision, d.applied, [f.pk for f in urgent],
                                     exercise.in_current_phase))
    ProgressionCheck.objects.bulk_create(
        checks, update_conflicts=True, unique_fields=["exercise", "as_of"],
        update_fields=["decision", "current_step", "next_step", "rules", "reasons", "reason_messages", "flags",
                       "applied", "updated_at"],
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
