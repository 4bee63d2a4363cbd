"""The bench's data: a year-sized clinic and a sweep clinic, deterministic from a fixed seed.

- "Bench Clinic": 20 therapists and 1,000 patients (scale 1), each with one
  assignment of a built-in protocol over 52 weeks, about 3 training days a
  week at an adherence that varies by patient (and from week to week),
  companion exercises on some days, morning check-ins, clinic measurements,
  step and phase changes along the way, a few open flags. About 150,000
  sessions.
- "Bench Sweep Clinic": 10,000 active assignments with 8 weeks of history,
  for the nightly sweep (kept apart so the one-year report covers exactly the
  1,000 patients).

Only these two clinics (and users @bench.invalid) are wiped and rebuilt. The
same seed and the same day give the same rows (ids aside); history is
relative to today in the clinic's time zone, as the demo data is. Rows that
need their ids back (users, patients, assignments, phases, exercises) go
through bulk_create; the rest stream through COPY (see bench.inserts).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import random
import uuid
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal
from time import perf_counter

from django.contrib.auth.hashers import make_password
from django.db import DatabaseError, connection, transaction

from bench.inserts import write_rows
from bench.progress import Progress
from bench.rtm import enrol_year_clinic
from clinic.clock import clinic_today
from clinic.models import ApiKey, AuditEvent, AuditEventPatient, Clinic, Membership, User
from clinic.services import api_key_create, clinic_create
from monitoring.models import Enrolment, RunningTimer, TimeEntry
from patients.models import (
    AssignedExercise,
    AssignedLadderStep,
    AssignedPhase,
    Assignment,
    ChangeSource,
    Flag,
    Measurement,
    MorningCheckIn,
    Patient,
    PhaseVersion,
    ProgressionCheck,
    SessionLog,
    StepVersion,
)
from protocols.library import ACL_PHASES_1_3, PFP_SIX_WEEKS
from protocols.models import LADDER_KINDS, Protocol
from protocols.services import library_install

SEED = 20260108
YEAR_CLINIC = ("Bench Clinic", "bench-clinic")
SWEEP_CLINIC = ("Bench Sweep Clinic", "bench-sweep-clinic")
EMAIL_DOMAIN = "bench.invalid"
BENCH_AGENT = "Backstep bench (simulated history)"
CHUNK = 250  # assignments built per round of inserts (bounded memory, a smooth progress bar)
POSTING_PATIENTS = 200  # at most this many different patients post sessions over HTTP

COMPANION_RATE = 0.4
CHECKIN_RATE = 0.85
STOP_EARLY_RATE = 0.03
# Pain during a session (NPRS): mostly green (0-3), some amber (4-5), a few red (6+).
PAIN_VALUES = (0, 1, 2, 3, 4, 5, 6, 7)
PAIN_WEIGHTS = (12, 22, 26, 20, 10, 6, 3, 1)
FIRST_NAMES = ("Ada", "Ben", "Cara", "Dev", "Edith", "Farid", "Greta", "Hugo", "Ines", "Jonas", "Kemi", "Lars",
               "Mina", "Noah", "Olga", "Pavel", "Quinn", "Rosa", "Sami", "Tara", "Umar", "Vera", "Wim", "Yara")
LAST_NAMES = ("Abbott", "Baker", "Chen", "Dias", "Evans", "Fox", "Garcia", "Hale", "Ito", "Jensen", "Khan", "Lopez",
              "Meyer", "Novak", "Okoro", "Price", "Quist", "Reyes", "Singh", "Tanaka", "Urban", "Vidal", "Weber",
              "Young", "Zeller")


@dataclass(frozen=True)
class Sizes:
    """How much data a scale means. Durations stay fixed; counts scale, with sane minimums."""

    therapists: int
    patients: int
    weeks: int
    sweep_assignments: int
    sweep_therapists: int
    sweep_weeks: int

    @classmethod
    def for_scale(cls, scale: float) -> Sizes:
        def scaled(count: int, minimum: int) -> int:
            return max(minimum, round(count * scale))

        return cls(therapists=scaled(20, 2), patients=scaled(1000, 20), weeks=52,
                   sweep_assignments=scaled(10_000, 50), sweep_therapists=scaled(20, 2), sweep_weeks=8)


@dataclass
class BenchData:
    """What the measurements need from the build."""

    clinic: Clinic
    sweep_clinic: Clinic
    today: dt.date
    sizes: Sizes
    api_key_raw: str
    dashboard_therapist_id: int
    today_user_id: int  # a year-clinic patient: 52 weeks of history (and the years before it, --years)
    today_patient_id: int  # the same patient (their page, their FHIR Observations and API sessions)
    today_small_user_id: int  # a sweep-clinic patient: 8 weeks of history
    posting: list[tuple[int, int]]  # (user id, patient id) of active year-clinic patients
    sweep_assignments: int
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # rows written, per bench clinic
    fingerprint: str = ""  # digest of the simulated data, to show two builds are the same
    build_s: float = 0.0
    years: int = 1  # of history per Bench Clinic patient


# ---------------------------------------------------------------------------
# The protocols, read once
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ExerciseShape:
    prescribed: object  # protocols.PrescribedExercise, with its template
    ladder: list  # its LadderSteps, in order

    @property
    def has_ladder(self) -> bool:
        return self.prescribed.template.kind in LADDER_KINDS


@dataclass(frozen=True)
class PhaseShape:
    phase: object  # protocols.Phase
    exercises: list[ExerciseShape]

    @property
    def ladder_index(self) -> int:
        return next(i for i, e in enumerate(self.exercises) if e.has_ladder)

    @property
    def companions(self) -> list[int]:
        return [i for i, e in enumerate(self.exercises) if not e.has_ladder]


def protocol_shape(protocol: Protocol) -> list[PhaseShape]:
    phases = protocol.phases.prefetch_related("exercises__template", "exercises__ladder_steps").order_by("order")
    return [
        PhaseShape(phase, [ExerciseShape(e, list(e.ladder_steps.order_by("order")))
                           for e in phase.exercises.order_by("order")])
        for phase in phases
    ]


# ---------------------------------------------------------------------------
# One patient's history, simulated
# ---------------------------------------------------------------------------


@dataclass
class Profile:
    """Who the patient is and how they train."""

    number: int
    first_name: str
    last_name: str
    born: dt.date
    condition: str
    side: str
    sessions_per_week: int
    adherence: float
    baseline_pain: int
    pain_shift: int
    start: dt.date
    end: dt.date | None
    surgery: dt.date | None


@dataclass
class History:
    phase_changes: list[tuple[int, dt.date]] = field(default_factory=list)  # (phase index, effective date)
    step_changes: list[tuple[int, int, dt.date, str]] = field(default_factory=list)  # (phase, step, date, source)
    steps: list[int] = field(default_factory=list)  # current step of each phase's ladder exercise
    # (phase, exercise index, date, step, completed, duration, speed, incline, pain during, pain after, rpe, minute)
    sessions: list[tuple] = field(default_factory=list)
    checkins: list[tuple[dt.date, int]] = field(default_factory=list)
    measurements: list[tuple] = field(default_factory=list)


def _clamp(value: int, low: int = 0, high: int = 10) -> int:
    return min(max(value, low), high)


def simulate(rng: random.Random, shape: list[PhaseShape], p: Profile, today: dt.date) -> History:
    """Walk the plan week by week: training days, the step in force, pain, step-ups and step-downs.

    Two green sessions in a row (pain during <= 3, completed) may earn a step
    up from the next day; a red session (pain above 5, stopped early) steps
    down from the next day, as the engine would; finishing a phase's ladder
    moves to the next phase. Sessions stop yesterday, as at a 02:00 sweep.
    """
    history = History(phase_changes=[(0, p.start)], steps=[0] * len(shape))
    last = min(p.end or today, today - dt.timedelta(days=1))
    phase, greens = 0, 0
    training_days: list[dt.date] = []
    monday = p.start - dt.timedelta(days=p.start.weekday())
    while monday <= last:
        week_adherence = min(max(p.adherence + rng.gauss(0, 0.12), 0.0), 1.0)
        days = [d for d in (monday + dt.timedelta(days=i) for i in range(7)) if p.start <= d <= last]
        wanted = sum(1 for _ in range(p.sessions_per_week) if rng.random() < week_adherence)
        for date in sorted(rng.sample(days, min(wanted, len(days)))):
            current = shape[phase]
            ladder_index = current.ladder_index
            step = history.steps[phase]
            load = current.exercises[ladder_index].ladder[step]
            pain = _clamp(rng.choices(PAIN_VALUES, PAIN_WEIGHTS)[0] + p.pain_shift)
            red = pain > 5
            completed = not red and rng.random() > STOP_EARLY_RATE
            duration = load.duration_min if completed else max(load.duration_min - rng.randint(3, 8), 1)
            minute = rng.randrange(600)
            history.sessions.append((phase, ladder_index, date, step, completed, duration, load.speed_kmh,
                                     load.incline_pct, pain, max(0, pain - rng.choice((0, 0, 1))),
                                     min(10, 3 + step // 3 + rng.choice((-1, 0, 0, 1))), minute))
            companions = current.companions
            if companions and not red and rng.random() < COMPANION_RATE:
                index = rng.choice(companions)
                companion = current.exercises[index].prescribed
                history.sessions.append((phase, index, date, None, True,
                                         companion.duration_min or rng.choice((8, 10, 12, 15)), None, None,
                                         max(0, pain - 1), max(0, pain - 2), rng.choice((3, 4, 5)), minute + 30))
            training_days.append(date)
            next_day = date + dt.timedelta(days=1)
            if red:
                greens = 0
                if step > 0:
                    history.steps[phase] = step - 1
                    history.step_changes.append((phase, step - 1, next_day, ChangeSource.ENGINE))
            elif completed and pain <= 3:
                greens += 1
                if greens >= 2 and rng.random() < 0.6:
                    greens = 0
                    if step + 1 < len(current.exercises[ladder_index].ladder):
                        history.steps[phase] = step + 1
                        history.step_changes.append((phase, step + 1, next_day, ChangeSource.THERAPIST))
                    elif phase + 1 < len(shape):
                        phase += 1
                        history.phase_changes.append((phase, next_day))
            else:
                greens = 0
        monday += dt.timedelta(days=7)
    span = max((last - p.start).days, 1)
    for date in training_days:
        morning = date + dt.timedelta(days=1)
        if morning < today and rng.random() < CHECKIN_RATE:
            trend = p.baseline_pain - 2 * (date - p.start).days / span
            history.checkins.append((morning, _clamp(round(trend) + rng.choice((-1, 0, 0, 0, 1)))))
    every = 28 if p.condition == "acl" else 56
    visits = list(range(10, (last - p.start).days + 1, every))
    for index, offset in enumerate(visits):
        date = p.start + dt.timedelta(days=offset)
        t = index / max(len(visits) - 1, 1)
        lsi = Decimal(str(round(60 + 35 * t + rng.uniform(-3, 3), 1)))
        hop = None
        if p.surgery is None or (date - p.surgery).days >= 84:
            hop = Decimal(str(round(58 + 35 * t + rng.uniform(-3, 3), 1)))
        rom = Decimal(str(round(min(85 + 15 * t + rng.uniform(-2, 2), 100), 1)))
        effusion = ("1+", "trace", "trace", "0")[min(int(t * 4), 3)]
        history.measurements.append((date, effusion, lsi, hop, rom, t > 0.8 and lsi >= 90))
    return history


def past_profiles(rng: random.Random, current: Profile, years: int) -> list[Profile]:
    """The patient's earlier plans (oldest first): `years - 1` plans of 44-50 weeks, each completed one to four
    weeks before the next began, so `years` plans span about `years` years and none overlaps the last year."""
    eras = []
    next_start = current.start
    for _ in range(years - 1):
        end = next_start - dt.timedelta(days=rng.randint(7, 30))
        start = end - dt.timedelta(weeks=rng.randint(44, 50))
        eras.append(dataclasses.replace(
            current, sessions_per_week=rng.choice((2, 3, 3, 3, 3, 4)), adherence=rng.uniform(0.35, 1.0),
            baseline_pain=rng.randint(2, 6), pain_shift=rng.choice((-1, 0, 0, 0, 1)), start=start, end=end,
            surgery=None))
        next_start = start
    return eras[::-1]


def _profile(rng: random.Random, number: int, today: dt.date, weeks: int, may_end: bool) -> Profile:
    condition = "acl" if rng.random() < 0.3 else "pfp"
    start = today - dt.timedelta(weeks=weeks) + dt.timedelta(days=rng.randint(0, 6))
    end = None
    if may_end and rng.random() < 0.05:
        end = today - dt.timedelta(days=rng.randint(14, 120))
    return Profile(
        number=number,
        first_name=rng.choice(FIRST_NAMES),
        last_name=rng.choice(LAST_NAMES),
        born=dt.date(1960, 1, 1) + dt.timedelta(days=rng.randint(0, 365 * 45)),
        condition=condition,
        side=rng.choice(("left", "right", "both")),
        sessions_per_week=rng.choice((2, 3, 3, 3, 3, 4)),
        adherence=rng.uniform(0.35, 1.0),
        baseline_pain=rng.randint(2, 6),
        pain_shift=rng.choice((-1, 0, 0, 0, 1)),
        start=start,
        end=end,
        surgery=start - dt.timedelta(days=rng.randint(14, 42)) if condition == "acl" else None,
    )


# ---------------------------------------------------------------------------
# Building
# ---------------------------------------------------------------------------


BENCH_TABLES = (AssignedExercise, AssignedLadderStep, AssignedPhase, Assignment, Flag, Measurement, MorningCheckIn,
                Patient, PhaseVersion, ProgressionCheck, SessionLog, StepVersion, User, Membership, ApiKey,
                Enrolment, TimeEntry, RunningTimer, AuditEvent, AuditEventPatient)


def wipe() -> None:
    """Delete the bench clinics' rows and the bench users; nothing else is touched.

    The history tables are emptied with one DELETE each (the ORM's cascade
    would load every row first); patients, clinics and users then go through
    the ORM, so any relation added later is still cascaded.
    """
    clinic_ids = list(Clinic.objects.filter(slug__in=[YEAR_CLINIC[1], SWEEP_CLINIC[1]]).values_list("pk", flat=True))
    if clinic_ids:
        t = {m: connection.ops.quote_name(m._meta.db_table) for m in BENCH_TABLES}
        marks = ", ".join(["%s"] * len(clinic_ids))
        # Table names quoted by the backend, ids passed as parameters: no outside text goes into the SQL.
        patients = (f"SELECT id FROM {t[Patient]} "  # nosec B608 -- quoted table, ids as params
                    f"WHERE clinic_id IN ({marks})")
        assignments = (f"SELECT id FROM {t[Assignment]} "  # nosec B608 -- quoted table, ids as params
                       f"WHERE patient_id IN ({patients})")
        exercises = (f"SELECT id FROM {t[AssignedExercise]} "  # nosec B608 -- quoted table, ids as params
                     f"WHERE assignment_id IN ({assignments})")
        with connection.cursor() as cursor:
            for model, column, ids in (
                (ProgressionCheck, "exercise_id", exercises),
                (Flag, "patient_id", patients),
                (SessionLog, "patient_id", patients),
                (MorningCheckIn, "patient_id", patients),
                (Measurement, "patient_id", patients),
                (StepVersion, "exercise_id", exercises),
                (AssignedLadderStep, "exercise_id", exercises),
                (PhaseVersion, "assignment_id", assignments),
                # Remote monitoring refers to patients and plans: gone before the plans are.
                (RunningTimer, "patient_id", patients),
                (TimeEntry, "patient_id", patients),
                (Enrolment, "patient_id", patients),
                (AssignedExercise, "assignment_id", assignments),
                (AssignedPhase, "assignment_id", assignments),
                (Assignment, "patient_id", patients),
            ):
                # Quoted table, a column name from the tuple above, ids as parameters.
                sql = f"DELETE FROM {t[model]} WHERE {column} IN ({ids})"  # nosec B608 -- quoted, ids as params
                cursor.execute(sql, clinic_ids)
            _wipe_audit(cursor, clinic_ids)
        Patient.objects.filter(clinic_id__in=clinic_ids).delete()
        Clinic.objects.filter(pk__in=clinic_ids).delete()
    User.objects.filter(email__endswith="@" + EMAIL_DOMAIN).delete()


def _wipe_audit(cursor, clinic_ids: list[int]) -> None:
    """The bench clinics' audit trail (the history it wrote, and its own runs' requests).

    The trail is append-only: on PostgreSQL a trigger refuses every DELETE. The
    wipe's transaction sets session_replication_role to replica (triggers off:
    a superuser's right, which the bench database's owner has) for these two
    DELETEs only, then back; the bench never runs with DJANGO_ENV=production.
    Without that right the old bench clinics' trail is left in place (its
    clinic ids are never reused).
    """
    marks = ", ".join(["%s"] * len(clinic_ids))
    events = connection.ops.quote_name(AuditEvent._meta.db_table)
    linked = connection.ops.quote_name(AuditEventPatient._meta.db_table)
    postgres = connection.vendor == "postgresql"
    try:
        with transaction.atomic():
            if postgres:
                cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(f"DELETE FROM {linked} WHERE event_id IN "  # nosec B608 -- quoted names, ids as params
                           f"(SELECT id FROM {events} WHERE clinic_id IN ({marks}))", clinic_ids)
            cursor.execute(f"DELETE FROM {events} WHERE clinic_id IN ({marks})",  # nosec B608 -- as above
                           clinic_ids)
            if postgres:
                cursor.execute("SET LOCAL session_replication_role = DEFAULT")
    except DatabaseError:
        pass  # not allowed to switch the triggers off: the rows stay


class ClinicBuilder:
    """Builds one bench clinic's patients, assignments (protocol snapshots) and history."""

    def __init__(self, *, name: str, slug: str, therapists: int, rng: random.Random, shapes: dict,
                 password: str, counts: dict[str, int], fingerprint, years: int = 1,
                 past_rng: random.Random | None = None, audit_trail: bool = False):
        self.clinic = clinic_create(name=name, slug=slug)
        self.tz = zoneinfo.ZoneInfo(self.clinic.timezone)
        self.today = clinic_today(self.clinic)
        self.rng = rng
        self.shapes = shapes  # condition -> (Protocol, [PhaseShape])
        self.password = password
        self.counts = counts
        self.fingerprint = fingerprint
        # Earlier plans (years > 1) draw from their own stream, so the last year's rows are the same at any years.
        self.years = years
        self.past_rng = past_rng or random.Random(SEED + 23)
        self.audit_trail = audit_trail
        users = User.objects.bulk_create([
            User(email=f"{slug}-therapist-{n:03d}@{EMAIL_DOMAIN}", first_name=rng.choice(FIRST_NAMES),
                 last_name=rng.choice(LAST_NAMES), password=password)
            for n in range(1, therapists + 1)
        ])
        Membership.objects.bulk_create(
            [Membership(clinic=self.clinic, user=u, role=Membership.Role.THERAPIST) for u in users])
        self.therapists = users
        self._count("users", len(users))

    def _count(self, name: str, n: int) -> None:
        self.counts[name] = self.counts.get(name, 0) + n

    def _at(self, date: dt.date, hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime.combine(date, dt.time(hour, 0), tzinfo=self.tz) + dt.timedelta(minutes=minute)

    def _audit(self, owners: list[Patient], histories: list[History]) -> int:
        """The audit trail the history would have left: the patient's session posts (one per training day) and
        check-ins, and the therapist opening the patient's page once a week they trained. Written for every
        plan, the current one too, so a 1-year and a 5-year clinic differ only in the years."""
        rows = []
        for patient, history in zip(owners, histories):
            days = sorted({session[2] for session in history.sessions})
            for date in days:
                rows.append((self._at(date, 8, 5), self.clinic.pk, patient.user_id, "patient", "write", "POST",
                             "patients:log-session", "session", "", patient.pk, 302, {}, "", BENCH_AGENT, None, {}))
            for date, _pain in history.checkins:
                rows.append((self._at(date, 7, 1), self.clinic.pk, patient.user_id, "patient", "write", "POST",
                             "patients:checkin", "checkin", "", patient.pk, 302, {}, "", BENCH_AGENT, None, {}))
            for monday in sorted({d - dt.timedelta(days=d.weekday()) for d in days}):
                rows.append((self._at(monday + dt.timedelta(days=6), 17), self.clinic.pk, patient.therapist_id,
                             "therapist", "read", "GET", "patients:detail", "patient", str(patient.pk), patient.pk,
                             200, {}, "", BENCH_AGENT, None, {}))
        return write_rows(AuditEvent, ["occurred_at", "clinic", "user", "actor_role", "action", "method", "route",
                                       "object_type", "object_id", "patient_id", "status_code", "query", "request_id",
                                       "user_agent", "ip_address", "detail"], rows)

    def build(self, *, patients: int, weeks: int, may_end: bool, logins: int, progress: Progress,
              label: str) -> list[tuple[Patient, Assignment]]:
        """Create `patients` patients (the first `logins` with a login) in chunks; returns them with their plans."""
        built = []
        for first in range(0, patients, CHUNK):
            numbers = range(first + 1, min(first + CHUNK, patients) + 1)
            profiles = [_profile(self.rng, n, self.today, weeks, may_end) for n in numbers]
            built += self._chunk(profiles, logins)
            progress.advance(len(profiles) * weeks * self.years, f"{label}: {numbers[-1]}/{patients} patients")
        return built

    def _chunk(self, profiles: list[Profile], logins: int) -> list[tuple[Patient, Assignment]]:
        rng, slug = self.rng, self.clinic.slug
        users = {p.number: User(email=f"{slug}-patient-{p.number:05d}@{EMAIL_DOMAIN}", first_name=p.first_name,
                                last_name=p.last_name, password=self.password)
                 for p in profiles if p.number <= logins}
        User.objects.bulk_create(users.values())
        patients = Patient.objects.bulk_create([
            Patient(clinic=self.clinic, user=users.get(p.number),
                    therapist=self.therapists[p.number % len(self.therapists)],
                    first_name=p.first_name, last_name=p.last_name, external_ref=f"BENCH-{p.number:05d}",
                    date_of_birth=p.born, condition=p.condition, side=p.side, surgery_date=p.surgery,
                    email=users[p.number].email if p.number in users else "")
            for p in profiles
        ])
        current = len(profiles)
        # Each patient's plans: the current one (the last year), then the earlier ones (--years), all completed.
        # `owners` is each plan's patient, `plans` the plans' profiles; the first `current` are the current plans.
        owners, plans = list(patients), list(profiles)
        if self.years > 1:
            for patient, profile in zip(patients, profiles):
                for era in past_profiles(self.past_rng, profile, self.years):
                    owners.append(patient)
                    plans.append(era)
        assignments = Assignment.objects.bulk_create([
            Assignment(patient=patient, protocol=self.shapes[p.condition][0],
                       protocol_name=self.shapes[p.condition][0].name,
                       condition=p.condition, start_date=p.start, end_date=p.end, sessions_per_week=p.sessions_per_week,
                       baseline_pain=p.baseline_pain, assigned_by=patient.therapist,
                       status=Assignment.Status.COMPLETED if p.end else Assignment.Status.ACTIVE)
            for p, patient in zip(plans, owners)
        ], batch_size=2000)
        histories = [simulate(rng if n < current else self.past_rng, self.shapes[p.condition][1], p, self.today)
                     for n, p in enumerate(plans)]
        for profile, history in zip(plans, histories):
            self.fingerprint.update(repr((profile, history)).encode())

        # The snapshot: phases, exercises (current step from the history), ladders.
        phase_rows, exercise_rows = [], []
        for p, assignment in zip(plans, assignments):
            for shape in self.shapes[p.condition][1]:
                phase_rows.append(AssignedPhase(assignment=assignment, order=shape.phase.order, name=shape.phase.name,
                                                goals=shape.phase.goals, entry_criteria=shape.phase.entry_criteria,
                                                expected_weeks=shape.phase.expected_weeks))
        AssignedPhase.objects.bulk_create(phase_rows, batch_size=2000)
        phases = iter(phase_rows)
        for p, assignment, history in zip(plans, assignments, histories):
            for index, shape in enumerate(self.shapes[p.condition][1]):
                phase = next(phases)
                for exercise in shape.exercises:
                    e, t = exercise.prescribed, exercise.prescribed.template
                    exercise_rows.append(AssignedExercise(
                        assignment=assignment, phase=phase, template=t, order=e.order, name=t.name, kind=t.kind,
                        frequency_per_week=e.frequency_per_week, sets=e.sets, reps=e.reps,
                        hold_seconds=e.hold_seconds, duration_min=e.duration_min, instructions=t.instructions,
                        safety_notes=t.safety_notes, notes=e.notes,
                        current_step=history.steps[index] if exercise.ladder else None,
                    ))
        AssignedExercise.objects.bulk_create(exercise_rows, batch_size=2000)

        ladder_rows, step_rows, phase_version_rows = [], [], []
        session_rows, checkin_rows, measurement_rows, flag_rows, check_rows = [], [], [], [], []
        rows = iter(exercise_rows)
        phases = iter(phase_rows)
        yesterday = self.today - dt.timedelta(days=1)
        resolved_rows = []  # the earlier plans' red-pain flags, resolved by the therapist the next day
        for plan_no, (p, patient, assignment, history) in enumerate(zip(plans, owners, assignments, histories)):
            stream = self.rng if plan_no < current else self.past_rng
            shape = self.shapes[p.condition][1]
            ids = [[next(rows) for _ in phase.exercises] for phase in shape]
            phase_ids = [next(phases).pk for _ in shape]
            therapist_id = patient.therapist_id
            for index, phase in enumerate(shape):
                for exercise, row in zip(phase.exercises, ids[index]):
                    ladder_rows += [(row.pk, s.order, s.speed_kmh, s.incline_pct, s.duration_min)
                                    for s in exercise.ladder]
                    if exercise.ladder:
                        step_rows.append((row.pk, 0, p.start, ChangeSource.INITIAL, therapist_id, [],
                                          "Starting step of the assigned protocol.", self._at(p.start, 8)))
            for n, (index, step, date, source) in enumerate(history.step_changes):
                engine = source == ChangeSource.ENGINE
                step_rows.append((ids[index][shape[index].ladder_index].pk, step, date, source,
                                  None if engine else therapist_id, ["R1"] if engine else [],
                                  "Pain above 5/10: one step down." if engine else "Two green sessions: step up.",
                                  self._at(date, 7, n % 60)))
            for n, (index, date) in enumerate(history.phase_changes):
                phase_version_rows.append((assignment.pk, phase_ids[index], date,
                                           ChangeSource.INITIAL if n == 0 else ChangeSource.THERAPIST, therapist_id,
                                           "First phase of the assigned protocol." if n == 0
                                           else "Finished the phase's ladder.", self._at(date, 7, 30 + n % 30), []))
            for index, exercise_index, date, step, completed, duration, speed, incline, during, after, rpe, minute \
                    in history.sessions:
                session_rows.append((patient.pk, ids[index][exercise_index].pk, date, step, completed, duration, speed,
                                     incline, during, after, rpe, "", uuid.UUID(int=stream.getrandbits(128), version=4),
                                     self._at(date, 8, minute), self._at(date, 8, minute)))
                if plan_no >= current and during > 5:
                    at, resolved = self._at(date, 8, minute + 1), self._at(date + dt.timedelta(days=1), 9)
                    resolved_rows.append((patient.pk, ids[index][exercise_index].pk, Flag.Kind.PAIN_RED,
                                          Flag.Severity.URGENT, Flag.Status.RESOLVED, "regress", ["R1"],
                                          ["Pain above 5/10 during the session."], {"pain_during": during}, at,
                                          resolved, f"session:{date.isoformat()}", "Seen; one step down.",
                                          resolved, therapist_id))
            for date, pain in history.checkins:
                at = self._at(date, 7, 0)
                checkin_rows.append((patient.pk, date, pain, uuid.UUID(int=stream.getrandbits(128), version=4), at,
                                     at))
            for date, effusion, lsi, hop, rom, signoff in history.measurements:
                measurement_rows.append((patient.pk, date, effusion, lsi, hop, rom, signoff, therapist_id,
                                         self._at(date, 12), self._at(date, 12)))
            if assignment.status == Assignment.Status.ACTIVE:
                phase_index = history.phase_changes[-1][0]
                walk = ids[phase_index][shape[phase_index].ladder_index]
                step = history.steps[phase_index]
                at = self._at(yesterday, 2)
                check_rows.append((walk.pk, yesterday, "hold", step, step, ["R7"],
                                   ["Not enough green sessions at this step yet."], [], "", at, at))
                if p.adherence < 0.45:
                    flag_rows.append((patient.pk, walk.pk, Flag.Kind.LOW_ADHERENCE, Flag.Severity.WARNING,
                                      Flag.Status.OPEN, "hold", ["F1"], ["Fewer sessions than planned lately."],
                                      {"as_of": yesterday.isoformat()}, at, at, f"week:{yesterday.isoformat()}", ""))

        self._count("assigned ladder steps", write_rows(
            AssignedLadderStep, ["exercise", "order", "speed_kmh", "incline_pct", "duration_min"], ladder_rows))
        self._count("step versions", write_rows(
            StepVersion, ["exercise", "step", "effective_date", "source", "changed_by", "rules", "reason",
                          "created_at"], step_rows))
        self._count("phase versions", write_rows(
            PhaseVersion, ["assignment", "phase", "effective_date", "source", "changed_by", "reason", "created_at",
                           "unmet_criteria"], phase_version_rows))
        self._count("sessions", write_rows(
            SessionLog, ["patient", "exercise", "date", "step", "completed", "duration_min", "speed_kmh",
                         "incline_pct", "pain_during", "pain_after", "rpe", "notes", "client_uuid", "created_at",
                         "updated_at"], session_rows))
        self._count("morning check-ins", write_rows(
            MorningCheckIn, ["patient", "date", "pain", "client_uuid", "created_at", "updated_at"], checkin_rows))
        self._count("measurements", write_rows(
            Measurement, ["patient", "date", "effusion", "quad_lsi_pct", "hop_lsi_pct", "rom_pct", "running_signoff",
                          "recorded_by", "created_at", "updated_at"], measurement_rows))
        self._count("flags", write_rows(
            Flag, ["patient", "exercise", "kind", "severity", "status", "decision", "rules", "reasons", "evidence",
                   "created_at", "updated_at", "basis", "resolution_note"], flag_rows))
        if resolved_rows:
            self._count("flags", write_rows(
                Flag, ["patient", "exercise", "kind", "severity", "status", "decision", "rules", "reasons", "evidence",
                       "created_at", "updated_at", "basis", "resolution_note", "resolved_at", "resolved_by"],
                resolved_rows))
        self._count("progression checks", write_rows(
            ProgressionCheck, ["exercise", "as_of", "decision", "current_step", "next_step", "rules", "reasons",
                               "flags", "applied", "created_at", "updated_at"], check_rows))
        self._count("users", len(users))
        self._count("patients", len(patients))
        self._count("assignments", len(assignments))
        self._count("assigned phases", len(phase_rows))
        self._count("assigned exercises", len(exercise_rows))
        if self.audit_trail:
            self._count("audit events", self._audit(owners, histories))
        return list(zip(patients, assignments[:current]))


def build(*, scale: float, seed: int = SEED, progress: Progress | None = None, years: int = 1) -> BenchData:
    """Wipe and rebuild the bench clinics at `scale`; returns what the measurements need.

    `years` > 1 gives every Bench Clinic patient `years - 1` earlier plans before the current one (each about
    a year, completed, with its sessions, check-ins, measurements, resolved flags and audit trail), from their
    own random stream: the last year's rows, and so the one-year report's figures, are the same at any years.
    """
    if years < 1:
        raise ValueError("years must be at least 1")
    started = perf_counter()
    sizes = Sizes.for_scale(scale)
    progress = progress or Progress(1)
    progress.total = sizes.patients * sizes.weeks * years + sizes.sweep_assignments * sizes.sweep_weeks + 2
    progress.draw("library and wipe")
    library_install()
    rng = random.Random(seed)
    counts: dict[str, dict[str, int]] = {"year clinic": {}, "sweep clinic": {}}
    # A digest of everything simulated (ids aside): the same seed on the same day gives the same one.
    fingerprint = hashlib.sha256(f"{seed}".encode())
    # Every bench user shares one hash: hashing is the slowest thing a user costs, and the
    # bench signs in with sessions (force_login), never with this password.
    password = make_password("bench-only-" + str(seed))
    builtin = {p.slug: p for p in Protocol.objects.filter(clinic__isnull=True)}
    shapes = {condition: (builtin[d.slug], protocol_shape(builtin[d.slug]))
              for condition, d in (("pfp", PFP_SIX_WEEKS), ("acl", ACL_PHASES_1_3))}
    with transaction.atomic():
        wipe()
        progress.advance(1, "wiped the bench clinics")
        year = ClinicBuilder(name=YEAR_CLINIC[0], slug=YEAR_CLINIC[1], therapists=sizes.therapists, rng=rng,
                             shapes=shapes, password=password, counts=counts["year clinic"], fingerprint=fingerprint,
                             years=years, past_rng=random.Random(seed + 23), audit_trail=True)
        year_rows = year.build(patients=sizes.patients, weeks=sizes.weeks, may_end=True, logins=sizes.patients,
                               progress=progress, label="year clinic")
        enrol_year_clinic(rows=year_rows, today=year.today, seed=seed, counts=counts["year clinic"])
        sweep = ClinicBuilder(name=SWEEP_CLINIC[0], slug=SWEEP_CLINIC[1], therapists=sizes.sweep_therapists,
                              rng=rng, shapes=shapes, password=password, counts=counts["sweep clinic"],
                              fingerprint=fingerprint)
        sweep_rows = sweep.build(patients=sizes.sweep_assignments, weeks=sizes.sweep_weeks, may_end=False, logins=1,
                                 progress=progress, label="sweep clinic")
        _key, raw = api_key_create(clinic=year.clinic, name="Bench report client")
    progress.draw("vacuum and analyze")
    if connection.vendor == "postgresql":
        # A year-old database has been vacuumed and analysed: planner statistics, visibility map
        # and hint bits are in place, and autovacuum does not start in the middle of a measurement.
        # (VACUUM cannot run inside a transaction, as under a non-transactional test: ANALYZE then.)
        tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in BENCH_TABLES)
        with connection.cursor() as cursor:
            cursor.execute(("ANALYZE " if connection.in_atomic_block else "VACUUM (ANALYZE) ") + tables)
            if not connection.in_atomic_block:
                # Write the build's dirty pages out now, so the checkpointer is not busy during the first
                # measurements (a five-year build leaves five times as many as a one-year one).
                try:
                    cursor.execute("CHECKPOINT")
                except DatabaseError:
                    pass  # needs superuser or pg_checkpoint: the measurements then share the disk with it
    progress.finish(f"built in {perf_counter() - started:.1f} s")
    active = [(patient, assignment) for patient, assignment in year_rows
              if assignment.status == Assignment.Status.ACTIVE]
    return BenchData(
        clinic=year.clinic,
        sweep_clinic=sweep.clinic,
        today=year.today,
        sizes=sizes,
        api_key_raw=raw,
        dashboard_therapist_id=year.therapists[0].pk,
        today_user_id=active[0][0].user_id,
        today_patient_id=active[0][0].pk,
        today_small_user_id=sweep_rows[0][0].user_id,
        posting=[(patient.user_id, patient.pk) for patient, _a in active[:POSTING_PATIENTS]],
        sweep_assignments=len(sweep_rows),
        counts=counts,
        fingerprint=fingerprint.hexdigest()[:16],
        build_s=perf_counter() - started,
        years=years,
    )
