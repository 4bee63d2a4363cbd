"""People-facing wording: levels from 1, dates in words, "≥", walking or running by the threshold.

The engine's JSON stays 0-based (`current_step`, `next_step`, `step`); its
`reasons` and flag `reason` strings are read by people, so they count levels
from 1 (rules v1.1, "Applying decisions"), write dates in words and "≥".
"""

import datetime as dt
import re
from decimal import Decimal
from fractions import Fraction

import pytest

from protocols.engine import evaluate
from protocols.tests import engine_support as spec
from protocols.tests import test_engine_gates_and_flags, test_engine_precedence_and_input, test_engine_rules
from protocols.tests.engine_support import RUN, WALK, make, measurement, running, session
from protocols.wording import (
    at_least,
    format_date,
    format_day,
    format_level,
    format_number,
    is_running_speed,
)

ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
ZERO_BASED = re.compile(r"\bstep \d", re.IGNORECASE)


def test_format_level_counts_from_one():
    assert format_level(0, 9) == "level 1 of 9"
    assert format_level(4, 9) == "level 5 of 9"
    assert format_level(8, 9) == "level 9 of 9"
    assert format_level(2) == "level 3"
    assert format_level(None, 9) == ""


def test_dates_in_words():
    assert format_date(dt.date(2026, 12, 3)) == "3 December 2026"
    assert format_day(dt.date(2026, 12, 3)) == "Thu 3 Dec"
    assert format_day(dt.date(2026, 9, 7)) == "Mon 7 Sep"


def test_numbers_and_criteria():
    assert format_number(Fraction(29, 5)) == "5.8"
    assert format_number(Decimal("70.0")) == "70"
    assert at_least("hop LSI", 70, "%") == "hop LSI ≥ 70 %"


@pytest.mark.parametrize("speed, threshold, expected", [
    (Decimal("5.5"), 5.8, False), (Decimal("5.8"), 5.8, True), (5.79, 5.8, False), (6, 5.8, True),
    (Decimal("5.8"), 6, False), (None, 5.8, False),
])
def test_running_is_decided_by_the_threshold(speed, threshold, expected):
    assert is_running_speed(speed, threshold) is expected


# ---------------------------------------------------------------------------
# The engine's reasons
# ---------------------------------------------------------------------------


def nine_steps() -> list[dict]:
    return [spec.step(2.5, 0, 10 + minutes) for minutes in range(9)]


def test_progress_reason_names_levels_from_one():
    data = make(ladder=nine_steps(), current_step=4, sessions=[session(2, step=4), session(1, step=4)])
    result = evaluate(data)
    assert (result["decision"], result["next_step"]) == ("progress", 5)  # the JSON stays 0-based
    reason = result["reasons"][0]
    assert "at level 5 of 9" in reason and "up to level 6 of 9" in reason, reason
    assert not ZERO_BASED.search(reason), reason


def test_red_pain_reason_has_the_date_in_words_and_the_level_to_step_down_to():
    data = make(ladder=nine_steps(), current_step=4, sessions=[session(2, step=4), session(1, step=4, pain=7)])
    result = evaluate(data)
    reason = result["flags"][0]["reason"]
    assert result["next_step"] == 3
    assert "(9 September 2026)" in reason and "step down to level 4 of 9" in reason, reason
    assert not ISO_DATE.search(reason), reason


def test_red_pain_at_the_first_level_says_stay_there():
    result = evaluate(make(current_step=0, sessions=[session(1, step=0, pain=8)]))
    assert f"stay at level 1 of {len(WALK)}, the easiest" in result["reasons"][0]


def test_effusion_reason_dates_the_stroke_test_in_words():
    data = make(condition="acl", surgery_date=spec.day(200), measurements=[measurement(3, effusion="2+")])
    reason = evaluate(data)["flags"][0]["reason"]
    assert "7 September 2026" in reason and not ISO_DATE.search(reason), reason


def test_running_gate_says_running_with_the_level_and_uses_the_sign():
    data = running(condition="acl", surgery_date=spec.day(200), measurements=[measurement(3, quad_lsi_pct=60)])
    reason = evaluate(data)["flags"][0]["reason"]
    assert reason.startswith("The next level (level 2 of 3, 5.8 km/h) is running (from 5.8 km/h)"), reason
    assert "quadriceps LSI ≥ 70 % (now 60 %)" in reason and ">=" not in reason, reason


def test_running_gate_when_this_level_already_runs():
    data = running(current_step=1, sessions=[session(2, step=1, pain=1), session(1, step=1, pain=1)])
    reason = evaluate(data)["reasons"][0]
    assert reason.startswith("The next level (level 3 of 3, 6.3 km/h) is running too"), reason


def test_running_is_never_said_when_the_next_level_is_below_the_clinics_threshold():
    # The clinic moved the threshold to 6 km/h: 5.3 -> 5.8 is still walking, so no gate and no "running".
    result = evaluate(running(settings={"running_speed_kmh": 6}))
    assert result["decision"] == "progress"
    assert not any("running" in reason.lower() for reason in result["reasons"]), result["reasons"]


# The engine's spec tables live in three modules, by group of rules.
SPEC_TABLE_MODULES = (test_engine_rules, test_engine_gates_and_flags, test_engine_precedence_and_input)


def all_spec_inputs():
    """Every input of the spec tables that produces a decision."""
    tables = sorted(((name, module) for module in SPEC_TABLE_MODULES for name in dir(module)
                     if name.endswith("_CASES") and name not in ("INVALID_CASES", "MISSING_CASES")),
                    key=lambda table: table[0])
    for name, module in tables:
        for param in getattr(module, name):
            yield pytest.param(param.values[0], id=f"{name}:{param.id}")


@pytest.mark.parametrize("data", list(all_spec_inputs()))
def test_no_reason_counts_from_zero_or_shows_machine_text(data):
    result = evaluate(data)
    texts = list(result["reasons"]) + [flag["reason"] for flag in result["flags"]]
    for text in texts:
        assert not ZERO_BASED.search(text), text
        assert not ISO_DATE.search(text), text
        assert ">=" not in text and "<=" not in text, text
        if "running" in text.lower():
            ladder, current = data["ladder"], data["current_step"]
            threshold = data.get("settings", {}).get("running_speed_kmh", 5.8)
            assert is_running_speed(ladder[current + 1]["speed_kmh"], threshold), text
    assert RUN  # the running ladder is part of the tables above
