"""What the rules share: the output types, and the `Context` with the derived facts (zones, green sessions,
morning rises) every rule reads."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from protocols.engine.inputs import EngineInput, Session, Step
from protocols.wording import format_level
from protocols.wording import format_number as _fmt  # numbers in reasons read as everywhere else

DECISIONS = ("progress", "hold", "regress")
FLAG_KINDS = (
    "pain_red", "effusion", "morning_pain", "worsening_trend", "gate_not_met",
    "needs_override", "ladder_complete", "low_adherence", "improved",
)
SEVERITIES = ("info", "warning", "urgent")


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


def mean(values: list[int]) -> Fraction:
    return Fraction(sum(values), len(values))


def describe_step(step: Step) -> str:
    return f"{_fmt(step.speed_kmh)} km/h, {_fmt(step.incline_pct)} % incline, {_fmt(step.duration_min)} min"
