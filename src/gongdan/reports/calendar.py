"""Business time and working days for the metrics.

Business time comes from the site calendar (``gongdan.sla.calendar``) so that a
response time on the dashboard and an SLA deadline agree on what an hour of
work is. Until that module is installed, business time falls back to clock time.
Working days follow the Chinese public holidays and adjusted working days
(调休) through chinese-calendar.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import chinese_calendar
from django.apps import apps

BusinessFn = Callable[[datetime.datetime, datetime.datetime], Any]
Measure = Callable[[datetime.datetime, datetime.datetime], float]


def _site_business_time() -> BusinessFn | None:
    """The site calendar's business_time_between bound to the default calendar, or None."""
    if not apps.is_installed("gongdan.sla"):
        return None
    try:
        from gongdan.sla import calendar as sla_calendar  # type: ignore[attr-defined]
    except ImportError:
        return None
    meter: Any = getattr(sla_calendar, "meter", None)
    if meter is not None:
        # The default calendar resolved once (per call it would cost a query per
        # order), its working intervals laid out once per report.
        return meter(None)  # type: ignore[no-any-return]
    between: Any = getattr(sla_calendar, "business_time_between", None)
    if between is None:
        return None
    resolver: Any = getattr(sla_calendar, "resolve", None)
    if resolver is None:
        return between  # type: ignore[no-any-return]
    # Resolve the default calendar once: per call it would cost a query per order.
    spec = resolver(None)
    return lambda a, b: between(a, b, spec)


def _seconds(value: Any) -> float:
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    return float(value)


def business_clock() -> Measure:
    """A function giving the business seconds between two instants, for one report.

    Without a site calendar it measures clock time."""
    fn = _site_business_time()
    # A report measures an order's response and resolution once for the period and
    # again for the week it falls in: each span is worked out once per report.
    measured: dict[tuple[datetime.datetime, datetime.datetime], float] = {}

    def measure(start: datetime.datetime, end: datetime.datetime) -> float:
        if end <= start:
            return 0.0
        if fn is None:
            return (end - start).total_seconds()
        span = (start, end)
        seconds = measured.get(span)
        if seconds is None:
            seconds = measured[span] = max(_seconds(fn(start, end)), 0.0)
        return seconds

    return measure


def business_seconds(start: datetime.datetime, end: datetime.datetime) -> float:
    """Seconds of business time between two instants (clock time without a site calendar)."""
    return business_clock()(start, end)


def has_site_calendar() -> bool:
    return _site_business_time() is not None


def is_working_day(day: datetime.date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        # Years the holiday table does not cover yet: a plain Monday–Friday week.
        return day.weekday() < 5


def working_days(first: datetime.date, last: datetime.date) -> int:
    """Working days from ``first`` to ``last`` inclusive."""
    count = 0
    day = first
    while day <= last:
        count += is_working_day(day)
        day += datetime.timedelta(days=1)
    return count
