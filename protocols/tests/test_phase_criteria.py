"""protocols.phase_criteria: a phase's checkable entry criteria against the latest measurements."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

from protocols.phase_criteria import Readings, phase_criteria_check, unmet_in_words

TODAY = dt.date(2026, 6, 1)
RUNNING = SimpleNamespace(min_weeks_since_surgery=12, min_quad_lsi_pct=Decimal("70"), min_hop_lsi_pct=Decimal("70"),
                          min_rom_pct=Decimal("95"), max_effusion="trace", requires_running_signoff=True)


def test_the_acl_patient_at_12_weeks_with_quad_66_and_no_hop_test_is_not_ready_for_running():
    readings = Readings(today=TODAY, surgery_date=TODAY - dt.timedelta(weeks=12), measured_on=TODAY,
                        quad_lsi_pct=Decimal("66.0"), rom_pct=Decimal("97"), effusion="trace")
    checks = {c.name: c for c in phase_criteria_check(RUNNING, readings)}
    assert list(checks) == ["weeks_since_surgery", "quad_lsi", "hop_lsi", "rom", "effusion", "running_signoff"]
    assert checks["weeks_since_surgery"].met and checks["rom"].met and checks["effusion"].met
    assert not checks["quad_lsi"].met and checks["quad_lsi"].now == "66 %"
    assert not checks["hop_lsi"].met and checks["hop_lsi"].now == "not measured"  # unknown never meets
    assert not checks["running_signoff"].met
    assert unmet_in_words(list(checks.values())) == [
        "quadriceps LSI at least 70 % (now: 66 %)",
        "hop LSI at least 70 % (now: not measured)",
        "therapist's sign-off for running (now: not signed off)",
    ]


def test_everything_met_and_the_edges_count_as_met():
    readings = Readings(today=TODAY, surgery_date=TODAY - dt.timedelta(days=84), measured_on=TODAY,
                        quad_lsi_pct=Decimal("70"), hop_lsi_pct=Decimal("70.0"), rom_pct=Decimal("95"),
                        effusion="0", running_signoff=True)
    assert all(c.met for c in phase_criteria_check(RUNNING, readings))


def test_a_day_short_of_the_weeks_worse_effusion_and_no_surgery_date_are_unmet():
    short = Readings(today=TODAY, surgery_date=TODAY - dt.timedelta(days=83), effusion="1+")
    checks = {c.name: c for c in phase_criteria_check(RUNNING, short)}
    assert not checks["weeks_since_surgery"].met and not checks["effusion"].met
    assert checks["effusion"].now == "1+"
    no_surgery = {c.name: c for c in phase_criteria_check(RUNNING, Readings(today=TODAY))}
    assert not no_surgery["weeks_since_surgery"].met and no_surgery["weeks_since_surgery"].now == "no surgery date"
    assert no_surgery["effusion"].now == "not measured"


def test_a_phase_without_checkable_criteria_has_none():
    plain = SimpleNamespace(min_weeks_since_surgery=None, min_quad_lsi_pct=None, min_hop_lsi_pct=None,
                            min_rom_pct=None, max_effusion="", requires_running_signoff=False)
    assert phase_criteria_check(plain, Readings(today=TODAY)) == []
