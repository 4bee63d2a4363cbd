"""The baseline input and case helpers shared by the progression engine's table-driven tests.

The tests (test_engine_rules.py, test_engine_gates_and_flags.py, test_engine_precedence_and_input.py) are
black-box tests of the engine against ../shared/docs/progression-rules.md. Every expectation there is read from
the specification, not from engine.py. Each case starts from one valid baseline input (PFP, today 2026-09-10,
baseline pain 1, three sessions a week, a five-step walking ladder with one variable per step, current step 1,
two green sessions at step 1 — so the default outcome is R11, progress to step 2) and overrides only what the
case is about.

Implementation choice, not in the specification: with no sessions the deciding rule id is "R0".
"""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from protocols.engine import evaluate

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
