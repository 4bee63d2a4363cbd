"""The pure due-date rules (outcomes.schedule): occasions and the one due now, without a database."""

import datetime as dt

from outcomes.schedule import PlanDates, Rule, due_occasion, occasions

START = dt.date(2026, 3, 2)


def test_start_every_two_weeks_phase_changes_and_end_are_occasions_in_order_without_repeats():
    plan = PlanDates(start=START, phase_changes=(START + dt.timedelta(days=14), START + dt.timedelta(days=30)),
                     end=START + dt.timedelta(weeks=6), ended_on=START + dt.timedelta(weeks=6))
    rule = Rule("sane", at_start=True, every_weeks=2, at_phase_change=True, at_end=True)
    assert occasions(rule, plan, through=START + dt.timedelta(weeks=10)) == [
        START, START + dt.timedelta(days=14), START + dt.timedelta(days=28), START + dt.timedelta(days=30),
        START + dt.timedelta(weeks=6)]


def test_nothing_after_today_and_every_n_weeks_stops_when_the_plan_ended_not_at_its_planned_end():
    planned = PlanDates(start=START, end=START + dt.timedelta(weeks=3))
    assert occasions(Rule("sane", at_start=False, every_weeks=1), planned, through=START + dt.timedelta(weeks=5))[
        -1] == START + dt.timedelta(weeks=5)
    plan = PlanDates(start=START, end=START + dt.timedelta(weeks=3), ended_on=START + dt.timedelta(weeks=3))
    rule = Rule("sane", at_start=False, every_weeks=1)
    assert occasions(rule, plan, through=START + dt.timedelta(days=10)) == [START + dt.timedelta(days=7)]
    assert occasions(rule, plan, through=START + dt.timedelta(weeks=9)) == [
        START + dt.timedelta(weeks=n) for n in (1, 2, 3)]


def test_due_is_the_latest_occasion_until_it_is_answered():
    plan = PlanDates(start=START)
    rule = Rule("groc", at_start=True, every_weeks=2)
    today = START + dt.timedelta(days=20)
    assert due_occasion(rule, plan, today=today) == START + dt.timedelta(days=14)
    assert due_occasion(rule, plan, today=today, answered=[START + dt.timedelta(days=14)]) is None
    # The start's unanswered occasion is replaced by the newer one, never asked twice.
    assert due_occasion(rule, plan, today=today, answered=[START]) == START + dt.timedelta(days=14)


def test_a_phase_change_on_the_start_day_is_not_a_second_occasion_and_no_rule_means_never_due():
    plan = PlanDates(start=START, phase_changes=(START,))
    assert occasions(Rule("sane", at_start=False, at_phase_change=True), plan, through=START) == []
    assert due_occasion(Rule("sane", at_start=False), plan, today=START + dt.timedelta(days=99)) is None


def test_at_end_waits_for_the_end():
    plan = PlanDates(start=START, end=START + dt.timedelta(weeks=8))
    rule = Rule("koos", at_start=False, at_end=True)
    assert due_occasion(rule, plan, today=START + dt.timedelta(weeks=7)) is None
    assert due_occasion(rule, plan, today=START + dt.timedelta(weeks=8)) == START + dt.timedelta(weeks=8)
