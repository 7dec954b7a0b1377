"""Business-time arithmetic on the Chinese calendar (dates from 2025's official schedule)."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest

from gongdan.sla.calendar import (
    DEFAULT_SPEC,
    CalendarSpec,
    Period,
    add_business_time,
    business_time_between,
    is_working_at,
    meter,
    next_working_start,
)

TZ = ZoneInfo("Asia/Shanghai")
H = datetime.timedelta(hours=1)
DAY_SHIFT = CalendarSpec(
    periods=(Period(frozenset(range(5)), datetime.time(8), datetime.time(17)),),
    time_zone="Asia/Shanghai",
)


def at(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=TZ)


def test_two_hours_from_friday_afternoon_land_on_monday_morning():
    # 2025-06-13 is an ordinary Friday; the weekend does not count.
    assert add_business_time(at(2025, 6, 13, 16, 0), 2 * H, DAY_SHIFT) == at(2025, 6, 16, 9, 0)
    assert business_time_between(at(2025, 6, 13, 16, 0), at(2025, 6, 16, 9, 0), DAY_SHIFT) == 2 * H


def test_national_day_holiday_is_skipped():
    # 1–8 October 2025 are holidays: the clock stops on 30 September and resumes on the 9th.
    assert add_business_time(at(2025, 9, 30, 16, 0), 3 * H, DAY_SHIFT) == at(2025, 10, 9, 10, 0)


def test_adjusted_working_saturday_counts_as_a_workday():
    # Saturday 11 October 2025 is a 调休 working day with Monday's hours.
    assert is_working_at(at(2025, 10, 11, 10, 0), DAY_SHIFT)
    assert add_business_time(at(2025, 10, 10, 16, 0), 2 * H, DAY_SHIFT) == at(2025, 10, 11, 9, 0)
    # An ordinary Saturday is not.
    assert not is_working_at(at(2025, 10, 18, 10, 0), DAY_SHIFT)


def test_night_shift_runs_past_midnight():
    night = CalendarSpec(
        periods=(Period(frozenset(range(7)), datetime.time(22), datetime.time(6)),),
        follow_public_holidays=False,
    )
    assert is_working_at(at(2025, 6, 14, 3, 0), night)
    assert not is_working_at(at(2025, 6, 14, 12, 0), night)
    # 23:00 + 8 h: seven hours tonight, the last one tomorrow night.
    assert add_business_time(at(2025, 6, 13, 23, 0), 8 * H, night) == at(2025, 6, 14, 23, 0)
    assert next_working_start(at(2025, 6, 14, 12, 0), night) == at(2025, 6, 14, 22, 0)


def test_overlapping_shifts_are_not_counted_twice():
    both = CalendarSpec(
        periods=(
            Period(frozenset(range(7)), datetime.time(6), datetime.time(14)),
            Period(frozenset(range(7)), datetime.time(12), datetime.time(20)),
        ),
        follow_public_holidays=False,
    )
    assert business_time_between(at(2025, 6, 13, 0, 0), at(2025, 6, 14, 0, 0), both) == 14 * H


def test_plant_shutdown_exception_closes_a_working_day():
    shutdown = CalendarSpec(periods=DAY_SHIFT.periods, exceptions={datetime.date(2025, 6, 16): ()})
    assert add_business_time(at(2025, 6, 13, 16, 0), 2 * H, shutdown) == at(2025, 6, 17, 9, 0)


def test_default_calendar_has_a_lunch_break():
    assert add_business_time(at(2025, 6, 16, 11, 0), 2 * H, DEFAULT_SPEC) == at(2025, 6, 16, 14, 0)


def test_time_between_is_negative_backwards():
    assert business_time_between(at(2025, 6, 16, 10, 0), at(2025, 6, 16, 9, 0), DAY_SHIFT) == -H


@pytest.mark.django_db
def test_default_calendar_row_is_used_when_none_is_given():
    from gongdan.sla.models import BusinessCalendar

    BusinessCalendar.objects.create(
        code="plant",
        name="全厂",
        periods=[{"days": [0, 1, 2, 3, 4, 5], "start": "08:00", "end": "12:00"}],
        is_default=True,
    )
    # Saturday mornings count on this plant's calendar.
    assert add_business_time(at(2025, 6, 13, 11, 0), 2 * H) == at(2025, 6, 14, 9, 0)


def test_a_meter_measures_as_business_time_between_does_on_every_kind_of_day():
    """The report's meter remembers each day's hours; over National Day, a 调休
    Saturday, a shutdown, a night shift, overlapping shifts and pairs given backwards,
    on calendars and moments picked at random, it gives what the plain function gives."""
    import random

    calendars = [
        DAY_SHIFT,
        DEFAULT_SPEC,
        CalendarSpec(
            periods=(
                Period(frozenset(range(7)), datetime.time(22), datetime.time(6)),
                Period(frozenset(range(5)), datetime.time(5), datetime.time(9)),
            ),
            exceptions={datetime.date(2025, 10, 15): ((datetime.time(10), datetime.time(12)),)},
            time_zone="Asia/Shanghai",
        ),
        CalendarSpec(periods=DAY_SHIFT.periods, exceptions={datetime.date(2025, 10, 13): ()}),
    ]
    rng = random.Random(41)
    start = at(2025, 9, 25, 0, 0)
    for spec in calendars:
        measure = meter(spec)
        for _ in range(300):
            a = start + datetime.timedelta(minutes=rng.randrange(30 * 24 * 60))
            b = a + datetime.timedelta(minutes=rng.randrange(-5 * 24 * 60, 12 * 24 * 60))
            assert measure(a, b) == business_time_between(a, b, spec), (spec, a, b)
        # Moments met newest first, over four months: laid out again further back.
        measure = meter(spec)
        for days_back in range(0, 120, 3):
            a = at(2025, 12, 31, 15, 7) - datetime.timedelta(days=days_back, hours=days_back)
            b = a + datetime.timedelta(hours=rng.randrange(1, 200))
            assert measure(a, b) == business_time_between(a, b, spec), (spec, a, b)
