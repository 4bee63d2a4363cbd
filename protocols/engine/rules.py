"""The decision rules R1–R11, in order: the first that matches decides (progression-rules.md)."""

from __future__ import annotations

from collections.abc import Callable

from protocols.engine.definitions import Context, Flag, Outcome, describe_step, mean
from protocols.engine.inputs import EFFUSION_GRADES, Measurement
from protocols.engine.messages import Message, date
from protocols.wording import is_running_speed

ACL_GATE_DAYS = 84
ACL_GATE_QUAD_LSI = 70
ACL_GATE_HOP_LSI = 70
ACL_GATE_ROM = 95
ACL_GATE_MAX_EFFUSION = "trace"
ACL_GATE_PAIN_BELOW = 2


# --------------------------------------------------------------------------
# Decision rules, in order: the first that matches decides
# --------------------------------------------------------------------------


def r1_red_pain(c: Context) -> Outcome | None:
    """R1 — pain during the latest session above red_above (5/10): regress, urgent flag.

    Pain-monitoring model: pain during exercise may reach 5/10 but not pass it
    (Thomeé 1997; Silbernagel et al. 2007).
    """
    if c.zone(c.latest.pain_during) != "red":
        return None
    reason = Message("R1.pain_red", {"date": date(c.latest.date), "pain": c.latest.pain_during,
                                     "limit": c.s.red_above, "advice": c.step_down_advice()})
    return Outcome("R1", reason, "regress", Flag("pain_red", "urgent", reason))


def r2_effusion(c: Context) -> Outcome | None:
    """R2 — after ACL-R, effusion of 2+ or more on the latest stroke test: hold (urgent at 3+).

    Stroke-test grading, Sturgill et al. 2009; soreness and effusion rules
    after ACL-R, Adams et al. 2012.
    """
    if c.data.condition != "acl" or c.measurement is None or c.measurement.effusion is None:
        return None
    grade = EFFUSION_GRADES.index(c.measurement.effusion)
    if grade < EFFUSION_GRADES.index("2+"):
        return None
    severity = "urgent" if c.measurement.effusion == "3+" else "warning"
    reason = Message("R2.effusion", {"grade": c.measurement.effusion, "date": date(c.measurement.date)})
    return Outcome("R2", reason, "hold", Flag("effusion", severity, reason))


def r3_repeated_morning_rise(c: Context) -> Outcome | None:
    """R3 — next-morning pain above baseline after each of the two latest sessions: regress.

    Pain must settle by the next morning (Silbernagel et al. 2007); a repeated
    rise means the load is too high.
    """
    if len(c.sessions) < 2 or not (c.morning_rise(c.sessions[-1]) and c.morning_rise(c.sessions[-2])):
        return None
    reason = Message("R3.morning_pain_repeated", {"baseline": c.data.baseline_pain, "advice": c.step_down_advice()})
    return Outcome("R3", reason, "regress", Flag("morning_pain", "warning", reason))


def r4_morning_rise(c: Context) -> Outcome | None:
    """R4 — next-morning pain above baseline after the latest session: hold (Silbernagel et al. 2007)."""
    if not c.morning_rise(c.latest):
        return None
    reason = Message("R4.morning_pain", {"pain": c.latest.pain_next_morning, "baseline": c.data.baseline_pain})
    return Outcome("R4", reason, "hold", Flag("morning_pain", "info", reason))


def r5_amber_pain(c: Context) -> Outcome | None:
    """R5 — pain during the latest session in the amber zone (4–5/10): acceptable, but hold.

    Pain-monitoring model: up to 5/10 is allowed, so no step down, but no step up either.
    """
    if c.zone(c.latest.pain_during) != "amber":
        return None
    reason = Message("R5.amber_pain", {"pain": c.latest.pain_during})
    return Outcome("R5", reason, "hold")


def r6_worsening_trend(c: Context) -> Outcome | None:
    """R6 — next-morning pain this week is worse than last week by >= trend_points: hold.

    Compares the mean known morning pain over [today-6, today] with
    [today-13, today-7], each with at least two values; a session's morning
    value belongs to the session's date (Silbernagel et al. 2007: pain should
    not increase from week to week).
    """
    recent, earlier = c.morning_values(6, 0), c.morning_values(13, 7)
    if len(recent) < 2 or len(earlier) < 2:
        return None
    rise = mean(recent) - mean(earlier)
    if rise < c.s.trend_points:
        return None
    reason = Message("R6.worsening_trend", {"recent": mean(recent), "earlier": mean(earlier)})
    return Outcome("R6", reason, "hold", Flag("worsening_trend", "warning", reason))


def r7_not_enough_green(c: Context) -> Outcome | None:
    """R7 — fewer than green_sessions_to_progress (2) green sessions in a row at the current step: hold.

    A green session: completed, pain during <= green_max and next-morning pain
    known and no higher than baseline (pain-monitoring model).
    """
    streak = 0
    for session in reversed(c.sessions):
        if session.step != c.data.current_step or not c.green(session):
            break
        streak += 1
    needed = c.s.green_sessions_to_progress
    if streak >= needed:
        return None
    reason = Message("R7.not_enough_green", {"streak": streak, "needed": needed,
                                             "level": c.level(c.data.current_step)})
    return Outcome("R7", reason, "hold")


def r8_ladder_complete(c: Context) -> Outcome | None:
    """R8 — the current step is the top of the ladder: hold and tell the therapist."""
    if c.next_step is not None:
        return None
    reason = Message("R8.ladder_complete", {"level": c.level(c.data.current_step)})
    return Outcome("R8", reason, "hold", Flag("ladder_complete", "info", reason))


def _gate_unmet(c: Context) -> list[Message]:
    """Every unmet criterion for a first running step; an unknown value never meets a criterion."""
    m = c.measurement or Measurement(date=c.data.today)
    unmet = []
    if m.running_signoff is not True:
        unmet.append(Message("gate.signoff"))
    if c.data.condition == "acl":
        days = (c.data.today - c.data.surgery_date).days
        if days < ACL_GATE_DAYS:
            unmet.append(Message("gate.weeks_since_surgery", {"weeks": ACL_GATE_DAYS // 7, "days": days}))
        for criterion, value, floor in (("gate.quad_lsi", m.quad_lsi_pct, ACL_GATE_QUAD_LSI),
                                        ("gate.hop_lsi", m.hop_lsi_pct, ACL_GATE_HOP_LSI),
                                        ("gate.rom", m.rom_pct, ACL_GATE_ROM)):
            if value is None:
                unmet.append(Message(f"{criterion}_unknown", {"floor": floor}))
            elif value < floor:
                unmet.append(Message(criterion, {"floor": floor, "value": value}))
        limit = EFFUSION_GRADES.index(ACL_GATE_MAX_EFFUSION)
        if m.effusion is None:
            unmet.append(Message("gate.effusion_unknown"))
        elif EFFUSION_GRADES.index(m.effusion) > limit:
            unmet.append(Message("gate.effusion", {"grade": m.effusion}))
        if not c.latest.pain_during < ACL_GATE_PAIN_BELOW:
            unmet.append(Message("gate.pain", {"limit": ACL_GATE_PAIN_BELOW, "pain": c.latest.pain_during}))
    return unmet


def r9_running_gate(c: Context) -> Outcome | None:
    """R9 — the next step is a running step (speed >= running_speed_kmh) and a criterion is unmet: hold.

    Running needs the therapist's sign-off; after ACL-R also >= 12 weeks since
    surgery, quadriceps and hop LSI >= 70 %, ROM >= 95 %, effusion trace or
    less, and pain during below 2/10 (Rambaud et al. 2018). People switch from
    backward walking to running at about 1.63 m/s, 5.8 km/h (Hreljac 2005).
    """
    if not is_running_speed(c.next_step.speed_kmh, c.s.running_speed_kmh):
        return None
    unmet = _gate_unmet(c)
    if not unmet:
        return None
    # Said only here, where the next step's speed reaches the threshold; "too" when this level already runs.
    current = c.data.ladder[c.data.current_step]
    too = is_running_speed(current.speed_kmh, c.s.running_speed_kmh)
    reason = Message("R9.running_gate_too" if too else "R9.running_gate",
                     {"level": c.level(c.next_index), "speed": c.next_step.speed_kmh,
                      "threshold": c.s.running_speed_kmh, "unmet": unmet})
    return Outcome("R9", reason, "hold", Flag("gate_not_met", "info", reason))


def r10_needs_override(c: Context) -> Outcome | None:
    """R10 — the next step is steep (incline > max_auto_incline_pct) or changes more than one variable: hold.

    Progress one variable at a time (product safety rules); steep inclines need a therapist.
    """
    current = c.data.ladder[c.data.current_step]
    changed = current.changed_variables(c.next_step)
    if c.next_step.incline_pct <= c.s.max_auto_incline_pct and changed <= 1:
        return None
    steep = c.next_step.incline_pct > c.s.max_auto_incline_pct
    incline = {"incline": c.next_step.incline_pct, "limit": c.s.max_auto_incline_pct}
    if steep and changed > 1:
        why = Message("override.steep_and_changes", {**incline, "changed": changed})
    elif steep:
        why = Message("override.steep", incline)
    else:
        why = Message("override.changes", {"changed": changed})
    reason = Message("R10.needs_override", {"level": c.level(c.next_index), "step": describe_step(c.next_step),
                                            "why": why})
    return Outcome("R10", reason, "hold", Flag("needs_override", "info", reason))


def r11_progress(c: Context) -> Outcome:
    """R11 — otherwise: progress one step up the ladder."""
    count = c.s.green_sessions_to_progress
    reason = Message("R11.progress", {"count": count, "level": c.level(c.data.current_step),
                                      "next_level": c.level(c.next_index), "step": describe_step(c.next_step)})
    return Outcome("R11", reason, "progress")


DECISION_RULES: tuple[Callable[[Context], Outcome | None], ...] = (
    r1_red_pain, r2_effusion, r3_repeated_morning_rise, r4_morning_rise, r5_amber_pain, r6_worsening_trend,
    r7_not_enough_green, r8_ladder_complete, r9_running_gate, r10_needs_override, r11_progress,
)
