"""The progression engine, rules v1.1 (../shared/docs/progression-rules.md).

A pure function of its input: no database, no clock, no randomness, no I/O.
`evaluate(data)` takes the JSON-shaped input and returns the JSON-shaped
decision; `parse_input` validates into typed dataclasses and `decide` applies
the rules. Invalid input raises `EngineInputError` naming the field; it never
produces a decision.

Reasons are `messages`: an id and parameters, worded in English for the JSON
and in the reader's language where a person reads them.

One module per concern, all pure: `inputs` (typed input and its validation),
`definitions` (output types, and the zones and derived facts the rules
share), `rules` (decision rules R1–R11), `flags` (F1, F2 and the 14-day
adherence); `decide` and `evaluate` here run them in order.

Sources: the pain-monitoring model (Thomeé 1997 for patellofemoral pain;
Silbernagel et al. 2007, Am J Sports Med 35:897): pain during exercise may
reach 5/10 but not pass it, and must settle by the next morning. Effusion
grading by the stroke test (Sturgill et al. 2009, JOSPT 39:845) and the
soreness rules used after ACL reconstruction (Adams et al. 2012, JOSPT).
Return-to-running criteria after ACL-R (Rambaud et al. 2018, BJSM 52:1437).
Backward walk-to-run transition at about 1.63 m/s (Hreljac 2005). A change of
2 NPRS points is clinically important (Farrar 2001).
"""

from __future__ import annotations

from typing import Any

from protocols.engine.definitions import (
    DECISIONS,
    FLAG_KINDS,
    SEVERITIES,
    Context,
    Decision,
    Flag,
    Outcome,
)
from protocols.engine.flags import ADHERENCE_WINDOW_DAYS, RecentTraining, f1_low_adherence, f2_improved, recent_training
from protocols.engine.inputs import (
    CONDITIONS,
    DEFAULT_SETTINGS,
    EARLIEST_DATE,
    EFFUSION_GRADES,
    LATEST_DATE,
    EngineInput,
    EngineInputError,
    Measurement,
    Session,
    Settings,
    Step,
    parse_input,
)
from protocols.engine.messages import MESSAGES, Message, render_dict, render_stored
from protocols.engine.rules import DECISION_RULES

__all__ = [
    "ADHERENCE_WINDOW_DAYS", "CONDITIONS", "DECISIONS", "DECISION_RULES", "DEFAULT_SETTINGS", "EARLIEST_DATE",
    "EFFUSION_GRADES", "FLAG_KINDS", "LATEST_DATE", "MESSAGES", "NO_SESSIONS_RULE", "SEVERITIES",
    "Context", "Decision", "EngineInput", "EngineInputError", "Flag", "Measurement", "Message", "Outcome",
    "RecentTraining", "Session", "Settings", "Step", "decide", "evaluate", "f1_low_adherence", "f2_improved",
    "parse_input", "recent_training", "render_dict", "render_stored",
]

NO_SESSIONS_RULE = "R0"


def decide(data: EngineInput) -> Decision:
    """Apply the decision rules in order, then the flag rules."""
    c = Context(data)
    if c.latest is None:
        outcome = Outcome(NO_SESSIONS_RULE, Message("R0.no_sessions", {"level": c.level(data.current_step)}), "hold")
        flag_rules = (f1_low_adherence,)
    else:
        outcome = next(result for rule in DECISION_RULES if (result := rule(c)) is not None)
        flag_rules = (f1_low_adherence, f2_improved)
    outcomes = [outcome] + [result for rule in flag_rules if (result := rule(c)) is not None]
    if outcome.decision == "progress":
        next_step = data.current_step + 1
    elif outcome.decision == "regress":
        next_step = max(data.current_step - 1, 0)
    else:
        next_step = data.current_step
    return Decision(
        decision=outcome.decision,
        next_step=next_step,
        rules=tuple(o.rule for o in outcomes),
        messages=tuple(o.message for o in outcomes),
        flags=tuple(o.flag for o in outcomes if o.flag is not None),
    )


def evaluate(data: Any, *, messages: bool = False) -> dict[str, Any]:
    """JSON in, JSON out: validate `data` and return the decision object of progression-rules.md.

    Its reasons are English whatever language is active; with `messages` it
    also carries each reason's message id and parameters (`Decision.as_dict`).
    """
    return decide(parse_input(data)).as_dict(messages=messages)
