"""The pure "what is due now" rules: time windows, time zones, DST, quiet hours, done today, the nudge."""

import datetime as dt
import zoneinfo

from reminders.due import CHECKIN, GRACE, NUDGE, TRAINING, Choice, Day, due_now, in_quiet_hours, nudge_due

LONDON = zoneinfo.ZoneInfo("Europe/London")
SYDNEY = zoneinfo.ZoneInfo("Australia/Sydney")
WEDNESDAY = dt.date(2026, 3, 11)  # weekday 2
CHOICE = Choice(training_time=dt.time(18, 0), training_weekdays=frozenset({0, 2, 4}), checkin_time=dt.time(8, 0),
                nudge_after_days=3, quiet_start=dt.time(22, 0), quiet_end=dt.time(7, 0))
PLAN = Day(plan_start=WEDNESDAY - dt.timedelta(days=20), last_trained=WEDNESDAY - dt.timedelta(days=1))


def at(day, hour, minute=0, zone=LONDON):
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zone)


def test_training_reminder_from_its_time_for_the_grace_window_on_training_days():
    assert due_now(CHOICE, PLAN, at(WEDNESDAY, 17, 55)) == []
    assert due_now(CHOICE, PLAN, at(WEDNESDAY, 18, 0)) == [TRAINING]
    last_minute = at(WEDNESDAY, 18) + GRACE - dt.timedelta(minutes=1)
    assert due_now(CHOICE, PLAN, last_minute) == [TRAINING]
    assert due_now(CHOICE, PLAN, at(WEDNESDAY, 18) + GRACE) == []
    thursday = WEDNESDAY + dt.timedelta(days=1)
    assert due_now(CHOICE, Day(plan_start=PLAN.plan_start, last_trained=WEDNESDAY - dt.timedelta(days=1)),
                   at(thursday, 18)) == []  # not a training day


def test_nothing_on_a_day_already_trained_or_checked_in():
    trained = Day(plan_start=PLAN.plan_start, last_trained=WEDNESDAY)
    assert due_now(CHOICE, trained, at(WEDNESDAY, 18)) == []
    assert due_now(CHOICE, PLAN, at(WEDNESDAY, 8)) == [CHECKIN]
    checked_in = Day(plan_start=PLAN.plan_start, last_trained=PLAN.last_trained, checked_in_today=True)
    assert due_now(CHOICE, checked_in, at(WEDNESDAY, 8)) == []


def test_no_training_reminder_once_the_weeks_training_days_are_done():
    done = Day(plan_start=PLAN.plan_start, last_trained=PLAN.last_trained, week_done=3, week_planned=3)
    assert due_now(CHOICE, done, at(WEDNESDAY, 18)) == []


def test_no_plan_or_plan_not_started_means_no_reminders():
    assert due_now(CHOICE, Day(plan_start=None), at(WEDNESDAY, 8)) == []
    assert due_now(CHOICE, Day(plan_start=WEDNESDAY + dt.timedelta(days=1)), at(WEDNESDAY, 8)) == []


def test_quiet_hours_hold_a_reminder_until_they_end_within_the_window():
    early = Choice(checkin_time=dt.time(6, 0), quiet_start=dt.time(22, 0), quiet_end=dt.time(7, 0))
    assert due_now(early, PLAN, at(WEDNESDAY, 6, 0)) == []
    assert due_now(early, PLAN, at(WEDNESDAY, 6, 55)) == []
    assert due_now(early, PLAN, at(WEDNESDAY, 7, 0)) == [CHECKIN]  # quiet over, still in the window


def test_quiet_hours_across_midnight_and_within_a_day():
    assert in_quiet_hours(dt.time(23, 0), dt.time(22, 0), dt.time(7, 0))
    assert in_quiet_hours(dt.time(3, 0), dt.time(22, 0), dt.time(7, 0))
    assert not in_quiet_hours(dt.time(7, 0), dt.time(22, 0), dt.time(7, 0))
    assert in_quiet_hours(dt.time(13, 0), dt.time(12, 0), dt.time(14, 0))
    assert not in_quiet_hours(dt.time(14, 0), dt.time(12, 0), dt.time(14, 0))
    assert not in_quiet_hours(dt.time(3, 0), dt.time(0, 0), dt.time(0, 0))  # equal ends: no quiet hours


def test_the_patients_own_zone_decides_the_hour():
    utc_moment = dt.datetime(2026, 3, 11, 7, 0, tzinfo=dt.UTC)  # 07:00 in London, 18:00 in Sydney (AEDT)
    assert due_now(CHOICE, PLAN, utc_moment.astimezone(SYDNEY)) == [TRAINING]
    assert due_now(CHOICE, PLAN, utc_moment.astimezone(LONDON)) == []


def test_dst_spring_forward_a_time_in_the_skipped_hour_goes_after_the_jump():
    sunday = dt.date(2026, 3, 29)  # London: 01:00 → 02:00 on this day
    choice = Choice(checkin_time=dt.time(1, 30), quiet_start=dt.time(0, 0), quiet_end=dt.time(0, 0))
    before = dt.datetime(2026, 3, 29, 0, 55, tzinfo=dt.UTC).astimezone(LONDON)  # 00:55 GMT
    after = dt.datetime(2026, 3, 29, 1, 0, tzinfo=dt.UTC).astimezone(LONDON)  # 02:00 BST
    day = Day(plan_start=sunday - dt.timedelta(days=5), last_trained=sunday - dt.timedelta(days=1))
    assert due_now(choice, day, before) == []
    assert after.hour == 2 and due_now(choice, day, after) == [CHECKIN]


def test_dst_fall_back_the_repeated_hour_is_due_twice_the_ledger_keeps_one():
    sunday = dt.date(2026, 10, 25)  # London: 02:00 BST → 01:00 GMT
    choice = Choice(checkin_time=dt.time(1, 15), quiet_start=dt.time(0, 0), quiet_end=dt.time(0, 0))
    first = dt.datetime(2026, 10, 25, 0, 15, tzinfo=dt.UTC).astimezone(LONDON)
    second = dt.datetime(2026, 10, 25, 1, 15, tzinfo=dt.UTC).astimezone(LONDON)
    day = Day(plan_start=sunday - dt.timedelta(days=5), last_trained=sunday - dt.timedelta(days=1))
    assert (first.hour, second.hour) == (1, 1)
    assert due_now(choice, day, first) == due_now(choice, day, second) == [CHECKIN]
    assert first.date() == second.date()  # same (patient, kind, local date, channel) key: one row, one send


def test_nudge_on_the_nth_day_without_training_then_every_n_days():
    start = WEDNESDAY - dt.timedelta(days=30)
    for days, expected in ((2, False), (3, True), (4, False), (5, False), (6, True), (9, True)):
        day = Day(plan_start=start, last_trained=WEDNESDAY - dt.timedelta(days=days))
        assert nudge_due(CHOICE, day, WEDNESDAY) is expected, days
    never = Day(plan_start=WEDNESDAY - dt.timedelta(days=3))
    assert nudge_due(CHOICE, never, WEDNESDAY)  # counted from the plan's start before a first session


def test_the_nudge_stands_in_for_the_training_reminder_and_goes_on_any_day():
    day = Day(plan_start=WEDNESDAY - dt.timedelta(days=30), last_trained=WEDNESDAY - dt.timedelta(days=3))
    assert due_now(CHOICE, day, at(WEDNESDAY, 18)) == [NUDGE]
    thursday_day = Day(plan_start=day.plan_start, last_trained=WEDNESDAY - dt.timedelta(days=2))
    assert due_now(CHOICE, thursday_day, at(WEDNESDAY + dt.timedelta(days=1), 18)) == [NUDGE]
    off = Choice(**{**CHOICE.__dict__, "nudge_enabled": False})
    assert due_now(off, day, at(WEDNESDAY, 18)) == [TRAINING]


def test_disabled_kinds_are_never_due():
    off = Choice(**{**CHOICE.__dict__, "training_enabled": False, "checkin_enabled": False})
    assert due_now(off, PLAN, at(WEDNESDAY, 8)) == []
    assert due_now(off, PLAN, at(WEDNESDAY, 18)) == []
