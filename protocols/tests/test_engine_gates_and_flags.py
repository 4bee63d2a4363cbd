"""The progression engine's gates and flags, table-driven against ../shared/docs/progression-rules.md.

The running gate (R9), the therapist's override (R10), low adherence (F1, counted in training days in rules
v1.1) and improved (F2). The baseline input and the case helpers are in engine_support.py.
"""

from __future__ import annotations

import re

import pytest

from protocols.engine import evaluate
from protocols.tests.engine_support import (
    OUTCOME,
    PASSING_GATE,
    PROGRESS,
    acl_running,
    case,
    check,
    day,
    make,
    measurement,
    running,
    session,
    step,
)

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
