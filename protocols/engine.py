"""The progression engine, rules v1.1 (../shared/docs/progression-rules.md).

A pure function of its input: no database, no clock, no randomness, no I/O.
`evaluate(data)` takes the JSON-shaped input and returns the JSON-shaped
decision; `parse_input` validates into typed dataclasses and `decide` applies
the rules. Invalid input raises `EngineInputError` naming the field; it never
produces a decision.

Sources: the pain-monitoring model (Thomeé 1997 for patellofemoral pain;
Silbernagel et al. 2007, Am J Sports Med 35:897): pain during exercise may
reach 5/10 but not pass it, and must settle by the next morning. Effusion
grading by the stroke test (Sturgill et al. 2009, JOSPT 39:845) and the
soreness rules used after ACL reconstruction (Adams et al. 2012, JOSPT).
Return-to-running criteria after ACL-R (Rambaud et al. 2018, BJSM 52:1437).
Backward walk-to-run transition at about 1.63 m/s (Hreljac 2005). A change of
2 NPRS points is clinically important (Farrar 2001).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from protocols.wording import at_least, format_date, format_level, is_running_speed
from protocols.wording import format_number as _fmt  # numbers in reasons read as everywhere else

CONDITIONS = ("pfp", "acl")
EFFUSION_GRADES = ("0", "trace", "1+", "2+", "3+")
DECISIONS = ("progress", "hold", "regress")
FLAG_KINDS = (
    "pain_red", "effusion", "morning_pain", "worsening_trend", "gate_not_met",
    "needs_override", "ladder_complete", "low_adherence", "improved",
)
SEVERITIES = ("info", "warning", "urgent")

DEFAULT_SETTINGS: dict[str, int | float] = {
    "green_max": 3,
    "red_above": 5,
    "trend_points": 1.0,
    "green_sessions_to_progress": 2,
    "running_speed_kmh": 5.8,
    "max_auto_incline_pct": 10,
    "adherence_min_fraction": 0.6,
}
_INTEGER_SETTINGS = {"green_max", "red_above", "green_sessions_to_progress"}

# Exactly YYYY-MM-DD: date.fromisoformat alone would also take "2026-W37-4" or "20260910".
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# The rules count back 13 days from today (R6, F1); callers count up to 14 days either way of a date.
# Every input date must leave that room inside Python's calendar (years 1 to 9999), so a date such as
# 0001-01-01 is refused as invalid input naming its field instead of overflowing in a rule.
EARLIEST_DATE = dt.date(1, 1, 15)
LATEST_DATE = dt.date(9999, 12, 17)

ACL_GATE_DAYS = 84
ACL_GATE_QUAD_LSI = 70
ACL_GATE_HOP_LSI = 70
ACL_GATE_ROM = 95
ACL_GATE_MAX_EFFUSION = "trace"
ACL_GATE_PAIN_BELOW = 2


class EngineInputError(ValueError):
    """Input the engine refuses, with the offending field (e.g. "sessions[2].pain_during")."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


# --------------------------------------------------------------------------
# Typed input
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    speed_kmh: Fraction
    incline_pct: Fraction
    duration_min: Fraction

    def changed_variables(self, other: Step) -> int:
        return sum(
            getattr(self, name) != getattr(other, name) for name in ("speed_kmh", "incline_pct", "duration_min")
        )


@dataclass(frozen=True)
class Session:
    date: dt.date
    step: int
    completed: bool
    pain_during: int
    pain_after: int | None
    pain_next_morning: int | None


@dataclass(frozen=True)
class Measurement:
    date: dt.date
    effusion: str | None = None
    quad_lsi_pct: Fraction | None = None
    hop_lsi_pct: Fraction | None = None
    rom_pct: Fraction | None = None
    running_signoff: bool | None = None


@dataclass(frozen=True)
class Settings:
    green_max: int
    red_above: int
    trend_points: Fraction
    green_sessions_to_progress: int
    running_speed_kmh: Fraction
    max_auto_incline_pct: Fraction
    adherence_min_fraction: Fraction


@dataclass(frozen=True)
class EngineInput:
    condition: str
    today: dt.date
    baseline_pain: int
    surgery_date: dt.date | None
    frequency_per_week: int
    assignment_start: dt.date | None
    ladder: tuple[Step, ...]
    current_step: int
    sessions: tuple[Session, ...]  # sorted by date, ties in list order
    measurements: tuple[Measurement, ...]  # as given
    settings: Settings
    # v1.1: every date with a completed session of the plan (any exercise, any phase); None = not given.
    training_days: frozenset[dt.date] | None = None


# --------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------


def _date(value: Any, name: str) -> dt.date:
    if isinstance(value, dt.datetime):
        raise EngineInputError(name, "must be a date (YYYY-MM-DD), not a date and time")
    if isinstance(value, dt.date):
        date = value
    elif isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            date = dt.date.fromisoformat(value)
        except ValueError:
            raise EngineInputError(name, "must be a date written YYYY-MM-DD") from None
    else:
        raise EngineInputError(name, "must be a date written YYYY-MM-DD")
    if not EARLIEST_DATE <= date <= LATEST_DATE:
        raise EngineInputError(name, f"must be a date from {EARLIEST_DATE} to {LATEST_DATE}")
    return date


def _optional_date(value: Any, name: str) -> dt.date | None:
    return None if value is None else _date(value, name)


def _integer(value: Any, name: str, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise EngineInputError(name, "must be a whole number")
    if value < low or (high is not None and value > high):
        bound = f"from {low} to {high}" if high is not None else f"of at least {low}"
        raise EngineInputError(name, f"must be a whole number {bound}")
    return value


def _pain(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise EngineInputError(name, "must be a pain score from 0 to 10")
    if not (0 <= value <= 10) or (isinstance(value, float) and not value.is_integer()):
        raise EngineInputError(name, "must be a whole pain score from 0 to 10")
    return int(value)


def _optional_pain(value: Any, name: str) -> int | None:
    return None if value is None else _pain(value, name)


def _number(value: Any, name: str, low: float = 0) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise EngineInputError(name, "must be a number")
    try:
        # Through str so that 5.8 is exactly 29/5, not the nearest binary float.
        number = Fraction(str(value))
    except (ValueError, ZeroDivisionError):
        raise EngineInputError(name, "must be a number") from None
    if number < low:
        raise EngineInputError(name, f"must be at least {low}")
    return number


def _optional_number(value: Any, name: str) -> Fraction | None:
    return None if value is None else _number(value, name)


def _object(value: Any, name: str) -> dict:
    if not isinstance(value, dict):
        raise EngineInputError(name, "must be an object")
    return value


def _list(value: Any, name: str) -> list:
    if not isinstance(value, list | tuple):
        raise EngineInputError(name, "must be a list")
    return list(value)


def _settings(raw: Any) -> Settings:
    raw = {} if raw is None else _object(raw, "settings")
    values = dict(DEFAULT_SETTINGS)
    for key, value in raw.items():
        name = f"settings.{key}"
        if key not in DEFAULT_SETTINGS:
            raise EngineInputError(name, "is not a setting of the engine")
        if key in _INTEGER_SETTINGS:
            values[key] = _integer(value, name, 0 if key != "green_sessions_to_progress" else 1, 10)
        else:
            values[key] = _number(value, name)
    if values["green_max"] > values["red_above"]:
        raise EngineInputError("settings.green_max", "must not be above red_above")
    if Fraction(str(values["adherence_min_fraction"])) > 1:
        raise EngineInputError("settings.adherence_min_fraction", "must be between 0 and 1")
    return Settings(
        green_max=values["green_max"],
        red_above=values["red_above"],
        trend_points=Fraction(str(values["trend_points"])),
        green_sessions_to_progress=values["green_sessions_to_progress"],
        running_speed_kmh=Fraction(str(values["running_speed_kmh"])),
        max_auto_incline_pct=Fraction(str(values["max_auto_incline_pct"])),
        adherence_min_fraction=Fraction(str(values["adherence_min_fraction"])),
    )


def _ladder(raw: Any) -> tuple[Step, ...]:
    items = _list(raw, "ladder")
    if not items:
        raise EngineInputError("ladder", "must have at least one step")
    steps = []
    for index, item in enumerate(items):
        name = f"ladder[{index}]"
        item = _object(item, name)
        for key in ("speed_kmh", "incline_pct", "duration_min"):
            if item.get(key) is None:
                raise EngineInputError(f"{name}.{key}", "is required")
        duration = _number(item["duration_min"], f"{name}.duration_min")
        if duration <= 0:
            raise EngineInputError(f"{name}.duration_min", "must be more than 0")
        steps.append(Step(_number(item["speed_kmh"], f"{name}.speed_kmh"),
                          _number(item["incline_pct"], f"{name}.incline_pct"), duration))
    return tuple(steps)


def _sessions(raw: Any, ladder_size: int) -> tuple[Session, ...]:
    sessions = []
    for index, item in enumerate(_list(raw if raw is not None else [], "sessions")):
        name = f"sessions[{index}]"
        item = _object(item, name)
        if "date" not in item:
            raise EngineInputError(f"{name}.date", "is required")
        if item.get("step") is None:
            raise EngineInputError(f"{name}.step", "is required")
        step = _integer(item["step"], f"{name}.step", 0)
        if step >= ladder_size:
            raise EngineInputError(f"{name}.step", f"must be a step of the ladder (0 to {ladder_size - 1})")
        completed = item.get("completed", True)
        if not isinstance(completed, bool):
            raise EngineInputError(f"{name}.completed", "must be true or false")
        if item.get("pain_during") is None:
            raise EngineInputError(f"{name}.pain_during", "is required")
        sessions.append(Session(
            date=_date(item["date"], f"{name}.date"),
            step=step,
            completed=completed,
            pain_during=_pain(item["pain_during"], f"{name}.pain_during"),
            pain_after=_optional_pain(item.get("pain_after"), f"{name}.pain_after"),
            pain_next_morning=_optional_pain(item.get("pain_next_morning"), f"{name}.pain_next_morning"),
        ))
    # Stable sort: sessions on the same day keep their list order.
    return tuple(sorted(sessions, key=lambda s: s.date))


def _measurements(raw: Any) -> tuple[Measurement, ...]:
    result = []
    for index, item in enumerate(_list(raw if raw is not None else [], "measurements")):
        name = f"measurements[{index}]"
        item = _object(item, name)
        if "date" not in item:
            raise EngineInputError(f"{name}.date", "is required")
        effusion = item.get("effusion")
        if effusion is not None:
            effusion = str(effusion)
            if effusion not in EFFUSION_GRADES:
                raise EngineInputError(f"{name}.effusion", "must be one of 0, trace, 1+, 2+, 3+")
        signoff = item.get("running_signoff")
        if signoff is not None and not isinstance(signoff, bool):
            raise EngineInputError(f"{name}.running_signoff", "must be true, false or null")
        result.append(Measurement(
            date=_date(item["date"], f"{name}.date"),
            effusion=effusion,
            quad_lsi_pct=_optional_number(item.get("quad_lsi_pct"), f"{name}.quad_lsi_pct"),
            hop_lsi_pct=_optional_number(item.get("hop_lsi_pct"), f"{name}.hop_lsi_pct"),
            rom_pct=_optional_number(item.get("rom_pct"), f"{name}.rom_pct"),
            running_signoff=signoff,
        ))
    return tuple(result)


def _training_days(raw: Any) -> frozenset[dt.date] | None:
    """The optional `training_days` list; duplicates are one day (two sessions on a day are one training day)."""
    if raw is None:
        return None
    return frozenset(_date(item, f"training_days[{index}]") for index, item in enumerate(_list(raw, "training_days")))


def parse_input(data: Any) -> EngineInput:
    """Validate JSON-shaped input into an EngineInput; raise EngineInputError naming the field."""
    data = _object(data, "input")
    condition = data.get("condition")
    if condition not in CONDITIONS:
        raise EngineInputError("condition", 'must be "pfp" or "acl"')
    if "today" not in data:
        raise EngineInputError("today", "is required")
    today = _date(data["today"], "today")
    if data.get("baseline_pain") is None:
        raise EngineInputError("baseline_pain", "is required")
    baseline = _pain(data["baseline_pain"], "baseline_pain")
    surgery_date = _optional_date(data.get("surgery_date"), "surgery_date")
    if condition == "acl" and surgery_date is None:
        raise EngineInputError("surgery_date", "is required after ACL reconstruction")
    if data.get("frequency_per_week") is None:
        raise EngineInputError("frequency_per_week", "is required")
    frequency = _integer(data["frequency_per_week"], "frequency_per_week", 1, 14)
    ladder = _ladder(data.get("ladder"))
    if data.get("current_step") is None:
        raise EngineInputError("current_step", "is required")
    current = _integer(data["current_step"], "current_step", 0)
    if current >= len(ladder):
        raise EngineInputError("current_step", f"must be a step of the ladder (0 to {len(ladder) - 1})")
    return EngineInput(
        condition=condition,
        today=today,
        baseline_pain=baseline,
        surgery_date=surgery_date,
        frequency_per_week=frequency,
        assignment_start=_optional_date(data.get("assignment_start"), "assignment_start"),
        ladder=ladder,
        current_step=current,
        sessions=_sessions(data.get("sessions"), len(ladder)),
        measurements=_measurements(data.get("measurements")),
        settings=_settings(data.get("settings")),
        training_days=_training_days(data.get("training_days")),
    )


# --------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Flag:
    kind: str
    severity: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "severity": self.severity, "reason": self.reason}


@dataclass(frozen=True)
class Outcome:
    """What one rule concluded: a decision (decision rules only), a reason, and perhaps a flag."""

    rule: str
    reason: str
    decision: str | None = None
    flag: Flag | None = None


@dataclass(frozen=True)
class Decision:
    decision: str
    next_step: int
    rules: tuple[str, ...]
    reasons: tuple[str, ...]
    flags: tuple[Flag, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        return {
            "decision": self.decision,
            "next_step": self.next_step,
            "rules": list(self.rules),
            "reasons": list(self.reasons),
            "flags": [flag.as_dict() for flag in self.flags],
        }


# --------------------------------------------------------------------------
# Definitions
# --------------------------------------------------------------------------


class Context:
    """The input plus the derived facts the rules share."""

    def __init__(self, data: EngineInput):
        self.data = data
        self.s = data.settings
        self.sessions = data.sessions
        self.latest = data.sessions[-1] if data.sessions else None
        self.measurement = max(
            enumerate(data.measurements), key=lambda pair: (pair[1].date, pair[0]), default=(None, None)
        )[1]
        self.next_index = data.current_step + 1
        self.next_step = data.ladder[self.next_index] if self.next_index < len(data.ladder) else None

    def level(self, index: int) -> str:
        """A ladder index as people read it: "level 5 of 9" (reasons are for people; the JSON stays 0-based)."""
        return format_level(index, len(self.data.ladder))

    def step_down_advice(self) -> str:
        current = self.data.current_step
        if current == 0:
            return f"stay at {self.level(0)}, the easiest"
        return f"step down to {self.level(current - 1)} next time"

    def zone(self, pain: int) -> str:
        if pain > self.s.red_above:
            return "red"
        if pain > self.s.green_max:
            return "amber"
        return "green"

    def morning_rise(self, session: Session) -> bool:
        return session.pain_next_morning is not None and session.pain_next_morning > self.data.baseline_pain

    def green(self, session: Session) -> bool:
        return (
            session.completed
            and self.zone(session.pain_during) == "green"
            and session.pain_next_morning is not None
            and session.pain_next_morning <= self.data.baseline_pain
        )

    def morning_values(self, first_day_back: int, last_day_back: int) -> list[int]:
        """Known next-morning pain of sessions dated in [today - first_day_back, today - last_day_back]."""
        start = self.data.today - dt.timedelta(days=first_day_back)
        end = self.data.today - dt.timedelta(days=last_day_back)
        return [s.pain_next_morning for s in self.sessions
                if start <= s.date <= end and s.pain_next_morning is not None]


def _mean(values: list[int]) -> Fraction:
    return Fraction(sum(values), len(values))


def _load(step: Step) -> str:
    return f"{_fmt(step.speed_kmh)} km/h, {_fmt(step.incline_pct)} % incline, {_fmt(step.duration_min)} min"


# --------------------------------------------------------------------------
# Decision rules, in order: the first that matches decides
# --------------------------------------------------------------------------


def r1_red_pain(c: Context) -> Outcome | None:
    """R1 — pain during the latest session above red_above (5/10): regress, urgent flag.

    Pain-monitoring model: pain during exercise may reach 5/10 but not pass it
    (Thomeé 1997; Silbernagel et al. 2007).
    """
    if c.zone(c.latest.pain_during) != "red":
        return None
    reason = (f"Pain during the latest session ({format_date(c.latest.date)}) was {c.latest.pain_during}/10, "
              f"above the {c.s.red_above}/10 limit: {c.step_down_advice()}.")
    return Outcome("R1", reason, "regress", Flag("pain_red", "urgent", reason))


def r2_effusion(c: Context) -> Outcome | None:
    """R2 — after ACL-R, effusion of 2+ or more on the latest stroke test: hold (urgent at 3+).

    Stroke-test grading, Sturgill et al. 2009; soreness and effusion rules
    after ACL-R, Adams et al. 2012.
    """
    if c.data.condition != "acl" or c.measurement is None or c.measurement.effusion is None:
        return None
    grade = EFFUSION_GRADES.index(c.measurement.effusion)
    if grade < EFFUSION_GRADES.index("2+"):
        return None
    severity = "urgent" if c.measurement.effusion == "3+" else "warning"
    reason = (f"Knee effusion graded {c.measurement.effusion} on the stroke test of {format_date(c.measurement.date)}: "
              "stay at the same level until the swelling settles.")
    return Outcome("R2", reason, "hold", Flag("effusion", severity, reason))


def r3_repeated_morning_rise(c: Context) -> Outcome | None:
    """R3 — next-morning pain above baseline after each of the two latest sessions: regress.

    Pain must settle by the next morning (Silbernagel et al. 2007); a repeated
    rise means the load is too high.
    """
    if len(c.sessions) < 2 or not (c.morning_rise(c.sessions[-1]) and c.morning_rise(c.sessions[-2])):
        return None
    reason = (f"Next-morning pain was above the starting level of {c.data.baseline_pain}/10 after each of the "
              f"last two sessions: {c.step_down_advice()}.")
    return Outcome("R3", reason, "regress", Flag("morning_pain", "warning", reason))


def r4_morning_rise(c: Context) -> Outcome | None:
    """R4 — next-morning pain above baseline after the latest session: hold (Silbernagel et al. 2007)."""
    if not c.morning_rise(c.latest):
        return None
    reason = (f"Next-morning pain after the latest session was {c.latest.pain_next_morning}/10, above the "
              f"starting level of {c.data.baseline_pain}/10: stay at the same level.")
    return Outcome("R4", reason, "hold", Flag("morning_pain", "info", reason))


def r5_amber_pain(c: Context) -> Outcome | None:
    """R5 — pain during the latest session in the amber zone (4–5/10): acceptable, but hold.

    Pain-monitoring model: up to 5/10 is allowed, so no step down, but no step up either.
    """
    if c.zone(c.latest.pain_during) != "amber":
        return None
    reason = (f"Pain during the latest session was {c.latest.pain_during}/10: acceptable, "
              "but stay at the same level until it is lower.")
    return Outcome("R5", reason, "hold")


def r6_worsening_trend(c: Context) -> Outcome | None:
    """R6 — next-morning pain this week is worse than last week by >= trend_points: hold.

    Compares the mean known morning pain over [today-6, today] with
    [today-13, today-7], each with at least two values; a session's morning
    value belongs to the session's date (Silbernagel et al. 2007: pain should
    not increase from week to week).
    """
    recent, earlier = c.morning_values(6, 0), c.morning_values(13, 7)
    if len(recent) < 2 or len(earlier) < 2:
        return None
    rise = _mean(recent) - _mean(earlier)
    if rise < c.s.trend_points:
        return None
    reason = (f"Morning pain averaged {_fmt(_mean(recent))}/10 over the last 7 days, up from "
              f"{_fmt(_mean(earlier))}/10 the week before: stay at the same level.")
    return Outcome("R6", reason, "hold", Flag("worsening_trend", "warning", reason))


def r7_not_enough_green(c: Context) -> Outcome | None:
    """R7 — fewer than green_sessions_to_progress (2) green sessions in a row at the current step: hold.

    A green session: completed, pain during <= green_max and next-morning pain
    known and no higher than baseline (pain-monitoring model).
    """
    streak = 0
    for session in reversed(c.sessions):
        if session.step != c.data.current_step or not c.green(session):
            break
        streak += 1
    needed = c.s.green_sessions_to_progress
    if streak >= needed:
        return None
    reason = (f"{streak} of the {needed} comfortable sessions in a row needed at {c.level(c.data.current_step)} so far "
              "(completed, low pain, next-morning pain settled): stay at the same level.")
    return Outcome("R7", reason, "hold")


def r8_ladder_complete(c: Context) -> Outcome | None:
    """R8 — the current step is the top of the ladder: hold and tell the therapist."""
    if c.next_step is not None:
        return None
    reason = (f"The top of the ladder ({c.level(c.data.current_step)}) is reached: time for the therapist to review "
              "the plan or move to the next phase.")
    return Outcome("R8", reason, "hold", Flag("ladder_complete", "info", reason))


def _gate_unmet(c: Context) -> list[str]:
    """Every unmet criterion for a first running step; an unknown value never meets a criterion."""
    m = c.measurement or Measurement(date=c.data.today)
    unmet = []
    if m.running_signoff is not True:
        unmet.append("therapist sign-off for running")
    if c.data.condition == "acl":
        days = (c.data.today - c.data.surgery_date).days
        if days < ACL_GATE_DAYS:
            unmet.append(f"at least 12 weeks since surgery (now {days} days)")
        for label, value, floor in (("quadriceps LSI", m.quad_lsi_pct, ACL_GATE_QUAD_LSI),
                                    ("hop LSI", m.hop_lsi_pct, ACL_GATE_HOP_LSI),
                                    ("range of motion", m.rom_pct, ACL_GATE_ROM)):
            if value is None:
                unmet.append(f"{at_least(label, floor, '%')} (not measured)")
            elif value < floor:
                unmet.append(f"{at_least(label, floor, '%')} (now {_fmt(value)} %)")
        limit = EFFUSION_GRADES.index(ACL_GATE_MAX_EFFUSION)
        if m.effusion is None:
            unmet.append("effusion trace or less (not measured)")
        elif EFFUSION_GRADES.index(m.effusion) > limit:
            unmet.append(f"effusion trace or less (now {m.effusion})")
        if not c.latest.pain_during < ACL_GATE_PAIN_BELOW:
            unmet.append(f"pain during below {ACL_GATE_PAIN_BELOW}/10 (latest {c.latest.pain_during}/10)")
    return unmet


def r9_running_gate(c: Context) -> Outcome | None:
    """R9 — the next step is a running step (speed >= running_speed_kmh) and a criterion is unmet: hold.

    Running needs the therapist's sign-off; after ACL-R also >= 12 weeks since
    surgery, quadriceps and hop LSI >= 70 %, ROM >= 95 %, effusion trace or
    less, and pain during below 2/10 (Rambaud et al. 2018). People switch from
    backward walking to running at about 1.63 m/s, 5.8 km/h (Hreljac 2005).
    """
    if not is_running_speed(c.next_step.speed_kmh, c.s.running_speed_kmh):
        return None
    unmet = _gate_unmet(c)
    if not unmet:
        return None
    # Said only here, where the next step's speed reaches the threshold; "too" when this level already runs.
    current = c.data.ladder[c.data.current_step]
    also = " too" if is_running_speed(current.speed_kmh, c.s.running_speed_kmh) else ""
    reason = (f"The next level ({c.level(c.next_index)}, {_fmt(c.next_step.speed_kmh)} km/h) is running{also} "
              f"(from {_fmt(c.s.running_speed_kmh)} km/h); not yet met: " + "; ".join(unmet) + ".")
    return Outcome("R9", reason, "hold", Flag("gate_not_met", "info", reason))


def r10_needs_override(c: Context) -> Outcome | None:
    """R10 — the next step is steep (incline > max_auto_incline_pct) or changes more than one variable: hold.

    Progress one variable at a time (product safety rules); steep inclines need a therapist.
    """
    current = c.data.ladder[c.data.current_step]
    changed = current.changed_variables(c.next_step)
    if c.next_step.incline_pct <= c.s.max_auto_incline_pct and changed <= 1:
        return None
    why = []
    if c.next_step.incline_pct > c.s.max_auto_incline_pct:
        why.append(f"its incline of {_fmt(c.next_step.incline_pct)} % is above {_fmt(c.s.max_auto_incline_pct)} %")
    if changed > 1:
        why.append(f"it changes {changed} things at once")
    reason = (f"The next level ({c.level(c.next_index)}: {_load(c.next_step)}) needs the therapist's approval: "
              + " and ".join(why) + ".")
    return Outcome("R10", reason, "hold", Flag("needs_override", "info", reason))


def r11_progress(c: Context) -> Outcome:
    """R11 — otherwise: progress one step up the ladder."""
    count = c.s.green_sessions_to_progress
    reason = (f"{count} comfortable sessions in a row at {c.level(c.data.current_step)}: ready to move up to "
              f"{c.level(c.next_index)} ({_load(c.next_step)}).")
    return Outcome("R11", reason, "progress")


DECISION_RULES: tuple[Callable[[Context], Outcome | None], ...] = (
    r1_red_pain, r2_effusion, r3_repeated_morning_rise, r4_morning_rise, r5_amber_pain, r6_worsening_trend,
    r7_not_enough_green, r8_ladder_complete, r9_running_gate, r10_needs_override, r11_progress,
)


# --------------------------------------------------------------------------
# Flag rules: always run (only F1 when there are no sessions)
# --------------------------------------------------------------------------


ADHERENCE_WINDOW_DAYS = 14


@dataclass(frozen=True)
class RecentTraining:
    """Training days in the 14 days up to today against the days the plan asks for in them.

    The one computation behind both the 14-day adherence a therapist reads on
    the patient list and the figure in a `low_adherence` flag (F1), so the two
    can never disagree.
    """

    trained: int  # distinct training days dated in [today-13, today]
    planned: Fraction  # frequency_per_week x the plan's active days in that window / 7

    @property
    def percent(self) -> int | None:
        """Whole per cent, half up; days beyond the plan are not credited (at most 100); None if none planned."""
        if self.planned == 0:
            return None
        share = Fraction(100) * min(self.trained, self.planned) / self.planned
        return int(share + Fraction(1, 2))

    def sentence(self) -> str:
        percent = "" if self.percent is None else f" ({self.percent} %)"
        return (f"Trained on {self.trained} of the last {ADHERENCE_WINDOW_DAYS} days; "
                f"the plan asks for {_fmt(self.planned)}{percent}.")


def recent_training(*, training_days: Iterable[dt.date], today: dt.date, frequency_per_week: int,
                    start: dt.date | None = None) -> RecentTraining:
    """Distinct training days in [today-13, today], and the days planned from `start` (if later) to today."""
    window_start = today - dt.timedelta(days=ADHERENCE_WINDOW_DAYS - 1)
    first = max(window_start, start) if start is not None else window_start
    active_days = max((today - first).days + 1, 0)
    trained = sum(1 for day in set(training_days) if window_start <= day <= today)
    return RecentTraining(trained=trained, planned=Fraction(frequency_per_week * active_days, 7))


def f1_low_adherence(c: Context) -> Outcome | None:
    """F1 — training days in [today-13, today] below adherence_min_fraction x 2 x frequency: warning.

    Training days are the distinct dates in `training_days` when given (v1.1: the
    plan's, any exercise or phase), else the distinct dates of completed
    sessions. Only once the plan has run for 14 days: from the assignment start
    if given, else from the earliest known date (a training day or a session).
    """
    days = c.data.training_days
    if days is None:
        days = frozenset(s.date for s in c.sessions if s.completed)
    known = days | {s.date for s in c.sessions}
    start = c.data.assignment_start or (min(known) if known else None)
    if start is None or (c.data.today - start).days < ADHERENCE_WINDOW_DAYS:
        return None
    recent = recent_training(training_days=days, today=c.data.today, frequency_per_week=c.data.frequency_per_week,
                             start=start)
    if recent.trained >= c.s.adherence_min_fraction * recent.planned:
        return None
    reason = recent.sentence()
    return Outcome("F1", reason, flag=Flag("low_adherence", "warning", reason))


def f2_improved(c: Context) -> Outcome | None:
    """F2 — mean next-morning pain over the last 7 days at least 2 points below baseline: info.

    A 2-point change on the NPRS is clinically important (Farrar 2001).
    """
    if c.data.baseline_pain < 2:
        return None
    recent = c.morning_values(6, 0)
    if len(recent) < 2 or _mean(recent) > c.data.baseline_pain - 2:
        return None
    reason = (f"Morning pain averaged {_fmt(_mean(recent))}/10 over the last 7 days, down from "
              f"{c.data.baseline_pain}/10 at the start.")
    return Outcome("F2", reason, flag=Flag("improved", "info", reason))


NO_SESSIONS_RULE = "R0"


def decide(data: EngineInput) -> Decision:
    """Apply the decision rules in order, then the flag rules."""
    c = Context(data)
    if c.latest is None:
        outcome = Outcome(NO_SESSIONS_RULE, f"No sessions logged yet: start at {c.level(data.current_step)}.", "hold")
        flag_rules = (f1_low_adherence,)
    else:
        outcome = next(result for rule in DECISION_RULES if (result := rule(c)) is not None)
        flag_rules = (f1_low_adherence, f2_improved)
    outcomes = [outcome] + [result for rule in flag_rules if (result := rule(c)) is not None]
    if outcome.decision == "progress":
        next_step = data.current_step + 1
    elif outcome.decision == "regress":
        next_step = max(data.current_step - 1, 0)
    else:
        next_step = data.current_step
    return Decision(
        decision=outcome.decision,
        next_step=next_step,
        rules=tuple(o.rule for o in outcomes),
        reasons=tuple(o.reason for o in outcomes),
        flags=tuple(o.flag for o in outcomes if o.flag is not None),
    )


def evaluate(data: Any) -> dict[str, Any]:
    """JSON in, JSON out: validate `data` and return the decision object of progression-rules.md."""
    return decide(parse_input(data)).as_dict()
