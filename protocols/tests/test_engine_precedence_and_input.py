"""The progression engine's precedence, session order, input checking and the specification's own examples.

The first matching rule decides; sessions are sorted by date; invalid input is rejected naming the field, never
decided. The baseline input and the case helpers are in engine_support.py.
"""

from __future__ import annotations

import datetime as dt

import pytest

from protocols.engine import EngineInputError, evaluate
from protocols.tests.engine_support import (
    LAST,
    OUTCOME,
    PASSING_GATE,
    PROGRESS,
    R7_HOLD,
    WALK,
    acl,
    acl_running,
    case,
    check,
    day,
    make,
    measurement,
    running,
    session,
    step,
    trend,
)

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
