"""What the rules share: the output types, and the `Context` with the derived facts (zones, green sessions,
morning rises) every rule reads."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from protocols.engine.inputs import EngineInput, Session, Step
from protocols.engine.messages import Message, level

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
    """A flag for the therapist; its reason is a `Message`, worded where it is shown."""

    kind: str
    severity: str
    message: Message

    @property
    def reason(self) -> str:
        """The reason in English, as the JSON for machines has it."""
        return self.message.english()

    def as_dict(self, *, messages: bool = False) -> dict[str, Any]:
        flag = {"kind": self.kind, "severity": self.severity, "reason": self.reason}
        if messages:
            flag["reason_message"] = self.message.as_dict()
        return flag


@dataclass(frozen=True)
class Outcome:
    """What one rule concluded: a decision (decision rules only), a reason (a `Message`), and perhaps a flag."""

    rule: str
    message: Message
    decision: str | None = None
    flag: Flag | None = None

    @property
    def reason(self) -> str:
        return self.message.english()


@dataclass(frozen=True)
class Decision:
    decision: str
    next_step: int
    rules: tuple[str, ...]
    messages: tuple[Message, ...]
    flags: tuple[Flag, ...] = field(default_factory=tuple)

    @property
    def reasons(self) -> tuple[str, ...]:
        """The reasons in English, as the JSON for machines has them (render `messages` for people)."""
        return tuple(message.english() for message in self.messages)

    def as_dict(self, *, messages: bool = False) -> dict[str, Any]:
        """The decision object of progression-rules.md, its reasons in English whatever language is active.

        With `messages`, also each reason's message ({"id", "params"}):
        `reason_messages` beside `reasons` and `reason_message` in each flag,
        for callers that store them to word them again in the reader's language.
        """
        decision = {
            "decision": self.decision,
            "next_step": self.next_step,
            "rules": list(self.rules),
            "reasons": list(self.reasons),
            "flags": [flag.as_dict(messages=messages) for flag in self.flags],
        }
        if messages:
            decision["reason_messages"] = [message.as_dict() for message in self.messages]
        return decision


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

    def level(self, index: int) -> dict[str, int]:
        """A ladder index for a message: people read "level 5 of 9" (the JSON's steps stay 0-based)."""
        return level(index, len(self.data.ladder))

    def step_down_advice(self) -> Message:
        current = self.data.current_step
        if current == 0:
            return Message("advice.stay_easiest", {"level": self.level(0)})
        return Message("advice.step_down", {"level": self.level(current - 1)})

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


def describe_step(step: Step) -> Message:
    return Message("step.load", {"speed": step.speed_kmh, "incline": step.incline_pct, "duration": step.duration_min})
