"""monitoring.periods by hand: every expected figure below is worked out in the comment beside it."""

from __future__ import annotations

import datetime as dt

import pytest

from monitoring import periods as p
from monitoring.periods import CodeUnits, MonthTime, Period, Rule

D = dt.date
Y2026 = D(2026, 1, 1)
BEFORE = (D(2022, 1, 1), D(2025, 12, 31))

# The rules of the data migration, as plain values.
RULES_2026 = [
    Rule("98975", p.EPISODE, Y2026),
    Rule("98977", p.PERIOD, Y2026, min_days=16, max_days=30),
    Rule("98985", p.PERIOD, Y2026, min_days=2, max_days=15, excludes=frozenset({"98977"})),
    Rule("98979", p.MONTH, Y2026, min_minutes=10, requires_interactive=True, excludes=frozenset({"98980", "98981"})),
    Rule("98980", p.MONTH, Y2026, min_minutes=20, requires_interactive=True),
    Rule("98981", p.MONTH_ADDITIONAL, Y2026, min_minutes=20, requires_interactive=True, adds_to="98980"),
]
RULES_BEFORE = [
    Rule("98975", p.EPISODE, *BEFORE, min_days=16),
    Rule("98977", p.PERIOD, *BEFORE, min_days=16, max_days=30),
    Rule("98980", p.MONTH, *BEFORE, min_minutes=20, requires_interactive=True),
    Rule("98981", p.MONTH_ADDITIONAL, *BEFORE, min_minutes=20, requires_interactive=True, adds_to="98980"),
]
RULES = RULES_BEFORE + RULES_2026


def days(start: dt.date, *offsets: int) -> set[dt.date]:
    return {start + dt.timedelta(days=n) for n in offsets}


# --- Periods ---------------------------------------------------------------------------------------------------

def test_periods_roll_every_30_days_from_the_set_up_date_across_month_ends():
    # 15 Jan + 29 days = 13 Feb; then 14 Feb to 15 Mar (Feb 2026 has 28 days: 14 Feb + 29 = 15 Mar).
    got = p.episode_periods(setup_date=D(2026, 1, 15), through=D(2026, 3, 20))
    assert got == [Period(1, D(2026, 1, 15), D(2026, 2, 13)), Period(2, D(2026, 2, 14), D(2026, 3, 15)),
                   Period(3, D(2026, 3, 16), D(2026, 4, 14))]
    assert [x.length for x in got] == [30, 30, 30]
    # The third has started on 16 March, so on 20 March it is listed, with its full 30 days still ahead.
    assert p.episode_periods(setup_date=D(2026, 1, 15), through=D(2026, 3, 15))[-1].number == 2


def test_a_period_can_touch_three_calendar_months():
    # 31 Jan + 29 days = 1 March (February 2026: 28 days): January, February and March.
    period = p.episode_periods(setup_date=D(2026, 1, 31), through=D(2026, 1, 31))[0]
    assert period.end == D(2026, 3, 1)
    assert period.months() == (D(2026, 1, 1), D(2026, 2, 1), D(2026, 3, 1))


def test_the_plan_ending_mid_period_truncates_it_and_says_why():
    # Set up 1 March; period 2 would run 31 March to 29 April, but the plan ends on 10 April: 11 days.
    got = p.episode_periods(setup_date=D(2026, 3, 1), through=D(2026, 6, 1), plan_end=D(2026, 4, 10))
    assert got == [Period(1, D(2026, 3, 1), D(2026, 3, 30)), Period(2, D(2026, 3, 31), D(2026, 4, 10), p.PLAN_ENDED)]
    assert got[1].length == 11 and got[1].truncated and not got[0].truncated


def test_unenrolling_ends_the_episode_on_its_last_day_and_the_plan_wins_a_tie():
    got = p.episode_periods(setup_date=D(2026, 3, 1), through=D(2026, 6, 1), last_day=D(2026, 3, 20))
    assert got == [Period(1, D(2026, 3, 1), D(2026, 3, 20), p.UNENROLLED)]
    assert p.episode_end(last_day=D(2026, 3, 20), plan_end=D(2026, 3, 20)) == (D(2026, 3, 20), p.PLAN_ENDED)
    assert p.episode_end(last_day=D(2026, 3, 20), plan_end=D(2026, 4, 1)) == (D(2026, 3, 20), p.UNENROLLED)
    assert p.episode_end(last_day=None, plan_end=None) == (None, None)
    # An episode that ends exactly on a period's 30th day is not truncated: the period is whole.
    whole = p.episode_periods(setup_date=D(2026, 3, 1), through=D(2026, 6, 1), plan_end=D(2026, 3, 30))
    assert whole == [Period(1, D(2026, 3, 1), D(2026, 3, 30))] and not whole[0].truncated


def test_days_with_data_are_distinct_days_inside_the_period():
    period = Period(1, D(2026, 1, 15), D(2026, 2, 13))
    # A session and a check-in on 20 Jan are one day; 14 Jan and 14 Feb are outside.
    dates = [D(2026, 1, 20), D(2026, 1, 20), D(2026, 2, 13), D(2026, 1, 14), D(2026, 2, 14), D(2026, 1, 15)]
    assert p.days_with_data(dates, period) == 3


# --- Which rules are in force ------------------------------------------------------------------------------------

def test_a_period_is_judged_by_the_rules_in_force_on_its_last_day():
    # 10 days of data: in 2025 (98977 needs 16, no 98985) nothing; in 2026 98985.
    in_2025 = Period(2, D(2025, 6, 1), D(2025, 6, 30))
    in_2026 = Period(2, D(2026, 6, 1), D(2026, 6, 30))
    assert p.period_codes(period=in_2025, days=10, rules=RULES) == []
    assert p.period_codes(period=in_2026, days=10, rules=RULES) == [CodeUnits("98985")]
    # 20 Dec 2025 to 18 Jan 2026 ends in 2026: 2026's rules, so 10 days is 98985.
    across = Period(2, D(2025, 12, 20), D(2026, 1, 18))
    assert p.period_codes(period=across, days=10, rules=RULES) == [CodeUnits("98985")]


def test_the_set_up_code_is_once_per_episode_by_the_rules_of_its_set_up_date():
    first_2026, second_2026 = Period(1, D(2026, 2, 1), D(2026, 3, 2)), Period(2, D(2026, 3, 3), D(2026, 4, 1))
    # 2026: no threshold on the set-up code; 1 day is not a device code (98985 needs 2).
    assert p.period_codes(period=first_2026, days=1, rules=RULES) == [CodeUnits("98975")]
    assert p.period_codes(period=second_2026, days=20, rules=RULES) == [CodeUnits("98977")]
    # Before 2026 the set-up needed 16 days in the first period.
    first_2025 = Period(1, D(2025, 2, 1), D(2025, 3, 2))
    assert p.period_codes(period=first_2025, days=15, rules=RULES) == []
    assert p.period_codes(period=first_2025, days=16, rules=RULES) == [CodeUnits("98975"), CodeUnits("98977")]
    # Set up 20 Dec 2025 (old rules: 16 days), period ends 18 Jan 2026 (new device rules).
    across = Period(1, D(2025, 12, 20), D(2026, 1, 18))
    assert p.period_codes(period=across, days=10, rules=RULES) == [CodeUnits("98985")]


@pytest.mark.parametrize("count, expected", [(0, []), (1, []), (2, ["98985"]), (15, ["98985"]), (16, ["98977"]),
                                             (30, ["98977"])])
def test_device_codes_by_days(count, expected):
    period = Period(3, D(2026, 5, 1), D(2026, 5, 30))
    assert [c.code for c in p.period_codes(period=period, days=count, rules=RULES)] == expected


def test_98977_and_98985_are_never_both_reported_even_if_an_admin_makes_their_ranges_overlap():
    overlapping = [Rule("98977", p.PERIOD, Y2026, min_days=16), Rule("98985", p.PERIOD, Y2026, min_days=2,
                                                                     max_days=30, excludes=frozenset({"98977"}))]
    period = Period(2, D(2026, 5, 1), D(2026, 5, 30))
    assert p.period_codes(period=period, days=20, rules=overlapping) == [CodeUnits("98977")]
    assert p.period_codes(period=period, days=10, rules=overlapping) == [CodeUnits("98985")]


# --- Management minutes ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("minutes, interactive, expected", [
    (9, True, []),
    (10, True, ["98979"]),            # 10-19 with a call: 98979
    (19, True, ["98979"]),
    (20, True, ["98980"]),            # 98979 and 98980 both met: 98980 (higher) stays, 98979 goes
    (39, True, ["98980"]),            # (39 - 20) // 20 = 0 additional blocks
    (40, True, ["98980", "98981"]),   # (40 - 20) // 20 = 1
    (65, True, ["98980", "98981 x2"]),  # (65 - 20) // 20 = 2
    (65, False, []),                  # no interactive communication: no management code at all
])
def test_management_codes_in_2026(minutes, interactive, expected):
    got = p.month_codes(month=D(2026, 3, 1), time=MonthTime(minutes, interactive), rules=RULES)
    assert [str(c) for c in got] == expected


def test_management_codes_before_2026_have_no_10_minute_code():
    month = D(2025, 11, 1)
    assert p.month_codes(month=month, time=MonthTime(15, True), rules=RULES) == []
    assert [str(c) for c in p.month_codes(month=month, time=MonthTime(45, True), rules=RULES)] == ["98980", "98981"]


def test_minutes_sum_per_calendar_month_with_any_interactive_entry():
    entries = [(D(2026, 1, 30), 12, False), (D(2026, 1, 31), 5, True), (D(2026, 2, 1), 30, False)]
    assert p.month_totals(entries) == {D(2026, 1, 1): MonthTime(17, True), D(2026, 2, 1): MonthTime(30, False)}


def test_month_progress_names_the_next_threshold_and_the_missing_call():
    march = D(2026, 3, 1)
    progress = p.month_progress(month=march, time=MonthTime(25, True), rules=RULES)
    assert progress.codes == [CodeUnits("98980")] and (progress.next_minutes, progress.next_code) == (40, "98981")
    assert progress.thresholds == [10, 20, 40]
    silent = p.month_progress(month=march, time=MonthTime(12, False), rules=RULES)
    assert silent.codes == [] and silent.needs_interactive and silent.next_minutes == 20
    beyond = p.month_progress(month=march, time=MonthTime(45, True), rules=RULES)
    assert beyond.thresholds == [10, 20, 40, 60] and beyond.next_minutes == 60


def test_each_month_is_listed_on_the_last_period_that_touches_it():
    # Periods 15 Jan-13 Feb, 14 Feb-15 Mar, 16 Mar-14 Apr: January -> 1, February -> 2, March and April -> 3.
    periods = p.episode_periods(setup_date=D(2026, 1, 15), through=D(2026, 3, 20))
    owners = p.month_owners((x.number, x) for x in periods)
    assert owners == {D(2026, 1, 1): 1, D(2026, 2, 1): 2, D(2026, 3, 1): 3, D(2026, 4, 1): 3}


# --- Where a patient stands ----------------------------------------------------------------------------------------

PERIOD_MAY = Period(2, D(2026, 5, 1), D(2026, 5, 30))


def status_on(today: dt.date, dates: set[dt.date], period: Period = PERIOD_MAY, rules=RULES) -> p.PeriodStatus:
    return p.period_status(period=period, dates=dates, today=today, rules=rules)


def test_status_on_track_when_16_days_are_reached():
    got = status_on(D(2026, 5, 20), days(D(2026, 5, 1), *range(16)))
    assert (got.status, got.days, got.needed) == (p.ON_TRACK, 16, 0)
    assert p.status_words(got) == "16 days with data: 16 or more reached."


def test_status_on_track_when_on_pace():
    # 11 May: 10 days past; 6 days of data. 6 x 30 = 180 >= 16 x 10 = 160: on pace. 10 more needed; days left:
    # 12-30 May (19) plus today without data (1) = 20.
    got = status_on(D(2026, 5, 11), days(D(2026, 5, 1), 0, 1, 3, 5, 7, 9))
    assert (got.status, got.days, got.needed, got.days_left) == (p.ON_TRACK, 6, 10, 20)


def test_status_at_risk_says_how_many_days_are_needed_in_how_many():
    # 11 May, 5 days: 5 x 30 = 150 < 160, behind pace; 11 needed; today has data, so days left = 19 (12-30 May).
    got = status_on(D(2026, 5, 11), days(D(2026, 5, 1), 0, 2, 4, 6, 10))
    assert (got.status, got.needed, got.days_left, got.target) == (p.AT_RISK, 11, 19, 16)
    assert p.status_words(got) == "Needs 11 more days with data in the 19 days left to reach 16 (5 so far)."


def test_status_partial_once_16_is_out_of_reach():
    # 25 May, 9 days, none today: 9 + 6 days left (25-30 May) = 15 < 16, and 9 >= 2: the 2-15 group.
    got = status_on(D(2026, 5, 25), days(D(2026, 5, 1), *range(0, 18, 2)))
    assert (got.status, got.days, got.days_left) == (p.PARTIAL, 9, 6)
    assert p.status_label(got) == "2–15 days"


def test_status_no_data():
    got = status_on(D(2026, 5, 5), set())
    assert (got.status, got.needed, got.days_left) == (p.NO_DATA, 16, 26)
    assert p.status_words(got) == "No data yet this period: 16 days needed in the 26 days left."


def test_status_at_risk_of_missing_even_2_days():
    # 30 May, the last day, with data on 1 May only and none today: 1 day left, 1 more needed to reach 2.
    got = status_on(D(2026, 5, 30), days(D(2026, 5, 1), 0))
    assert (got.status, got.target, got.needed, got.days_left) == (p.AT_RISK, 2, 1, 1)
    assert got.reachable
    # Today with data on 30 May too: that is 2 days, the 2-15 group.
    assert status_on(D(2026, 5, 30), days(D(2026, 5, 1), 0, 29)).status == p.PARTIAL


def test_status_before_2026_has_no_2_day_group():
    may_2025 = Period(2, D(2025, 5, 1), D(2025, 5, 30))
    got = status_on(D(2025, 5, 25), days(D(2025, 5, 1), *range(0, 18, 2)), period=may_2025)
    # 16 out of reach and no 2-15 code: at risk, and the words say it cannot be reached.
    assert (got.status, got.partial, got.reachable) == (p.AT_RISK, None, False)
    assert "can no longer be reached" in p.status_words(got)


def test_status_without_rules_says_so():
    got = status_on(D(2026, 5, 5), set(), rules=[])
    assert got.status == p.NO_RULES and "site administrator" in p.status_words(got)


def test_a_truncated_period_keeps_the_same_threshold_on_fewer_days():
    # The plan ends 10 May: 10 days; on 6 May with 5 days (none today) 16 is out of reach: 2-15 group.
    short = Period(2, D(2026, 5, 1), D(2026, 5, 10), p.PLAN_ENDED)
    got = status_on(D(2026, 5, 6), days(D(2026, 5, 1), 0, 1, 2, 3, 4), period=short)
    assert (got.status, got.days_left) == (p.PARTIAL, 5)
    assert p.period_codes(period=short, days=5, rules=RULES) == [CodeUnits("98985")]
