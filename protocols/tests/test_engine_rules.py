"""The progression engine's rules R1 to R7, table-driven against ../shared/docs/progression-rules.md.

Every rule firing, pain zones (R1, R5), effusion (R2), morning rise (R3, R4), the worsening trend (R6) and the
green streak (R7). The baseline input and the case helpers are in engine_support.py.
"""

from __future__ import annotations

import pytest

from protocols.engine import DEFAULT_SETTINGS
from protocols.tests.engine_support import (
    LAST,
    OUTCOME,
    PROGRESS,
    R7_HOLD,
    acl,
    case,
    check,
    make,
    measurement,
    running,
    session,
    step,
    trend,
)


def test_default_settings_are_the_documented_defaults():
    assert DEFAULT_SETTINGS == {
        "green_max": 3, "red_above": 5, "trend_points": 1.0, "green_sessions_to_progress": 2,
        "running_speed_kmh": 5.8, "max_auto_incline_pct": 10, "adherence_min_fraction": 0.6,
    }


# ---------------------------------------------------------------------------
# Every rule firing: decision, next step, rules and flags
# ---------------------------------------------------------------------------

RULE_CASES = [
    case("R11 two green sessions progress", make(), *PROGRESS),
    case("R1 red pain regresses with urgent flag", make(sessions=[session(2), session(1, pain=6)]),
         "regress", 0, ["R1"], [("pain_red", "urgent")]),
    case("R1 from step 3 goes to step 2",
         make(current_step=3, sessions=[session(2, step=3), session(1, step=3, pain=7)]),
         "regress", 2, ["R1"], [("pain_red", "urgent")]),
    case("R1 at step 0 stays 0 and keeps flag",
         make(current_step=0, sessions=[session(2, step=0), session(1, step=0, pain=6)]),
         "regress", 0, ["R1"], [("pain_red", "urgent")]),
    case("R2 acl effusion 2+ warning", acl(measurements=[measurement(3, effusion="2+")]),
         "hold", 1, ["R2"], [("effusion", "warning")]),
    case("R2 acl effusion 3+ urgent", acl(measurements=[measurement(3, effusion="3+")]),
         "hold", 1, ["R2"], [("effusion", "urgent")]),
    case("R3 two morning rises regress", make(sessions=[session(2, morning=2), session(1, morning=2)]),
         "regress", 0, ["R3"], [("morning_pain", "warning")]),
    case("R3 at step 0 stays 0 and keeps flag",
         make(current_step=0, sessions=[session(2, step=0, morning=3), session(1, step=0, morning=2)]),
         "regress", 0, ["R3"], [("morning_pain", "warning")]),
    case("R4 latest morning rise holds", make(sessions=[session(2), session(1, morning=2)]),
         "hold", 1, ["R4"], [("morning_pain", "info")]),
    case("R5 amber pain holds", make(sessions=[session(2), session(1, pain=4)]), "hold", 1, ["R5"]),
    case("R6 worsening trend holds", trend([(1, 2), (0, 2)], [(9, 1), (8, 1)]),
         "hold", 1, ["R6"], [("worsening_trend", "warning")]),
    case("R7 only one green session", make(sessions=[session(1)]), *R7_HOLD),
    case("R8 ladder complete", make(current_step=LAST, sessions=[session(2, step=LAST), session(1, step=LAST)]),
         "hold", LAST, ["R8"], [("ladder_complete", "info")]),
    case("R8 one-step ladder",
         make(ladder=[step(2.5, 0, 10)], current_step=0, sessions=[session(2, step=0), session(1, step=0)]),
         "hold", 0, ["R8"], [("ladder_complete", "info")]),
    case("R9 running gate pfp without sign-off", running(), "hold", 0, ["R9"], [("gate_not_met", "info")]),
    case("R10 next incline above 10",
         make(ladder=[step(2.5, 10, 20), step(2.5, 10.5, 20)], current_step=0,
              sessions=[session(2, step=0), session(1, step=0)]),
         "hold", 0, ["R10"], [("needs_override", "info")]),
    case("R10 two variables change",
         make(ladder=[step(2.5, 0, 10), step(3.0, 2.5, 10)], current_step=0,
              sessions=[session(2, step=0), session(1, step=0)]),
         "hold", 0, ["R10"], [("needs_override", "info")]),
]


@pytest.mark.parametrize(OUTCOME, RULE_CASES)
def test_each_rule_fires(data, decision, next_step, rules, flags):
    check(data, decision, next_step, rules, flags)


# ---------------------------------------------------------------------------
# Pain zones (R1, R5) including settings overrides
# ---------------------------------------------------------------------------

def latest_pain(pain: int, **overrides) -> dict:
    return make(sessions=[session(2), session(1, pain=pain)], **overrides)


PAIN_CASES = [
    case("pain 0 green", latest_pain(0), *PROGRESS),
    case("pain 3 green", latest_pain(3), *PROGRESS),
    case("pain 4 amber", latest_pain(4), "hold", 1, ["R5"]),
    case("pain 5 amber (may reach 5)", latest_pain(5), "hold", 1, ["R5"]),
    case("pain 6 red", latest_pain(6), "regress", 0, ["R1"], [("pain_red", "urgent")]),
    case("pain 10 red", latest_pain(10), "regress", 0, ["R1"], [("pain_red", "urgent")]),
    case("red pain on an earlier session only breaks the streak",
         make(sessions=[session(2, pain=8), session(1)]), *R7_HOLD),
    case("amber pain on an earlier session only breaks the streak",
         make(sessions=[session(2, pain=4), session(1)]), *R7_HOLD),
    case("red pain on an incomplete latest session still regresses",
         make(sessions=[session(2), session(1, pain=7, completed=False)]),
         "regress", 0, ["R1"], [("pain_red", "urgent")]),
    case("green_max 4 makes pain 4 green", latest_pain(4, settings={"green_max": 4}), *PROGRESS),
    case("green_max 2 makes pain 3 amber", latest_pain(3, settings={"green_max": 2}), "hold", 1, ["R5"]),
    case("red_above 6 makes pain 6 amber", latest_pain(6, settings={"red_above": 6}), "hold", 1, ["R5"]),
    case("red_above 6 pain 7 red", latest_pain(7, settings={"red_above": 6}),
         "regress", 0, ["R1"], [("pain_red", "urgent")]),
    case("red_above 4 makes pain 5 red", latest_pain(5, settings={"red_above": 4}),
         "regress", 0, ["R1"], [("pain_red", "urgent")]),
]


@pytest.mark.parametrize(OUTCOME, PAIN_CASES)
def test_pain_zones(data, decision, next_step, rules, flags):
    check(data, decision, next_step, rules, flags)


# ---------------------------------------------------------------------------
# Effusion (R2) and the latest measurement
# ---------------------------------------------------------------------------

EFFUSION_CASES = [
    case("acl effusion 0 no R2", acl(measurements=[measurement(3, effusion="0")]), *PROGRESS),
    case("acl effusion trace no R2", acl(measurements=[measurement(3, effusion="trace")]), *PROGRESS),
    case("acl effusion 1+ no R2", acl(measurements=[measurement(3, effusion="1+")]), *PROGRESS),
    case("acl effusion 2+ warning", acl(measurements=[measurement(3, effusion="2+")]),
         "hold", 1, ["R2"], [("effusion", "warning")]),
    case("acl effusion 3+ urgent", acl(measurements=[measurement(3, effusion="3+")]),
         "hold", 1, ["R2"], [("effusion", "urgent")]),
    case("acl effusion null is unknown", acl(measurements=[measurement(3, effusion=None)]), *PROGRESS),
    case("acl effusion missing is unknown", acl(measurements=[measurement(3, quad_lsi_pct=80)]), *PROGRESS),
    case("acl no measurements", acl(), *PROGRESS),
    case("pfp ignores effusion 3+", make(measurements=[measurement(3, effusion="3+")]), *PROGRESS),
    case("pfp ignores effusion 2+", make(measurements=[measurement(3, effusion="2+")]), *PROGRESS),
    case("latest by date 3+ listed first",
         acl(measurements=[measurement(1, effusion="3+"), measurement(10, effusion="0")]),
         "hold", 1, ["R2"], [("effusion", "urgent")]),
    case("older 3+ superseded by later 0",
         acl(measurements=[measurement(10, effusion="3+"), measurement(1, effusion="0")]), *PROGRESS),
    case("older 3+ superseded by later 0 listed first",
         acl(measurements=[measurement(1, effusion="0"), measurement(10, effusion="3+")]), *PROGRESS),
    case("latest without effusion is not filled in from earlier 3+",
         acl(measurements=[measurement(10, effusion="3+"), measurement(1, quad_lsi_pct=80)]), *PROGRESS),
    case("latest of three by date 2+",
         acl(measurements=[measurement(20, effusion="0"), measurement(2, effusion="2+"),
                           measurement(9, effusion="trace")]),
         "hold", 1, ["R2"], [("effusion", "warning")]),
]


@pytest.mark.parametrize(OUTCOME, EFFUSION_CASES)
def test_effusion(data, decision, next_step, rules, flags):
    check(data, decision, next_step, rules, flags)


# ---------------------------------------------------------------------------
# Morning rise (R3, R4) and green sessions
# ---------------------------------------------------------------------------

MORNING_CASES = [
    case("morning equal to baseline is not a rise", make(sessions=[session(2, morning=1), session(1, morning=1)]),
         *PROGRESS),
    case("baseline 3 morning 3 is not a rise",
         make(baseline_pain=3, sessions=[session(2, morning=3), session(1, morning=3)]), *PROGRESS),
    case("baseline+1 on latest is a rise", make(sessions=[session(2), session(1, morning=2)]),
         "hold", 1, ["R4"], [("morning_pain", "info")]),
    case("baseline 0 morning 1 is a rise",
         make(baseline_pain=0, sessions=[session(2, morning=0), session(1, morning=1)]),
         "hold", 1, ["R4"], [("morning_pain", "info")]),
    case("both latest rise regress", make(sessions=[session(2, morning=2), session(1, morning=5)]),
         "regress", 0, ["R3"], [("morning_pain", "warning")]),
    case("R3 whatever the steps of the two latest",
         make(sessions=[session(2, step=0, morning=2), session(1, step=2, morning=2)]),
         "regress", 0, ["R3"], [("morning_pain", "warning")]),
    case("R3 two rises on the same day", make(sessions=[session(0, morning=2), session(0, morning=2)]),
         "regress", 0, ["R3"], [("morning_pain", "warning")]),
    case("R3 counts incomplete sessions",
         make(sessions=[session(2, morning=2, completed=False), session(1, morning=2, completed=False)]),
         "regress", 0, ["R3"], [("morning_pain", "warning")]),
    case("rise on previous only is not R3 or R4", make(sessions=[session(2, morning=2), session(1)]), *R7_HOLD),
    case("rises before the two latest do not count",
         make(sessions=[session(4, morning=3), session(3, morning=3), session(2), session(1)]), *PROGRESS),
    case("latest rise previous null is R4 not R3", make(sessions=[session(2, morning=None), session(1, morning=2)]),
         "hold", 1, ["R4"], [("morning_pain", "info")]),
    case("latest null is neither rise nor green", make(sessions=[session(2), session(1, morning=None)]), *R7_HOLD),
    case("latest null previous rise", make(sessions=[session(2, morning=2), session(1, morning=None)]), *R7_HOLD),
    case("latest null only session", make(sessions=[session(1, morning=None)]), *R7_HOLD),
    case("rise on incomplete latest still R4", make(sessions=[session(2), session(1, morning=2, completed=False)]),
         "hold", 1, ["R4"], [("morning_pain", "info")]),
]


@pytest.mark.parametrize(OUTCOME, MORNING_CASES)
def test_morning_rise(data, decision, next_step, rules, flags):
    check(data, decision, next_step, rules, flags)


# ---------------------------------------------------------------------------
# R6 worsening trend windows (baseline pain 2: mornings of 2 or less are green, not a rise)
# ---------------------------------------------------------------------------

R6 = ("hold", 1, ["R6"], [("worsening_trend", "warning")])

TREND_CASES = [
    case("rise exactly 1 fires [2,2] vs [1,1]", trend([(1, 2), (0, 2)], [(9, 1), (8, 1)]), *R6),
    case("rise 2/3 does not fire [2,2,1] vs [1,1]", trend([(2, 2), (1, 2), (0, 1)], [(9, 1), (8, 1)]), *PROGRESS),
    case("rise exactly 1 with thirds [3,3,2] vs [2,2,1]",
         trend([(2, 3), (1, 3), (0, 2)], [(10, 2), (9, 2), (8, 1)], baseline_pain=3), *R6),
    case("no change does not fire", trend([(1, 1), (0, 1)], [(9, 1), (8, 1)]), *PROGRESS),
    case("improvement does not fire", trend([(1, 1), (0, 1)], [(9, 2), (8, 2)]), *PROGRESS),
    case("today-6 belongs to the recent window", trend([(6, 2), (0, 2)], [(9, 1), (8, 1)]), *R6),
    case("today-7 belongs to the earlier window", trend([(1, 2), (0, 2)], [(10, 1), (7, 1)]), *R6),
    case("today-13 belongs to the earlier window", trend([(1, 2), (0, 2)], [(13, 1), (10, 1)]), *R6),
    case("today-14 is outside both windows", trend([(1, 2), (0, 2)], [(14, 1), (10, 1)]), *PROGRESS),
    case("recent window needs two known values", trend([(1, 2)], [(9, 1), (8, 1)]), *PROGRESS),
    case("recent window null does not count",
         trend([(3, None), (1, 2)], [(9, 1), (8, 1)], settings={"green_sessions_to_progress": 1}), *PROGRESS),
    case("earlier window needs two known values", trend([(1, 2), (0, 2)], [(9, 1), (8, None)]), *PROGRESS),
    case("earlier window one value", trend([(1, 2), (0, 2)], [(9, 1)]), *PROGRESS),
    case("nulls are left out of the mean", trend([(3, None), (1, 2), (0, 2)], [(9, 1), (8, None), (8, 1)]), *R6),
    case("two sessions on one day both count (recent)", trend([(0, 2), (0, 2)], [(9, 1), (8, 1)]), *R6),
    case("two sessions on one day both count (earlier)", trend([(1, 2), (0, 2)], [(8, 1), (8, 1)]), *R6),
    case("trend_points 0.5 makes 2/3 fire",
         trend([(2, 2), (1, 2), (0, 1)], [(9, 1), (8, 1)], settings={"trend_points": 0.5}), *R6),
    case("trend_points 0.66 fires on 2/3",
         trend([(2, 2), (1, 2), (0, 1)], [(9, 1), (8, 1)], settings={"trend_points": 0.66}), *R6),
    case("trend_points 0.67 does not fire on 2/3",
         trend([(2, 2), (1, 2), (0, 1)], [(9, 1), (8, 1)], settings={"trend_points": 0.67}), *PROGRESS),
    case("trend_points 2 does not fire on rise 1",
         trend([(1, 2), (0, 2)], [(9, 1), (8, 1)], settings={"trend_points": 2}), *PROGRESS),
    case("R6 needs no session at current step",
         trend([(1, 2), (0, 2)], [(9, 1), (8, 1)], current_step=2), "hold", 2, ["R6"],
         [("worsening_trend", "warning")]),
]


@pytest.mark.parametrize(OUTCOME, TREND_CASES)
def test_worsening_trend(data, decision, next_step, rules, flags):
    check(data, decision, next_step, rules, flags)


# ---------------------------------------------------------------------------
# R7 green streak
# ---------------------------------------------------------------------------

STREAK_CASES = [
    case("one session only", make(sessions=[session(1)]), *R7_HOLD),
    case("previous green at another step", make(sessions=[session(2, step=0), session(1)]), *R7_HOLD),
    case("previous green at a higher step", make(sessions=[session(2, step=2), session(1)]), *R7_HOLD),
    case("latest at another step", make(sessions=[session(3), session(2), session(1, step=0)]), *R7_HOLD),
    case("green sessions only at another step", make(sessions=[session(2, step=0), session(1, step=0)]), *R7_HOLD),
    case("incomplete latest breaks streak", make(sessions=[session(3), session(2), session(1, completed=False)]),
         *R7_HOLD),
    case("incomplete in the middle breaks streak",
         make(sessions=[session(3), session(2, completed=False), session(1)]), *R7_HOLD),
    case("amber in the middle breaks streak", make(sessions=[session(3), session(2, pain=4), session(1)]), *R7_HOLD),
    case("older breaks do not matter",
         make(sessions=[session(5, completed=False), session(4, step=0), session(3, pain=5), session(2), session(1)]),
         *PROGRESS),
    case("pain 3 sessions are green", make(sessions=[session(2, pain=3), session(1, pain=3)]), *PROGRESS),
    case("green_sessions_to_progress 1 with one green",
         make(sessions=[session(3), session(2, completed=False), session(1)],
              settings={"green_sessions_to_progress": 1}), *PROGRESS),
    case("green_sessions_to_progress 3 with two green",
         make(settings={"green_sessions_to_progress": 3}), *R7_HOLD),
    case("green_sessions_to_progress 3 with three green",
         make(sessions=[session(3), session(2), session(1)], settings={"green_sessions_to_progress": 3}), *PROGRESS),
    case("green_sessions_to_progress 3 streak broken by step",
         make(sessions=[session(3, step=0), session(2), session(1)], settings={"green_sessions_to_progress": 3}),
         *R7_HOLD),
]


@pytest.mark.parametrize(OUTCOME, STREAK_CASES)
def test_green_streak(data, decision, next_step, rules, flags):
    check(data, decision, next_step, rules, flags)
