"""Unit tests for protocols.ladder: pure functions, no database."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocols.ladder import MAX_STEPS, LadderSpec, LadderSpecError, Load, changed_variables, generate_ladder

D = Decimal


def loads(*triples) -> list[Load]:
    return [Load(D(speed), D(incline), duration) for speed, incline, duration in triples]


DEFAULT_LADDER = loads(
    ("2.5", "0", 10), ("2.5", "0", 15), ("2.5", "0", 20),
    ("2.5", "2.5", 20), ("2.5", "5", 20), ("2.5", "7.5", 20), ("2.5", "10", 20),
    ("3.0", "10", 20), ("3.5", "10", 20), ("4.0", "10", 20), ("4.5", "10", 20), ("5.0", "10", 20), ("5.5", "10", 20),
    ("5.5", "10", 25), ("5.5", "10", 30),
)


def test_default_ladder_is_the_documented_sequence():
    assert generate_ladder() == DEFAULT_LADDER
    assert len(DEFAULT_LADDER) == 15


def test_default_ladder_changes_one_variable_per_step_in_the_documented_order():
    ladder = generate_ladder()
    changes = [changed_variables(a, b) for a, b in zip(ladder, ladder[1:])]
    assert all(len(change) == 1 for change in changes)
    assert [c[0] for c in changes] == (["duration_min"] * 2 + ["incline_pct"] * 4 + ["speed_kmh"] * 6
                                       + ["duration_min"] * 2)


def test_last_step_is_clipped_to_the_cap_when_steps_do_not_divide_evenly():
    spec = LadderSpec(speed_step_kmh=D("0.4"), max_speed_kmh=D("3.5"), incline_step_pct=D("0"), duration_step_min=0)
    assert [step.speed_kmh for step in generate_ladder(spec)] == [D("2.5"), D("2.9"), D("3.3"), D("3.5")]


@pytest.mark.parametrize(
    ("zeroed", "constant"),
    [("speed_step_kmh", "speed_kmh"), ("incline_step_pct", "incline_pct"), ("duration_step_min", "duration_min")],
)
def test_a_zero_step_size_leaves_that_variable_alone(zeroed, constant):
    spec = replace(LadderSpec(), **{zeroed: 0})
    ladder = generate_ladder(spec)
    assert {getattr(step, constant) for step in ladder} == {getattr(ladder[0], constant)}
    # The other two variables still climb to their caps.
    others = {"speed_kmh": spec.max_speed_kmh, "incline_pct": spec.max_incline_pct,
              "duration_min": spec.max_duration_min}
    del others[constant]
    assert all(getattr(ladder[-1], name) == cap for name, cap in others.items())


def test_all_step_sizes_zero_gives_a_single_step():
    spec = LadderSpec(speed_step_kmh=D("0"), incline_step_pct=D("0"), duration_step_min=0)
    assert generate_ladder(spec) == loads(("2.5", "0", 10))


def test_a_start_at_the_caps_gives_a_single_step():
    spec = LadderSpec(start_speed_kmh=D("5.5"), start_incline_pct=D("10"), start_duration_min=30)
    assert generate_ladder(spec) == loads(("5.5", "10", 30))


def test_tiny_steps_stop_at_the_step_limit():
    spec = LadderSpec(speed_step_kmh=D("0.01"), start_speed_kmh=D("0"), max_speed_kmh=D("20"))
    assert len(generate_ladder(spec)) == MAX_STEPS


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"start_speed_kmh": D("-0.5")}, "start_speed_kmh"),
        ({"start_incline_pct": D("-1")}, "start_incline_pct"),
        ({"start_duration_min": 0}, "start_duration_min"),
        ({"max_speed_kmh": D("2.0")}, "max_speed_kmh"),
        ({"max_incline_pct": D("-2.5"), "start_incline_pct": D("0")}, "max_incline_pct"),
        ({"max_duration_min": 5}, "max_duration_min"),
        ({"speed_step_kmh": D("-0.5")}, "speed_step_kmh"),
        ({"incline_step_pct": D("-2.5")}, "incline_step_pct"),
        ({"duration_step_min": -5}, "duration_step_min"),
    ],
)
def test_an_invalid_spec_is_refused_naming_the_field(changes, field):
    with pytest.raises(LadderSpecError) as error:
        generate_ladder(replace(LadderSpec(), **changes))
    assert error.value.field == field
    assert str(error.value).startswith(f"{field}:")


def test_changed_variables_names_every_difference():
    a, b = loads(("2.5", "0", 10), ("3.0", "2.5", 10))
    assert changed_variables(a, a) == []
    assert changed_variables(a, b) == ["speed_kmh", "incline_pct"]


tenths = st.decimals(min_value=0, max_value=10, places=1, allow_nan=False, allow_infinity=False)


@st.composite
def specs(draw) -> LadderSpec:
    start_speed, start_incline = draw(tenths), draw(tenths)
    start_duration = draw(st.integers(1, 40))
    return LadderSpec(
        start_speed_kmh=start_speed,
        start_incline_pct=start_incline,
        start_duration_min=start_duration,
        speed_step_kmh=draw(st.sampled_from([D("0"), D("0.3"), D("0.5"), D("1.0")])),
        incline_step_pct=draw(st.sampled_from([D("0"), D("1.5"), D("2.5"), D("5")])),
        duration_step_min=draw(st.sampled_from([0, 2, 5, 10])),
        max_speed_kmh=start_speed + draw(tenths),
        max_incline_pct=start_incline + draw(tenths),
        max_duration_min=start_duration + draw(st.integers(0, 40)),
        first_duration_cap_min=draw(st.integers(1, 60)),
    )


@settings(max_examples=200, deadline=None)
@given(specs())
def test_any_valid_spec_gives_one_change_per_step_within_the_caps(spec):
    ladder = generate_ladder(spec)
    assert ladder[0] == Load(spec.start_speed_kmh, spec.start_incline_pct, spec.start_duration_min)
    assert 1 <= len(ladder) <= MAX_STEPS
    for a, b in zip(ladder, ladder[1:]):
        changed = changed_variables(a, b)
        assert len(changed) == 1
        assert getattr(b, changed[0]) > getattr(a, changed[0])  # only ever upwards
    for step in ladder:
        assert spec.start_speed_kmh <= step.speed_kmh <= spec.max_speed_kmh
        assert spec.start_incline_pct <= step.incline_pct <= spec.max_incline_pct
        assert spec.start_duration_min <= step.duration_min <= spec.max_duration_min
    if len(ladder) < MAX_STEPS:
        last = ladder[-1]
        assert last.speed_kmh == (spec.max_speed_kmh if spec.speed_step_kmh else spec.start_speed_kmh)
        assert last.incline_pct == (spec.max_incline_pct if spec.incline_step_pct else spec.start_incline_pct)
        assert last.duration_min == (spec.max_duration_min if spec.duration_step_min else spec.start_duration_min)
