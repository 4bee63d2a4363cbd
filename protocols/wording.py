"""How Backstep writes levels, dates and thresholds for people: one helper per idea.

A pure module (no database, no clock): the progression engine's messages
(protocols/engine/messages.py) word their parameters with it, and the `people`
template library (clinic/templatetags/people.py) uses the same functions on
every page, e-mail, handout and export, so a level or a date reads the same
wherever it appears. Each writes in the language active when it is called
(Django's translation and its format of months, weekdays and decimal sign):
"3 December 2026" and "5.8" in English, "3. Dezember 2026" and "5,8" in
German. Text for machines is written with `translation.override("en")`.

Levels: the load ladder is stored and computed 0-based (index 0 = easiest,
progression-rules.md); people count from 1, so ladder index 4 of a 9-step
ladder is "level 5 of 9" everywhere it is read.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

from django.utils import dateformat, formats
from django.utils.translation import gettext, pgettext


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
        return gettext("level %(number)s of %(count)s") % {"number": level_number(index), "count": count}
    return gettext("level %(number)s") % {"number": level_number(index)}


def format_date(day: dt.date) -> str:
    """A date in words, in full: "3 December 2026" (never 2026-12-03 in text for people)."""
    # Translators: a date in words, as Django's date format (j day, F month, Y year); "j F Y" is 3 December 2026.
    return dateformat.format(day, pgettext("date in words", "j F Y"))


def format_day(day: dt.date) -> str:
    """A recent date, short: "Thu 3 Dec"."""
    # Translators: a short recent date, as Django's date format (D weekday, j day, M month); "D j M" is Thu 3 Dec.
    return dateformat.format(day, pgettext("short date", "D j M"))


def format_number(value: Fraction | Decimal | int | float) -> str:
    """A threshold or measurement without trailing zeros: 5.8, 70, 0.5 ("5,8" where the decimal sign is a comma)."""
    number = float(value)
    if number == int(number):
        return str(int(number))
    return f"{number:g}".replace(".", formats.get_format("DECIMAL_SEPARATOR"))


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
