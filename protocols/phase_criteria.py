"""Is a patient ready for a phase? Its checkable entry criteria against the latest measurements.

Pure: plain values in, a list of criteria with "met" or "not met" out (no
database), so the phase-change page, its service and the tests read them one
way. As in the engine's running gate (progression-rules.md, R9), an unknown
value never meets a criterion: a hop test that was never done is "not
measured", not a pass.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from protocols.engine import EFFUSION_GRADES


@dataclass(frozen=True)
class Readings:
    """What the criteria are checked against: the latest measurement's values (None: not measured)."""

    today: dt.date
    surgery_date: dt.date | None = None
    measured_on: dt.date | None = None
    quad_lsi_pct: Decimal | None = None
    hop_lsi_pct: Decimal | None = None
    rom_pct: Decimal | None = None
    effusion: str = ""
    running_signoff: bool = False


@dataclass(frozen=True)
class Criterion:
    """One entry criterion in words, what the patient shows now, and whether it is met."""

    name: str
    wanted: str
    now: str
    met: bool


def _pct(value) -> str:
    return f"{Decimal(value).normalize():f} %"


def phase_criteria_check(phase, readings: Readings) -> list[Criterion]:
    """Every checkable entry criterion of `phase` (a Phase or AssignedPhase), in a fixed order."""
    checks = []
    if phase.min_weeks_since_surgery is not None:
        wanted = f"at least {phase.min_weeks_since_surgery} weeks since surgery"
        if readings.surgery_date is None:
            checks.append(Criterion("weeks_since_surgery", wanted, "no surgery date", False))
        else:
            days = (readings.today - readings.surgery_date).days
            checks.append(Criterion("weeks_since_surgery", wanted, f"{days // 7} weeks ({days} days)",
                                    days >= 7 * phase.min_weeks_since_surgery))
    for name, label, floor, value in (
        ("quad_lsi", "quadriceps LSI", phase.min_quad_lsi_pct, readings.quad_lsi_pct),
        ("hop_lsi", "hop LSI", phase.min_hop_lsi_pct, readings.hop_lsi_pct),
        ("rom", "range of motion", phase.min_rom_pct, readings.rom_pct),
    ):
        if floor is None:
            continue
        wanted = f"{label} at least {_pct(floor)}"
        if value is None:
            checks.append(Criterion(name, wanted, "not measured", False))
        else:
            checks.append(Criterion(name, wanted, _pct(value), Decimal(value) >= Decimal(floor)))
    if phase.max_effusion:
        wanted = f"effusion {phase.max_effusion} or less (stroke test)"
        if readings.effusion not in EFFUSION_GRADES:
            checks.append(Criterion("effusion", wanted, "not measured", False))
        else:
            checks.append(Criterion("effusion", wanted, readings.effusion,
                                    EFFUSION_GRADES.index(readings.effusion)
                                    <= EFFUSION_GRADES.index(phase.max_effusion)))
    if phase.requires_running_signoff:
        checks.append(Criterion("running_signoff", "therapist's sign-off for running",
                                "signed off" if readings.running_signoff else "not signed off",
                                readings.running_signoff))
    return checks


def unmet_in_words(checks: list[Criterion]) -> list[str]:
    """The unmet criteria as the phase history records them: "hop LSI at least 70 % (now: not measured)"."""
    return [f"{c.wanted} (now: {c.now})" for c in checks if not c.met]
