"""How Backstep writes levels, dates and thresholds for people: one helper per idea.

A pure module (no Django, no clock, no locale): the progression engine words
its reasons with it, and the `people` template library
(clinic/templatetags/people.py) uses the same functions on every page, e-mail,
handout and export, so a level or a date reads the same wherever it appears.

Levels: the load ladder is stored and computed 0-based (index 0 = easiest,
progression-rules.md); people count from 1, so ladder index 4 of a 9-step
ladder is "level 5 of 9" everywhere it is read.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def level_number(index: int) -> int:
    """The number people read for a 0-based ladder index: index 0 is level 1."""
    return index + 1


def format_level(index: int | None, count: int | None = None) -> str:
    """A ladder index for people: "level 5 of 9" (index 4 of 9 steps), or "level 5" when the size is unknown.

    Lower case, so it reads inside a sentence; capitalise it at the start of one.
    An unknown index (an exercise without a ladder) is an empty string.
    """
    if index is None:
        return ""
    if count:
        return f"level {level_number(index)} of {count}"
    return f"level {level_number(index)}"


def format_date(day: dt.date) -> str:
    """A date in words, in full: "3 December 2026" (never 2026-12-03 in text for people)."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def format_day(day: dt.date) -> str:
    """A recent date, short: "Thu 3 Dec"."""
    return f"{WEEKDAYS[day.weekday()][:3]} {day.day} {MONTHS[day.month - 1][:3]}"


def format_number(value: Fraction | Decimal | int | float) -> str:
    """A threshold or measurement without trailing zeros: 5.8, 70, 0.5."""
    number = float(value)
    return str(int(number)) if number == int(number) else f"{number:g}"


def at_least(label: str, floor: Fraction | Decimal | int | float, unit: str = "") -> str:
    """A criterion for people: "quadriceps LSI ≥ 70 %" (the sign, never ">=")."""
    return f"{label} ≥ {format_number(floor)}{f' {unit}' if unit else ''}"


def is_running_speed(speed_kmh: Fraction | Decimal | int | float | None,
                     running_speed_kmh: Fraction | Decimal | int | float) -> bool:
    """A load is running when its speed reaches the running threshold (rules: speed ≥ running_speed_kmh).

    Compared exactly (through str), so 5.8 against a threshold of 5.8 is running.
    """
    if speed_kmh is None:
        return False
    return Fraction(str(speed_kmh)) >= Fraction(str(running_speed_kmh))
