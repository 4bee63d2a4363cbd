"""Builds one demo patient's plan and history: the ladder path, sessions, check-ins, measurements."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass
from decimal import Decimal

from clinic.models import Clinic, User
from clinic.services import user_create
from patients.demo.definitions import COMPANION_NOTES, NOTES_BY_LANGUAGE, RED_NOTE, WALK_NOTES, PatientDef
from patients.models import (
    AssignedExercise,
    AssignedLadderStep,
    AssignedPhase,
    ChangeSource,
    Measurement,
    MorningCheckIn,
    Patient,
    SessionLog,
)
from patients.services import assignment_create, patient_create, phase_change, step_change
from protocols.models import Protocol

# uuid5 names make client ids stable across runs without consuming the random stream.
DEMO_NAMESPACE = uuid.UUID("6f1d2a52-3c1e-4e55-9d0b-6a8f3f1c2b7e")
CHECKIN_RATE = 0.85
COMPANION_RATE = 0.3


def user_ensure(email: str, password: str, first_name: str, last_name: str) -> User:
    """Reuse an existing demo user as is; hashing a password is the slowest step of the seed."""
    user = User.objects.filter(email__iexact=email).first()
    return user or user_create(email=email, password=password, first_name=first_name, last_name=last_name)


@dataclass(frozen=True)
class SeedContext:
    """What every patient of one demo clinic is built with."""

    clinic: Clinic
    today: dt.date  # in the clinic's time zone
    history_weeks: int
    staff: dict[str, User]  # by e-mail
    protocols: dict[str, Protocol]  # built-in, by slug
    rng: random.Random


@dataclass(frozen=True)
class PlannedPhase:
    """One assigned phase with its ladder exercise (the one that progresses) and its companions."""

    phase: AssignedPhase
    ladder_exercise: AssignedExercise
    ladder: list[AssignedLadderStep]
    companions: list[AssignedExercise]


@dataclass(frozen=True)
class Position:
    """Where the patient is on the plan: a phase and a step of that phase's ladder."""

    phase: int
    step: int


class PatientHistory:
    """Builds one demo patient: registration, assignment, then sessions, step changes and check-ins.

    The patient walks the path of ladder positions from the first step up to
    `target`, spending their sessions along it (at least two per step where
    the sessions allow, more on the harder steps); each move takes effect the
    day after the last session at the old step, so every session's step is the
    step in force on its date.
    """

    def __init__(self, context: SeedContext, definition: PatientDef, *, ref: str):
        self.clinic = context.clinic
        self.d = definition
        self.ref = ref
        self.today = context.today
        self.start = context.today - dt.timedelta(weeks=context.history_weeks)
        self.days = context.history_weeks * 7
        self.therapist = context.staff[definition.therapist]
        self.protocol = context.protocols[definition.protocol]
        self.rng = context.rng if definition.own_random_seed is None else random.Random(definition.own_random_seed)
        self.sessions: list[SessionLog] = []
        self.checkins: list[MorningCheckIn] = []

    def build(self) -> None:
        """Register and assign the patient, then write the history along the path to the target."""
        self.patient = self._register()
        self.assignment = assignment_create(
            patient=self.patient,
            protocol=self.protocol,
            start_date=self.start,
            baseline_pain=self.d.baseline_pain,
            sessions_per_week=self.d.sessions_per_week,
            assigned_by=self.therapist,
        )
        self.plan = self._plan()
        dates = self._session_dates()
        path = self._path()
        counts = spread(len(dates), len(path), self.rng)
        # Measurements first: a phase change reads the latest one for the new phase's entry criteria.
        Measurement.objects.bulk_create(self._measurements())
        index = 0
        for position_index, (position, count) in enumerate(zip(path, counts)):
            for date in dates[index : index + count]:
                self._log_day(position, date, index, len(dates))
                index += 1
            if position_index + 1 < len(path):
                self._move(position, path[position_index + 1], dates[index - 1] + dt.timedelta(days=1))
        SessionLog.objects.bulk_create(self.sessions)
        MorningCheckIn.objects.bulk_create(self.checkins)

    # -- structure ---------------------------------------------------------

    def _register(self) -> Patient:
        user = None
        if self.d.login:
            email, password = self.d.login
            user = user_ensure(email, password, self.d.first_name, self.d.last_name)
        surgery = self.today - dt.timedelta(weeks=self.d.surgery_weeks_ago) if self.d.surgery_weeks_ago else None
        return patient_create(
            clinic=self.clinic,
            first_name=self.d.first_name,
            last_name=self.d.last_name,
            condition=self.d.condition,
            side=self.d.side,
            therapist=self.therapist,
            email=self.d.login[0] if self.d.login else "",
            external_ref=self.ref,
            date_of_birth=self.d.born,
            surgery_date=surgery,
            user=user,
            language=self.d.language,
        )

    def _notes(self, kind: str, english):
        """The patient's notes in their own language (the English ones for everyone else)."""
        return NOTES_BY_LANGUAGE.get(self.d.language, {}).get(kind, english)

    def _plan(self) -> list[PlannedPhase]:
        exercises = (
            AssignedExercise.objects.filter(assignment=self.assignment)
            .select_related("phase")
            .prefetch_related("ladder_steps")
            .order_by("phase__order", "order")
        )
        by_phase: dict[int, list[AssignedExercise]] = {}
        for exercise in exercises:
            by_phase.setdefault(exercise.phase.order, []).append(exercise)
        plan = []
        for order in sorted(by_phase):
            group = by_phase[order]
            ladder_exercise = next(e for e in group if e.has_ladder)
            plan.append(PlannedPhase(
                phase=ladder_exercise.phase,
                ladder_exercise=ladder_exercise,
                ladder=list(ladder_exercise.ladder_steps.all()),
                companions=[e for e in group if not e.has_ladder],
            ))
        return plan

    def _path(self) -> list[Position]:
        """Ladder positions from the first step to the target, across phases.

        A phase whose ladder starts where the previous one ended starts at its
        second step: repeating the same load would be a wasted step.
        """
        path: list[Position] = []
        previous_last = None
        for index, planned in enumerate(self.plan):
            first = 1 if previous_last is not None and _same_load(planned.ladder[0], previous_last) else 0
            for step in range(first, len(planned.ladder)):
                path.append(Position(index, step))
                if (index, step) == self.d.target:
                    return path
            previous_last = planned.ladder[-1]
        raise ValueError(f"{self.ref}: target {self.d.target} is not on the plan")

    def _move(self, old: Position, new: Position, date: dt.date) -> None:
        """Record the therapist's change from one position to the next, effective on `date`."""
        old_plan, new_plan = self.plan[old.phase], self.plan[new.phase]
        old_load = old_plan.ladder[old.step].in_words
        new_load = new_plan.ladder[new.step].in_words
        if old.phase == new.phase:
            self._step_to(new, date, f"Tolerated {old_load} well: pain during stayed low and settled by the next "
                                     f"morning. Next: {new_load}.")
            return
        phase_change(
            assignment=self.assignment,
            phase=new_plan.phase,
            effective_date=date,
            source=ChangeSource.THERAPIST,
            changed_by=self.therapist,
            reason=(f"Finished the ladder of “{old_plan.phase.name}” at {old_load}; "
                    f"moving on to “{new_plan.phase.name}”."),
            # The demo therapist moves on when the ladder is done; criteria still unmet are kept with the version.
            go_ahead=True,
        )
        if new.step:
            self._step_to(new, date, f"{old_load} was already done in the previous phase; starting this phase at "
                                     f"{new_load}.")

    def _step_to(self, position: Position, date: dt.date, reason: str) -> None:
        """The therapist's step change to `position`, effective on `date`."""
        step_change(exercise=self.plan[position.phase].ladder_exercise, step=position.step, effective_date=date,
                    source=ChangeSource.THERAPIST, changed_by=self.therapist, reason=reason)

    # -- history -----------------------------------------------------------

    def _session_dates(self) -> list[dt.date]:
        """Training days: an even weekly pattern with a few missed days, never today or later."""
        pattern = week_pattern(self.d.sessions_per_week)
        weeks = self.days // 7
        last_offset = self.days - (self.d.last_session_days_ago or 1)
        offsets: list[int] = []
        for week in range(weeks):
            shift = self.rng.randrange(7 - pattern[-1])
            chosen = [week * 7 + day + shift for day in pattern]
            if week >= weeks - self.d.sparse_last_weeks:
                offsets.append(self.rng.choice(chosen))
                continue
            offsets += [offset for offset in chosen if self.rng.random() >= self.d.miss_rate]
        offsets = [offset for offset in offsets if offset <= last_offset]
        if self.d.last_session_days_ago:
            offsets = sorted(set(offsets) | {last_offset})
        return [self.start + dt.timedelta(days=offset) for offset in offsets]

    def _log_day(self, position: Position, date: dt.date, index: int, total: int) -> None:
        """One training day: the ladder session, sometimes a companion exercise, and next morning's pain."""
        progress = index / max(total - 1, 1)
        red = index == total - 1 and self.d.red_pain_last
        if red:
            pain_during = self._red_session(position, date)
        else:
            pain_during = self._ladder_session(position, date, progress, recent=index >= total - 2,
                                               may_stop=index < total - 4)
        companions = self.plan[position.phase].companions
        # Nobody does their companion exercises after stopping with sharp pain.
        if companions and not red and self.rng.random() < COMPANION_RATE:
            self.sessions.append(self._session(
                self.rng.choice(companions), date, None, completed=True, duration=self.rng.choice([8, 10, 12, 15]),
                speed=None, incline=None, pain_during=max(0, pain_during - 1),
                rpe=self.rng.choice([3, 4, 5]), notes=self.rng.choice(self._notes("companion", COMPANION_NOTES)),
            ))
        self._checkin(date, progress, force=index >= total - 2, rise=red)

    def _ladder_session(self, position: Position, date: dt.date, progress: float, *, recent: bool,
                        may_stop: bool) -> int:
        """A usual treadmill session at the step in force; returns its pain during."""
        planned = self.plan[position.phase]
        step = planned.ladder[position.step]
        pain_during = self._pain_during(progress)
        if recent:
            # The latest sessions sit at the patient's current level, without noise upwards.
            pain_during = min(pain_during, self.d.pain_during[1])
        # Stopping early now and then makes the history look real; never in the final stretch.
        stopped = may_stop and self.rng.random() < 0.04
        self.sessions.append(self._session(
            planned.ladder_exercise, date, position.step, completed=not stopped,
            duration=max(step.duration_min - 5, 1) if stopped else step.duration_min,
            speed=step.speed_kmh, incline=step.incline_pct, pain_during=pain_during,
            rpe=min(10, 3 + position.step // 3 + self.rng.choice([-1, 0, 0, 1])),
            notes=self.rng.choice(self._notes("walk", WALK_NOTES)),
        ))
        return pain_during

    def _red_session(self, position: Position, date: dt.date) -> int:
        """The session that hurt: pain during 7, stopped early as the safety notes ask."""
        planned = self.plan[position.phase]
        step = planned.ladder[position.step]
        self.sessions.append(self._session(
            planned.ladder_exercise, date, position.step, completed=False,
            duration=max(step.duration_min - 6, 1), speed=step.speed_kmh, incline=step.incline_pct,
            pain_during=7, rpe=7, notes=self._notes("red", RED_NOTE),
        ))
        return 7

    def _session(
        self, exercise: AssignedExercise, date: dt.date, step: int | None, *, completed: bool, duration: int,
        speed: Decimal | None, incline: Decimal | None, pain_during: int, rpe: int, notes: str,
    ) -> SessionLog:
        pain_after = max(0, pain_during - self.rng.choice([0, 0, 1]))  # never above pain during
        return SessionLog(
            patient=self.patient,
            exercise=exercise,
            date=date,
            step=step,
            completed=completed,
            duration_min=duration,
            speed_kmh=speed,
            incline_pct=incline,
            pain_during=pain_during,
            pain_after=pain_after,
            rpe=rpe,
            notes=notes,
            client_uuid=self._uuid("session", date, exercise.phase.order, exercise.order),
        )

    def _pain_during(self, progress: float) -> int:
        start, end = self.d.pain_during
        value = round(start + (end - start) * progress) + self.rng.choice([-1, 0, 0, 0, 1])
        return min(max(value, 0), 3)

    def _checkin(self, session_date: dt.date, progress: float, *, force: bool, rise: bool) -> None:
        """Morning pain the day after a session; today's is left for the patient to report."""
        date = session_date + dt.timedelta(days=1)
        if date >= self.today or not (force or self.rng.random() < CHECKIN_RATE):
            return
        baseline = self.d.baseline_pain
        if rise:
            pain = min(baseline + 2, 10)
        else:
            trend = baseline - self.d.morning_drop * progress
            pain = min(max(round(trend) + self.rng.choice([-1, 0, 0, 0]), 0), baseline)
        self.checkins.append(
            MorningCheckIn(patient=self.patient, date=date, pain=pain, client_uuid=self._uuid("checkin", date))
        )

    def _measurements(self) -> list[Measurement]:
        """Clinic measurements every 2–3 weeks for ACL-R patients, improving towards today's values."""
        plan = self.d.measurements
        if plan is None:
            return []
        offsets = list(range(2, self.days - 1, 17))
        rows = []
        for index, offset in enumerate(offsets):
            date = self.start + dt.timedelta(days=offset)
            t = index / max(len(offsets) - 1, 1)
            weeks_after_surgery = (date - self.patient.surgery_date).days / 7
            rows.append(Measurement(
                patient=self.patient,
                date=date,
                effusion=plan.effusion[min(index, len(plan.effusion) - 1)],
                quad_lsi_pct=_between(plan.quad_lsi, t),
                # Hop tests are not done this early after surgery.
                hop_lsi_pct=_between(plan.hop_lsi, t) if weeks_after_surgery >= 12 else None,
                rom_pct=_between(plan.rom, t),
                running_signoff=False,
                recorded_by=self.therapist,
            ))
        return rows

    def _uuid(self, kind: str, *parts) -> uuid.UUID:
        name = ":".join(str(p) for p in (self.clinic.slug, self.ref, kind, *parts))
        return uuid.uuid5(DEMO_NAMESPACE, name)


def week_pattern(per_week: int) -> list[int]:
    """Days of the week (0-6) for `per_week` sessions, spread as evenly as possible."""
    return sorted({round(i * 7 / per_week) for i in range(per_week)})


def spread(sessions: int, positions: int, rng: random.Random) -> list[int]:
    """How many sessions the patient spends at each position.

    Two per step, as the engine needs two green sessions to progress; the
    easiest steps get one when there are too few sessions; spare sessions
    land at random, so some steps are held longer.
    """
    if sessions < positions + 1:
        raise ValueError(f"{sessions} sessions cannot cover {positions} ladder steps")
    counts = [2] * positions
    for index in range(max(2 * positions - sessions, 0)):
        counts[index] = 1
    for _ in range(sessions - sum(counts)):
        counts[rng.randrange(positions)] += 1
    return counts


def _same_load(a: AssignedLadderStep, b: AssignedLadderStep) -> bool:
    return (a.speed_kmh, a.incline_pct, a.duration_min) == (b.speed_kmh, b.incline_pct, b.duration_min)


def _between(values: tuple[float, float], t: float) -> Decimal:
    start, end = values
    return Decimal(str(round(start + (end - start) * t, 1)))
