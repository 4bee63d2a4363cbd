"""Black-box, table-driven tests of the progression engine against ../shared/docs/progression-rules.md.

Every expectation here is read from the specification, not from engine.py. Each
case starts from one valid baseline input (PFP, today 2026-09-10, baseline pain
1, three sessions a week, a five-step walking ladder with one variable per step,
current step 1, two green sessions at step 1 — so the default outcome is R11,
progress to step 2) and overrides only what the case is about.

Implementation choice, not in the specification: with no sessions the deciding
rule id is "R0".
"""

from __future__ import annotations

import copy
import datetime as dt
import re

import pytest

from protocols.engine import DEFAULT_SETTINGS, EngineInputError, evaluate

TODAY = dt.date(2026, 9, 10)


def day(days_ago: int) -> str:
    """The ISO date `days_ago` days before TODAY (0 = today)."""
    return (TODAY - dt.timedelta(days=days_ago)).isoformat()


def step(speed: float, incline: float, duration: float) -> dict:
    return {"speed_kmh": speed, "incline_pct": incline, "duration_min": duration}


def session(days_ago: int, *, step: int = 1, pain: int = 2, morning: int | None = 1,
            completed: bool = True, after: int | None = 1) -> dict:
    """A session; by default green at step 1 for baseline pain 1."""
    return {"date": day(days_ago), "step": step, "completed": completed,
            "pain_during": pain, "pain_after": after, "pain_next_morning": morning}


def measurement(days_ago: int, **fields) -> dict:
    return {"date": day(days_ago), **fields}


# Walking ladder, every speed below 5.8 km/h, every neighbour differs in one variable,
# no incline above 10 %.
WALK = [step(2.5, 0, 10), step(2.5, 0, 15), step(2.5, 0, 20), step(2.5, 2.5, 20), step(3.0, 2.5, 20)]
LAST = len(WALK) - 1

# Step 0 -> 1 crosses the 5.8 km/h running threshold, changing speed only.
RUN = [step(5.3, 10, 20), step(5.8, 10, 20), step(6.3, 10, 20)]

PASSING_GATE = {"effusion": "trace", "quad_lsi_pct": 70, "hop_lsi_pct": 70, "rom_pct": 95,
                "running_signoff": True}


def make(**overrides) -> dict:
    data = {
        "condition": "pfp",
        "today": day(0),
        "baseline_pain": 1,
        "surgery_date": None,
        "frequency_per_week": 3,
        "ladder": WALK,
        "current_step": 1,
        "sessions": [session(2), session(1)],
        "measurements": [],
        "settings": {},
    }
    data.update(overrides)
    return copy.deepcopy(data)


def acl(**overrides) -> dict:
    """ACL-R, well past surgery, walking ladder (no running gate)."""
    return make(**{"condition": "acl", "surgery_date": day(200), **overrides})


def running(**overrides) -> dict:
    """PFP at the top walking step (5.3 km/h) of RUN; next step is running; pain 1 so ACL pain criterion holds."""
    base = {"ladder": RUN, "current_step": 0,
            "sessions": [session(2, step=0, pain=1), session(1, step=0, pain=1)]}
    return make(**{**base, **overrides})


def acl_running(surgery_days: int = 84, gate: dict | None = None, *, sessions=None, measurements=None) -> dict:
    """ACL-R with the next step running and, by default, every gate criterion just met."""
    if measurements is None:
        measurements = [measurement(3, **(PASSING_GATE if gate is None else gate))]
    extra = {} if sessions is None else {"sessions": sessions}
    return running(condition="acl", surgery_date=day(surgery_days), measurements=measurements, **extra)


def trend(recent: list[tuple[int, int | None]], earlier: list[tuple[int, int | None]], **overrides) -> dict:
    """Baseline pain 2; green sessions at step 1 on (days_ago, pain_next_morning), earlier ones listed first.

    The assignment started 13 days ago, so F1 (low adherence) never runs here.
    """
    sessions = [session(d, morning=m) for d, m in earlier + recent]
    return make(**{"baseline_pain": 2, "assignment_start": day(13), "sessions": sessions, **overrides})


def case(case_id: str, data: dict, decision: str, next_step: int, rules: list[str],
         flags: list[tuple[str, str]] | None = None):
    return pytest.param(data, decision, next_step, rules, flags or [], id=case_id)


def check(data: dict, decision: str, next_step: int, rules: list[str], flags: list[tuple[str, str]]) -> dict:
    result = evaluate(data)
    got = (result["decision"], result["next_step"], result["rules"],
           [(flag["kind"], flag["severity"]) for flag in result["flags"]])
    assert got == (decision, next_step, rules, flags), result["reasons"]
    assert len(result["reasons"]) >= 1 and all(isinstance(r, str) and r for r in result["reasons"])
    return result


OUTCOME = "data, decision, next_step, rules, flags"
PROGRESS = ("progress", 2, ["R11"])
R7_HOLD = ("hold", 1, ["R7"])


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


# ---------------------------------------------------------------------------
# R9 running gate
# ---------------------------------------------------------------------------

# How each criterion may be named in the gate flag's reason (case-insensitive regular expressions).
CRITERIA = {
    "signoff": r"sign-?\s?off",
    "surgery": r"12 weeks|84 days|since surgery",
    "quad": r"quad",
    "hop": r"\bhop\b",
    "rom": r"range of motion|\brom\b",
    "effusion": r"effusion|swelling",
    "pain": r"\bpain\b",
}
MEASURED = ["signoff", "quad", "hop", "rom", "effusion"]


def gate(case_id: str, data: dict, unmet: list[str]):
    return pytest.param(data, unmet, id=case_id)


GATE_CASES = [
    gate("pfp sign-off true progresses", running(measurements=[measurement(3, running_signoff=True)]), []),
    gate("pfp sign-off false", running(measurements=[measurement(3, running_signoff=False)]), ["signoff"]),
    gate("pfp sign-off null", running(measurements=[measurement(3, running_signoff=None)]), ["signoff"]),
    gate("pfp no measurement", running(), ["signoff"]),
    gate("pfp needs only sign-off (pain 3, nothing measured)",
         running(measurements=[measurement(3, running_signoff=True)],
                 sessions=[session(2, step=0, pain=3), session(1, step=0, pain=3)]), []),
    gate("pfp latest measurement sign-off not filled in from earlier",
         running(measurements=[measurement(10, running_signoff=True), measurement(2, effusion="0")]), ["signoff"]),
    gate("pfp earlier sign-off false superseded",
         running(measurements=[measurement(2, running_signoff=True), measurement(10, running_signoff=False)]), []),
    gate("next speed 5.7 is walking",
         running(ladder=[step(5.2, 10, 20), step(5.7, 10, 20)]), []),
    gate("next speed 5.79 is walking",
         running(ladder=[step(5.29, 10, 20), step(5.79, 10, 20)]), []),
    gate("next speed exactly 5.8 is running",
         running(ladder=[step(5.3, 10, 20), step(5.8, 10, 20)]), ["signoff"]),
    gate("running_speed_kmh 6 makes 5.8 walking", running(settings={"running_speed_kmh": 6}), []),
    gate("running_speed_kmh 5 makes 5.3 -> 5.5 running",
         running(ladder=[step(5.3, 10, 20), step(5.5, 10, 20)], settings={"running_speed_kmh": 5}), ["signoff"]),
    gate("already running, next also running",
         running(current_step=1, sessions=[session(2, step=1, pain=1), session(1, step=1, pain=1)]), ["signoff"]),
    gate("acl all criteria met", acl_running(), []),
    gate("acl 83 days since surgery", acl_running(83), ["surgery"]),
    gate("acl 84 days since surgery", acl_running(84), []),
    gate("acl 300 days since surgery", acl_running(300), []),
    gate("acl surgery after today", acl_running(-5), ["surgery"]),
    gate("acl quad 69.9", acl_running(gate={**PASSING_GATE, "quad_lsi_pct": 69.9}), ["quad"]),
    gate("acl quad 70", acl_running(gate={**PASSING_GATE, "quad_lsi_pct": 70}), []),
    gate("acl quad null", acl_running(gate={**PASSING_GATE, "quad_lsi_pct": None}), ["quad"]),
    gate("acl hop 69.9", acl_running(gate={**PASSING_GATE, "hop_lsi_pct": 69.9}), ["hop"]),
    gate("acl hop 70.0", acl_running(gate={**PASSING_GATE, "hop_lsi_pct": 70.0}), []),
    gate("acl hop missing", acl_running(gate={k: v for k, v in PASSING_GATE.items() if k != "hop_lsi_pct"}), ["hop"]),
    gate("acl rom 94.9", acl_running(gate={**PASSING_GATE, "rom_pct": 94.9}), ["rom"]),
    gate("acl rom 95", acl_running(gate={**PASSING_GATE, "rom_pct": 95}), []),
    gate("acl rom null", acl_running(gate={**PASSING_GATE, "rom_pct": None}), ["rom"]),
    gate("acl effusion 1+", acl_running(gate={**PASSING_GATE, "effusion": "1+"}), ["effusion"]),
    gate("acl effusion trace", acl_running(gate={**PASSING_GATE, "effusion": "trace"}), []),
    gate("acl effusion 0", acl_running(gate={**PASSING_GATE, "effusion": "0"}), []),
    gate("acl effusion null", acl_running(gate={**PASSING_GATE, "effusion": None}), ["effusion"]),
    gate("acl sign-off false", acl_running(gate={**PASSING_GATE, "running_signoff": False}), ["signoff"]),
    gate("acl latest pain 2", acl_running(sessions=[session(2, step=0, pain=1), session(1, step=0, pain=2)]),
         ["pain"]),
    gate("acl latest pain 1 earlier 3", acl_running(sessions=[session(2, step=0, pain=3), session(1, step=0, pain=1)]),
         []),
    gate("acl latest pain 0", acl_running(sessions=[session(2, step=0, pain=0), session(1, step=0, pain=0)]), []),
    gate("acl no measurement", acl_running(measurements=[]), MEASURED),
    gate("acl empty latest measurement not filled in",
         acl_running(measurements=[measurement(10, **PASSING_GATE), measurement(2)]), MEASURED),
    gate("acl every criterion unmet",
         acl_running(10, measurements=[], sessions=[session(2, step=0, pain=3), session(1, step=0, pain=3)]),
         list(CRITERIA)),
    gate("acl several unmet",
         acl_running(50, gate={"effusion": "1+", "quad_lsi_pct": 60, "hop_lsi_pct": 80, "rom_pct": 90}),
         ["signoff", "surgery", "quad", "rom", "effusion"]),
]


@pytest.mark.parametrize("data, unmet", GATE_CASES)
def test_running_gate(data, unmet):
    current = data["current_step"]
    if not unmet:
        check(data, "progress", current + 1, ["R11"], [])
        return
    result = check(data, "hold", current, ["R9"], [("gate_not_met", "info")])
    reason = result["flags"][0]["reason"]
    for name, pattern in CRITERIA.items():
        mentioned = re.search(pattern, reason, re.IGNORECASE) is not None
        if name in unmet:
            assert mentioned, f"unmet criterion {name!r} not listed in: {reason}"
        elif name != "pain":  # "pain" may appear in other wording; only require its presence when unmet
            assert not mentioned, f"met criterion {name!r} listed as unmet in: {reason}"


# ---------------------------------------------------------------------------
# R10 needs the therapist's override
# ---------------------------------------------------------------------------

def next_step_case(current: dict, nxt: dict, **overrides) -> dict:
    return make(ladder=[current, nxt], current_step=0, sessions=[session(2, step=0), session(1, step=0)], **overrides)


R10 = ("hold", 0, ["R10"], [("needs_override", "info")])
STEP_UP = ("progress", 1, ["R11"])

OVERRIDE_CASES = [
    case("next incline 10 allowed", next_step_case(step(2.5, 7.5, 20), step(2.5, 10, 20)), *STEP_UP),
    case("next incline 10.0 allowed", next_step_case(step(2.5, 7.5, 20), step(2.5, 10.0, 20)), *STEP_UP),
    case("next incline 10.5 needs override", next_step_case(step(2.5, 7.5, 20), step(2.5, 10.5, 20)), *R10),
    case("next incline 12 changing duration only", next_step_case(step(2.5, 12, 20), step(2.5, 12, 25)), *R10),
    case("speed only", next_step_case(step(2.5, 0, 20), step(3.0, 0, 20)), *STEP_UP),
    case("duration only", next_step_case(step(2.5, 0, 20), step(2.5, 0, 25)), *STEP_UP),
    case("no variable changes", next_step_case(step(2.5, 0, 20), step(2.5, 0, 20)), *STEP_UP),
    case("speed and incline", next_step_case(step(2.5, 0, 20), step(3.0, 2.5, 20)), *R10),
    case("incline and duration", next_step_case(step(2.5, 0, 20), step(2.5, 2.5, 25)), *R10),
    case("all three", next_step_case(step(2.5, 0, 20), step(3.0, 2.5, 25)), *R10),
    case("a step down in one variable and up in another",
         next_step_case(step(3.0, 0, 20), step(2.5, 2.5, 20)), *R10),
    case("max_auto_incline_pct 12 allows 10.5",
         next_step_case(step(2.5, 7.5, 20), step(2.5, 10.5, 20), settings={"max_auto_incline_pct": 12}), *STEP_UP),
    case("max_auto_incline_pct 10.5 allows 10.5",
         next_step_case(step(2.5, 7.5, 20), step(2.5, 10.5, 20), settings={"max_auto_incline_pct": 10.5}), *STEP_UP),
    case("max_auto_incline_pct 5 blocks 7.5",
         next_step_case(step(2.5, 5, 20), step(2.5, 7.5, 20), settings={"max_auto_incline_pct": 5}), *R10),
]


@pytest.mark.parametrize(OUTCOME, OVERRIDE_CASES)
def test_needs_override(data, decision, next_step, rules, flags):
    check(data, decision, next_step, rules, flags)


# ---------------------------------------------------------------------------
# F1 low adherence
# ---------------------------------------------------------------------------

LOW = [("low_adherence", "warning")]


def sessions_on(*days_ago: int, **fields) -> list[dict]:
    """Green sessions at step 1 on the given days (oldest first is not required)."""
    return [session(d, **fields) for d in days_ago]


ADHERENCE_CASES = [
    case("freq 3: 3 completed in window flags", make(sessions=sessions_on(20, 2, 1, 0)),
         "progress", 2, ["R11", "F1"], LOW),
    case("freq 3: 4 completed in window does not flag", make(sessions=sessions_on(20, 3, 2, 1, 0)), *PROGRESS),
    case("freq 5: exactly 6 does not flag",
         make(frequency_per_week=5, sessions=sessions_on(20, 5, 4, 3, 2, 1, 0)), *PROGRESS),
    case("freq 5: 5 flags", make(frequency_per_week=5, sessions=sessions_on(20, 4, 3, 2, 1, 0)),
         "progress", 2, ["R11", "F1"], LOW),
    case("freq 1: 2 completed does not flag (1.2)", make(frequency_per_week=1, sessions=sessions_on(20, 1, 0)),
         *PROGRESS),
    case("freq 1: 1 completed flags", make(frequency_per_week=1, sessions=sessions_on(20, 0)),
         "progress", 2, ["R11", "F1"], LOW),
    case("today-13 is in the window", make(sessions=sessions_on(20, 13, 2, 1, 0)), *PROGRESS),
    case("today-14 is outside the window", make(sessions=sessions_on(20, 14, 2, 1, 0)),
         "progress", 2, ["R11", "F1"], LOW),
    case("only completed sessions count",
         make(sessions=[session(20), session(3, completed=False), session(2), session(1), session(0)]),
         "progress", 2, ["R11", "F1"], LOW),
    case("sessions at any step count",
         make(sessions=[session(20), session(3, step=0), session(2, step=3), session(1), session(0)]), *PROGRESS),
    case("first session 13 days ago never flags", make(sessions=sessions_on(13, 1, 0)), *PROGRESS),
    case("first session 14 days ago flags", make(sessions=sessions_on(14, 1, 0)),
         "progress", 2, ["R11", "F1"], LOW),
    case("assignment_start 10 days ago wins over first session 20 days ago",
         make(assignment_start=day(10), sessions=sessions_on(20, 1, 0)), *PROGRESS),
    case("assignment_start 20 days ago wins over first session 1 day ago",
         make(assignment_start=day(20), sessions=sessions_on(1, 0)), "progress", 2, ["R11", "F1"], LOW),
    case("assignment_start exactly 14 days ago", make(assignment_start=day(14), sessions=sessions_on(1, 0)),
         "progress", 2, ["R11", "F1"], LOW),
    case("assignment_start 13 days ago", make(assignment_start=day(13), sessions=sessions_on(1, 0)), *PROGRESS),
    case("no sessions, assignment 20 days ago", make(assignment_start=day(20), sessions=[]),
         "hold", 1, ["R0", "F1"], LOW),
    case("no sessions at step 0, assignment 20 days ago",
         make(assignment_start=day(20), sessions=[], current_step=0), "hold", 0, ["R0", "F1"], LOW),
    case("no sessions, no assignment start", make(sessions=[]), "hold", 1, ["R0"]),
    case("no sessions, assignment 13 days ago", make(assignment_start=day(13), sessions=[]), "hold", 1, ["R0"]),
    case("adherence_min_fraction 0.5 lowers the bar to 3",
         make(sessions=sessions_on(20, 2, 1, 0), settings={"adherence_min_fraction": 0.5}), *PROGRESS),
    case("adherence_min_fraction 0.7 raises the bar to 4.2",
         make(sessions=sessions_on(20, 3, 2, 1, 0), settings={"adherence_min_fraction": 0.7}),
         "progress", 2, ["R11", "F1"], LOW),
    case("F1 beside a hold", make(sessions=[session(20), session(1), session(0, pain=4)]),
         "hold", 1, ["R5", "F1"], LOW),
    case("F1 beside a regress", make(sessions=[session(20), session(1), session(0, pain=9)]),
         "regress", 0, ["R1", "F1"], [("pain_red", "urgent"), *LOW]),
]


@pytest.mark.parametrize(OUTCOME, ADHERENCE_CASES)
def test_low_adherence(data, decision, next_step, rules, flags):
    check(data, decision, next_step, rules, flags)


# F1 in rules v1.1: distinct training days of the plan, from `training_days` when given.

def days(*days_ago: int) -> list[str]:
    return [day(d) for d in days_ago]


TRAINING_DAY_CASES = [
    # Not given: the distinct dates of completed sessions (as in v1, but a day counts once).
    case("not given: two sessions on one day are one training day (3 days < 3.6)",
         make(sessions=sessions_on(20, 2, 1, 0, 0)), "progress", 2, ["R11", "F1"], LOW),
    case("not given: 4 distinct days do not flag", make(sessions=sessions_on(20, 3, 2, 1, 0)), *PROGRESS),
    case("null is not given", make(sessions=sessions_on(20, 3, 2, 1, 0), training_days=None), *PROGRESS),
    # Given: the plan's training days decide, whatever this exercise's sessions say.
    case("given: days of other exercises count (a phase change does not look like non-adherence)",
         make(assignment_start=day(20), sessions=sessions_on(1, 0), training_days=days(9, 6, 3, 1, 0)), *PROGRESS),
    case("given: fewer training days than this exercise's sessions flags (given wins)",
         make(sessions=sessions_on(20, 3, 2, 1, 0), training_days=days(20, 1, 0)),
         "progress", 2, ["R11", "F1"], LOW),
    case("given empty: no training day in the window flags",
         make(assignment_start=day(20), sessions=sessions_on(1, 0), training_days=[]),
         "progress", 2, ["R11", "F1"], LOW),
    case("given: a date listed twice is one training day",
         make(assignment_start=day(20), training_days=days(2, 2, 1, 1, 0)), "progress", 2, ["R11", "F1"], LOW),
    case("given: today-13 is in the window",
         make(assignment_start=day(20), training_days=days(13, 2, 1, 0)), *PROGRESS),
    case("given: today-14 and later than today are outside the window",
         make(assignment_start=day(20), training_days=[*days(14, 2, 1, 0), "2026-09-11"]),
         "progress", 2, ["R11", "F1"], LOW),
    case("given: any order", make(assignment_start=day(20), training_days=days(0, 5, 2, 9)), *PROGRESS),
    case("given with no sessions at all: only F1 runs, and counts the training days",
         make(assignment_start=day(20), sessions=[], training_days=days(7, 5, 3, 1)), "hold", 1, ["R0"]),
    case("given with no sessions, too few days", make(assignment_start=day(20), sessions=[], training_days=days(1)),
         "hold", 1, ["R0", "F1"], LOW),
    # The 14-day start condition: the assignment start, else the earliest known date (training day or session).
    case("earliest known date is a training day 14 days ago: F1 runs",
         make(sessions=sessions_on(1, 0), training_days=days(14, 1, 0)), "progress", 2, ["R11", "F1"], LOW),
    case("earliest known date is a training day 13 days ago: F1 waits",
         make(sessions=sessions_on(1, 0), training_days=days(13, 1, 0)), *PROGRESS),
    case("earliest known date is a session 14 days ago, not in training_days: F1 runs",
         make(sessions=sessions_on(14, 1, 0), training_days=days(1, 0)), "progress", 2, ["R11", "F1"], LOW),
    case("an incomplete session is a known date for the start condition",
         make(sessions=[session(15, completed=False), *sessions_on(1, 0)], training_days=days(1, 0)),
         "progress", 2, ["R11", "F1"], LOW),
    case("assignment_start 13 days ago wins over a training day 20 days ago",
         make(assignment_start=day(13), sessions=sessions_on(1, 0), training_days=days(20, 1, 0)), *PROGRESS),
]


@pytest.mark.parametrize(OUTCOME, TRAINING_DAY_CASES)
def test_low_adherence_counts_training_days(data, decision, next_step, rules, flags):
    check(data, decision, next_step, rules, flags)


@pytest.mark.parametrize(("data", "reason"), [
    (make(assignment_start=day(20), training_days=days(3, 1)),
     "Trained on 2 of the last 14 days; the plan asks for 6 (33 %)."),
    (make(assignment_start=day(20), sessions=sessions_on(1), training_days=days(1)),
     "Trained on 1 of the last 14 days; the plan asks for 6 (17 %)."),
    (make(frequency_per_week=1, assignment_start=day(20), training_days=[]),
     "Trained on 0 of the last 14 days; the plan asks for 2 (0 %)."),
])
def test_low_adherence_reason_gives_the_training_days_and_the_plan(data, reason):
    result = evaluate(data)
    (flag,) = [f for f in result["flags"] if f["kind"] == "low_adherence"]
    assert flag["reason"] == reason
    assert result["reasons"][result["rules"].index("F1")] == reason


# ---------------------------------------------------------------------------
# F2 improved (mornings of 4 or less are green for baseline 4)
# ---------------------------------------------------------------------------

IMPROVED = [("improved", "info")]


def mornings(baseline: int, values: list[tuple[int, int | None]], **overrides) -> dict:
    return make(**{"baseline_pain": baseline, "sessions": [session(d, morning=m) for d, m in values], **overrides})


IMPROVED_CASES = [
    case("baseline 4 mean 2 flags", mornings(4, [(1, 2), (0, 2)]), "progress", 2, ["R11", "F2"], IMPROVED),
    case("baseline 4 mean 2.5 does not flag", mornings(4, [(1, 2), (0, 3)]), *PROGRESS),
    case("baseline 4 mean 1 flags", mornings(4, [(1, 0), (0, 2)]), "progress", 2, ["R11", "F2"], IMPROVED),
    case("baseline 2 mean 0 flags", mornings(2, [(1, 0), (0, 0)]), "progress", 2, ["R11", "F2"], IMPROVED),
    case("baseline 1 never flags", mornings(1, [(1, 0), (0, 0)]), *PROGRESS),
    case("baseline 0 never flags", mornings(0, [(1, 0), (0, 0)]), *PROGRESS),
    case("only one known value in window", mornings(4, [(9, 0), (1, 2)]), *PROGRESS),
    case("one known value and nulls",
         mornings(4, [(5, None), (3, None), (1, 2)], settings={"green_sessions_to_progress": 1}), *PROGRESS),
    case("nulls left out of the mean", mornings(4, [(5, None), (1, 2), (0, 2)]),
         "progress", 2, ["R11", "F2"], IMPROVED),
    case("today-6 is in the window", mornings(4, [(6, 1), (0, 3)]), "progress", 2, ["R11", "F2"], IMPROVED),
    case("today-7 is outside the window", mornings(4, [(7, 0), (1, 3), (0, 3)]), *PROGRESS),
    case("incomplete sessions' mornings count",
         mornings(4, [(3, 0), (1, 3), (0, 3)], sessions=[session(3, morning=0, completed=False),
                                                         session(1, morning=3), session(0, morning=3)]),
         "progress", 2, ["R11", "F2"], IMPROVED),
    case("no sessions, F2 does not run", make(baseline_pain=4, sessions=[]), "hold", 1, ["R0"]),
    case("F2 beside a hold",
         mornings(4, [(1, 2), (0, 2)], sessions=[session(1, morning=2), session(0, morning=2, pain=4)]),
         "hold", 1, ["R5", "F2"], IMPROVED),
    case("F2 beside a regress",
         mornings(4, [(1, 2), (0, 2)], sessions=[session(1, morning=2), session(0, morning=2, pain=6)]),
         "regress", 0, ["R1", "F2"], [("pain_red", "urgent"), *IMPROVED]),
    case("F1 and F2 together in order", mornings(4, [(1, 2), (0, 2)], assignment_start=day(20)),
         "progress", 2, ["R11", "F1", "F2"], [*LOW, *IMPROVED]),
]


@pytest.mark.parametrize(OUTCOME, IMPROVED_CASES)
def test_improved(data, decision, next_step, rules, flags):
    check(data, decision, next_step, rules, flags)


# ---------------------------------------------------------------------------
# Precedence: the first matching rule decides, and only its flag is raised
# ---------------------------------------------------------------------------

PRECEDENCE_CASES = [
    case("R1 beats R2", acl(sessions=[session(2), session(1, pain=6)], measurements=[measurement(3, effusion="3+")]),
         "regress", 0, ["R1"], [("pain_red", "urgent")]),
    case("R1 beats R3", make(sessions=[session(2, morning=3), session(1, pain=6, morning=3)]),
         "regress", 0, ["R1"], [("pain_red", "urgent")]),
    case("R2 beats R3 (acl)",
         acl(sessions=[session(2, morning=3), session(1, morning=3)], measurements=[measurement(3, effusion="2+")]),
         "hold", 1, ["R2"], [("effusion", "warning")]),
    case("R3 beats R4", make(sessions=[session(2, morning=2), session(1, morning=2)]),
         "regress", 0, ["R3"], [("morning_pain", "warning")]),
    case("R3 beats R5", make(sessions=[session(2, morning=2), session(1, pain=5, morning=2)]),
         "regress", 0, ["R3"], [("morning_pain", "warning")]),
    case("R4 beats R5", make(sessions=[session(2), session(1, pain=4, morning=2)]),
         "hold", 1, ["R4"], [("morning_pain", "info")]),
    case("R5 beats R6", trend([(1, 2), (0, 2)], [(9, 1), (8, 1)], sessions=[
        session(9, morning=1), session(8, morning=1), session(1, morning=2), session(0, pain=4, morning=2)]),
         "hold", 1, ["R5"]),
    case("R6 beats R7", trend([(1, 2), (0, 2)], [(9, 1), (8, 1)], sessions=[
        session(9, morning=1), session(8, morning=1), session(1, step=0, morning=2), session(0, step=0, morning=2)]),
         "hold", 1, ["R6"], [("worsening_trend", "warning")]),
    case("R7 beats R8", make(current_step=LAST, sessions=[session(1, step=LAST)]), "hold", LAST, ["R7"]),
    case("R8 beats R9 (top of a running ladder, no sign-off)",
         running(current_step=2, sessions=[session(2, step=2, pain=1), session(1, step=2, pain=1)]),
         "hold", 2, ["R8"], [("ladder_complete", "info")]),
    case("R9 beats R10",
         running(ladder=[step(5.3, 10, 20), step(5.8, 10.5, 25)]), "hold", 0, ["R9"], [("gate_not_met", "info")]),
    case("R10 after R9 passes",
         running(ladder=[step(5.3, 10, 20), step(5.8, 10.5, 25)], measurements=[measurement(1, running_signoff=True)]),
         "hold", 0, ["R10"], [("needs_override", "info")]),
    case("R2 beats R9", acl_running(gate={**PASSING_GATE, "effusion": "2+"}),
         "hold", 0, ["R2"], [("effusion", "warning")]),
]


@pytest.mark.parametrize(OUTCOME, PRECEDENCE_CASES)
def test_precedence(data, decision, next_step, rules, flags):
    check(data, decision, next_step, rules, flags)


# ---------------------------------------------------------------------------
# Session order: sorted by date, ties keep list order (the later in the list is L)
# ---------------------------------------------------------------------------

ORDER_CASES = [
    case("reversed list sorts to the same result", make(sessions=[session(1), session(2)]), *PROGRESS),
    case("old red session listed last is not L", make(sessions=[session(0), session(5, pain=8)]), *R7_HOLD),
    case("red session dated last but listed first is L", make(sessions=[session(0, pain=8), session(5)]),
         "regress", 0, ["R1"], [("pain_red", "urgent")]),
    case("old morning rise listed last is not L", make(sessions=[session(1), session(2), session(6, morning=3)]),
         *PROGRESS),
    case("same day: the later in the list is L (green)", make(sessions=[session(0, pain=8), session(0)]), *R7_HOLD),
    case("same day: the later in the list is L (red)", make(sessions=[session(0), session(0, pain=8)]),
         "regress", 0, ["R1"], [("pain_red", "urgent")]),
    case("same day: the later in the list is L (morning rise)", make(sessions=[session(0), session(0, morning=2)]),
         "hold", 1, ["R4"], [("morning_pain", "info")]),
    case("same day: earlier-listed rise is not L", make(sessions=[session(0, morning=2), session(0)]), *R7_HOLD),
    case("same day tie after sorting other dates",
         make(sessions=[session(0, pain=4), session(3), session(0)]), *R7_HOLD),
]


@pytest.mark.parametrize(OUTCOME, ORDER_CASES)
def test_session_order(data, decision, next_step, rules, flags):
    check(data, decision, next_step, rules, flags)


# ---------------------------------------------------------------------------
# Invalid input: rejected with the field named, never a decision
# ---------------------------------------------------------------------------

def with_session(index: int, **fields) -> dict:
    data = make(sessions=[session(2), session(1)])
    data["sessions"][index].update(fields)
    return data


def invalid(case_id: str, data: dict, field: str):
    return pytest.param(data, field, id=case_id)


MALFORMED_DATES = ["2026-13-01", "10/09/2026", "", "2026-02-30", "2026-9-10"]
OUT_OF_RANGE = ["0001-01-01", "0001-01-14", "9999-12-18", "9999-12-31"]

INVALID_CASES = [
    invalid("pain_during 11", with_session(0, pain_during=11), "sessions[0].pain_during"),
    invalid("pain_during -1", with_session(0, pain_during=-1), "sessions[0].pain_during"),
    invalid("pain_during -1 second session", with_session(1, pain_during=-1), "sessions[1].pain_during"),
    invalid("pain_next_morning 11", with_session(1, pain_next_morning=11), "sessions[1].pain_next_morning"),
    invalid("pain_next_morning -1", with_session(0, pain_next_morning=-1), "sessions[0].pain_next_morning"),
    invalid("pain_after 11", with_session(0, pain_after=11), "sessions[0].pain_after"),
    invalid("baseline_pain 11", make(baseline_pain=11), "baseline_pain"),
    invalid("baseline_pain -1", make(baseline_pain=-1), "baseline_pain"),
    invalid("condition hip", make(condition="hip"), "condition"),
    invalid("condition missing", {k: v for k, v in make().items() if k != "condition"}, "condition"),
    invalid("current_step = len(ladder)", make(current_step=len(WALK)), "current_step"),
    invalid("current_step -1", make(current_step=-1), "current_step"),
    invalid("session step = len(ladder)", with_session(0, step=len(WALK)), "sessions[0].step"),
    invalid("session step -1", with_session(1, step=-1), "sessions[1].step"),
    invalid("empty ladder", make(ladder=[], current_step=0, sessions=[]), "ladder"),
    invalid("acl without surgery_date", make(condition="acl"), "surgery_date"),
    invalid("acl surgery_date missing",
            {k: v for k, v in make(condition="acl").items() if k != "surgery_date"}, "surgery_date"),
    invalid("effusion 4+", make(measurements=[measurement(3, effusion="4+")]), "measurements[0].effusion"),
    invalid("effusion 1 without plus", make(measurements=[measurement(3, effusion="1")]), "measurements[0].effusion"),
    *[invalid(f"today {bad!r}", make(today=bad), "today") for bad in MALFORMED_DATES],
    *[invalid(f"session date {bad!r}", with_session(1, date=bad), "sessions[1].date") for bad in MALFORMED_DATES],
    *[invalid(f"measurement date {bad!r}", make(measurements=[measurement(3, effusion="0"), {"date": bad}]),
              "measurements[1].date") for bad in MALFORMED_DATES],
    *[invalid(f"surgery_date {bad!r}", acl(surgery_date=bad), "surgery_date") for bad in MALFORMED_DATES],
    *[invalid(f"assignment_start {bad!r}", make(assignment_start=bad), "assignment_start")
      for bad in MALFORMED_DATES],
    # Other ISO 8601 forms are not the specified YYYY-MM-DD (date.fromisoformat alone accepts them).
    *[invalid(f"today {bad!r} (not YYYY-MM-DD)", make(today=bad), "today")
      for bad in ["2026-W37-4", "20260910  ", "20260910", "2026-09-10T00:00", " 2026-09-10", "2026-09-10\n"]],
    invalid("session date ISO week", with_session(0, date="2026-W37-2"), "sessions[0].date"),
    # Real dates outside the range where the rules' date arithmetic works (today - 13 overflowed).
    *[invalid(f"today {bad!r} (outside the engine's dates)", make(today=bad), "today") for bad in OUT_OF_RANGE],
    *[invalid(f"session date {bad!r} (outside)", with_session(1, date=bad), "sessions[1].date")
      for bad in OUT_OF_RANGE],
    *[invalid(f"measurement date {bad!r} (outside)", make(measurements=[{"date": bad}]), "measurements[0].date")
      for bad in OUT_OF_RANGE],
    *[invalid(f"surgery_date {bad!r} (outside)", acl(surgery_date=bad), "surgery_date") for bad in OUT_OF_RANGE],
    *[invalid(f"assignment_start {bad!r} (outside)", make(assignment_start=bad), "assignment_start")
      for bad in OUT_OF_RANGE],
    invalid("today as a date object outside", make(today=dt.date(1, 1, 1)), "today"),
    *[invalid(f"training day {bad!r}", make(training_days=[day(1), bad]), "training_days[1]")
      for bad in [*MALFORMED_DATES, "2026-09-10T00:00", "2026-W37-4", 20260910, None, ["2026-09-10"]]],
    invalid("training_days not a list", make(training_days="2026-09-10"), "training_days"),
    invalid("training_days an object", make(training_days={"date": "2026-09-10"}), "training_days"),
]


@pytest.mark.parametrize("data, field", INVALID_CASES)
def test_invalid_input_is_rejected_naming_the_field(data, field):
    with pytest.raises(EngineInputError) as raised:
        evaluate(data)
    assert raised.value.field == field
    assert raised.value.message


def test_dates_outside_the_engines_range_say_what_the_range_is():
    with pytest.raises(EngineInputError) as raised:
        evaluate(make(today="0001-01-01"))
    assert raised.value.as_dict() == {"field": "today", "message": "must be a date from 0001-01-15 to 9999-12-17"}


@pytest.mark.parametrize("edge", ["0001-01-15", "9999-12-17"])
def test_the_engines_first_and_last_dates_are_decided_without_overflow(edge):
    data = acl(today=edge, surgery_date=edge, assignment_start=edge,
               sessions=[{"date": edge, "step": 0, "completed": True, "pain_during": 1, "pain_after": 1,
                          "pain_next_morning": 1}],
               measurements=[{"date": edge, "effusion": "0"}])
    assert evaluate(data)["decision"] in ("progress", "hold", "regress")


def test_unknown_setting_name_is_rejected():
    with pytest.raises(EngineInputError) as raised:
        evaluate(make(settings={"green_max": 3, "max_incline": 12}))
    assert raised.value.field.startswith("settings")
    assert "max_incline" in raised.value.field


MISSING_CASES = [
    invalid("today missing", {k: v for k, v in make().items() if k != "today"}, "today"),
    invalid("current_step missing", {k: v for k, v in make().items() if k != "current_step"}, "current_step"),
    invalid("baseline_pain missing", {k: v for k, v in make().items() if k != "baseline_pain"}, "baseline_pain"),
    invalid("ladder missing", {k: v for k, v in make().items() if k != "ladder"}, "ladder"),
]


@pytest.mark.parametrize("data, field", MISSING_CASES)
def test_missing_required_field_is_rejected(data, field):
    with pytest.raises(EngineInputError) as raised:
        evaluate(data)
    assert raised.value.field == field


# ---------------------------------------------------------------------------
# The specification's own examples
# ---------------------------------------------------------------------------

def test_the_documented_input_example():
    """The Input example of the specification: one green session at step 0, assignment started 21 days ago.

    One green session is fewer than two (R7 hold); 1 completed session in 14 days is below
    0.6 x 2 x 3 = 3.6 and the assignment started >= 14 days ago (F1); baseline 1 rules out F2.
    """
    data = {
        "condition": "pfp",
        "today": "2026-09-10",
        "baseline_pain": 1,
        "surgery_date": None,
        "frequency_per_week": 3,
        "assignment_start": "2026-08-20",
        "ladder": [
            {"speed_kmh": 2.5, "incline_pct": 0.0, "duration_min": 10},
            {"speed_kmh": 2.5, "incline_pct": 2.5, "duration_min": 10},
        ],
        "current_step": 0,
        "sessions": [{"date": "2026-09-08", "step": 0, "completed": True,
                      "pain_during": 2, "pain_after": 1, "pain_next_morning": 1}],
        "measurements": [{"date": "2026-09-01", "effusion": "trace", "quad_lsi_pct": 75,
                          "hop_lsi_pct": 72, "rom_pct": 100, "running_signoff": False}],
        "settings": {},
    }
    check(data, "hold", 0, ["R7", "F1"], [("low_adherence", "warning")])
    data["sessions"].append({"date": "2026-09-09", "step": 0, "completed": True,
                             "pain_during": 2, "pain_after": 1, "pain_next_morning": 1})
    check(data, "progress", 1, ["R11", "F1"], [("low_adherence", "warning")])


def test_no_sessions_says_so():
    result = check(make(sessions=[]), "hold", 1, ["R0"], [])
    assert "no sessions" in result["reasons"][0].lower()
