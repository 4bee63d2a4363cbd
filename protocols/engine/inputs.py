"""The engine's input: its typed form, and `parse_input`, which validates JSON-shaped data into it.

Invalid input raises `EngineInputError` naming the field; it never reaches a rule.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

CONDITIONS = ("pfp", "acl")
EFFUSION_GRADES = ("0", "trace", "1+", "2+", "3+")

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
