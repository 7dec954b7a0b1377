"""Business-time arithmetic on a working calendar.

A calendar is weekly working periods (a period whose end is not after its start
runs past midnight: a night shift 22:00–06:00 belongs to the day it starts),
China's public holidays and adjusted working days (调休) from
``chinese-calendar``, and local exceptions (a plant shutdown, an extra shift).

Everything here is pure: functions take a ``CalendarSpec`` (or a
``BusinessCalendar`` row, or None for the default calendar) and aware datetimes.
"""

from __future__ import annotations

import bisect
import datetime
import functools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import chinese_calendar
from django.conf import settings

if TYPE_CHECKING:
    from .models import BusinessCalendar

Hours = tuple[tuple[datetime.time, datetime.time], ...]

# A calendar with no working time at all would make the search below run
# forever; nobody waits ten years for a repair.
MAX_SEARCH_DAYS = 3660
ZERO = datetime.timedelta(0)


@dataclass(frozen=True)
class Period:
    """Working hours on some weekdays (0 = Monday)."""

    days: frozenset[int]
    start: datetime.time
    end: datetime.time


@dataclass(frozen=True)
class CalendarSpec:
    """Everything needed to compute business time, detached from the database."""

    periods: tuple[Period, ...]
    follow_public_holidays: bool = True
    # A date's own hours replace the weekly ones; () means closed that day.
    exceptions: Mapping[datetime.date, Hours] = field(default_factory=dict)
    time_zone: str = ""
    always_open: bool = False

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone or settings.TIME_ZONE)


def parse_time(value: str) -> datetime.time:
    """'08:30' → time(8, 30); raises ValueError for anything else."""
    hours, _, minutes = str(value).partition(":")
    return datetime.time(int(hours), int(minutes or 0))


def period_from_json(item: Mapping[str, Any]) -> Period:
    days = frozenset(int(d) for d in item.get("days", range(7)))
    if not days <= set(range(7)):
        raise ValueError("days must be 0–6 (Monday = 0)")
    return Period(days=days, start=parse_time(item["start"]), end=parse_time(item["end"]))


WEEKDAYS = frozenset(range(5))
DEFAULT_SPEC = CalendarSpec(
    periods=(
        Period(WEEKDAYS, datetime.time(8, 30), datetime.time(12, 0)),
        Period(WEEKDAYS, datetime.time(13, 0), datetime.time(17, 30)),
    ),
)
ALWAYS_OPEN = CalendarSpec(periods=(), always_open=True)


def resolve(calendar: BusinessCalendar | CalendarSpec | None) -> CalendarSpec:
    """The spec for a calendar row, a spec, or None (the default calendar)."""
    if isinstance(calendar, CalendarSpec):
        return calendar
    if calendar is None:
        from .models import BusinessCalendar

        calendar = BusinessCalendar.objects.filter(is_default=True).first()
        if calendar is None:
            return DEFAULT_SPEC
    return calendar.spec()


@functools.lru_cache(maxsize=4096)
def _public_day(day: datetime.date) -> str:
    """ "holiday" for a public holiday, "adjusted" for a 调休 working day on a weekend,
    "" otherwise — also where the package has no data (the weekly hours decide)."""
    try:
        resting, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return ""
    if name is None:
        return ""
    return "holiday" if resting else "adjusted"


def hours_on(spec: CalendarSpec, day: datetime.date) -> Hours:
    """The working periods that start on ``day``.

    The weekly periods define the plant's own weekend (some work Saturdays);
    the public calendar adds the holidays and the adjusted working days."""
    if day in spec.exceptions:
        return tuple(spec.exceptions[day])
    weekday = day.weekday()
    if spec.follow_public_holidays:
        kind = _public_day(day)
        if kind == "holiday":
            return ()
        if kind == "adjusted" and not any(weekday in p.days for p in spec.periods):
            # An adjusted working Saturday or Sunday runs a normal weekday's
            # hours: Monday's.
            weekday = 0
    return tuple((p.start, p.end) for p in spec.periods if weekday in p.days)


def _day_intervals(
    spec: CalendarSpec, day: datetime.date
) -> list[tuple[datetime.datetime, datetime.datetime]]:
    tz = spec.tz
    out = []
    for start, end in hours_on(spec, day):
        a = datetime.datetime.combine(day, start, tzinfo=tz)
        end_day = day if end > start else day + datetime.timedelta(days=1)
        b = datetime.datetime.combine(end_day, end, tzinfo=tz)
        out.append((a, b))
    return sorted(out)


def intervals(
    spec: CalendarSpec, start: datetime.datetime
) -> Iterator[tuple[datetime.datetime, datetime.datetime]]:
    """Working intervals from ``start`` on, merged, in order, clipped to start."""
    if spec.always_open:
        yield start, start + datetime.timedelta(days=MAX_SEARCH_DAYS)
        return
    # Start a day early: last night's shift may still be running. Periods are
    # clipped to what has already been yielded, so overlapping shifts never
    # count twice.
    day = start.astimezone(spec.tz).date() - datetime.timedelta(days=1)
    frontier = start
    for _ in range(MAX_SEARCH_DAYS):
        for a, b in _day_intervals(spec, day):
            a = max(a, frontier)
            if b > a:
                yield a, b
                frontier = b
        day += datetime.timedelta(days=1)


def add_business_time(
    start: datetime.datetime,
    delta: datetime.timedelta,
    calendar: BusinessCalendar | CalendarSpec | None = None,
) -> datetime.datetime:
    """The moment ``delta`` of working time after ``start``.

    Time outside working hours does not count: 2 hours from Friday 16:30 on a
    08:30–17:30 calendar is Monday 09:30 (or later, across a public holiday).
    """
    spec = resolve(calendar)
    if spec.always_open:
        return start + delta
    remaining = max(delta, ZERO)
    for a, b in intervals(spec, start):
        span = b - a
        if remaining <= span:
            return a + remaining
        remaining -= span
    raise ValueError("the calendar has no working time")


def business_time_between(
    a: datetime.datetime,
    b: datetime.datetime,
    calendar: BusinessCalendar | CalendarSpec | None = None,
) -> datetime.timedelta:
    """Working time from ``a`` to ``b`` (negative when ``b`` is before ``a``)."""
    if b < a:
        return -business_time_between(b, a, calendar)
    spec = resolve(calendar)
    if spec.always_open:
        return b - a
    total = ZERO
    for start, end in intervals(spec, a):
        if start >= b:
            break
        total += min(end, b) - start
    return total


def meter(
    calendar: BusinessCalendar | CalendarSpec | None = None,
) -> Callable[[datetime.datetime, datetime.datetime], datetime.timedelta]:
    """``business_time_between`` on one calendar, for many pairs of moments (a report
    measures every order it covers, often across days): see ``_Meter``."""
    return _Meter(resolve(calendar))


class _Meter:
    """The calendar's working intervals laid out once from an origin, each with the
    working time before it, so that working time from ``a`` to ``b`` is the time
    worked by ``b`` less the time worked by ``a``: two look-ups instead of walking
    every period in between and working out each day's hours, holidays and zone
    again. The intervals are what ``intervals`` gives (merged, in order), so the
    answer is the same as ``business_time_between``'s, within the calendar's
    ten-year search from the origin."""

    def __init__(self, spec: CalendarSpec) -> None:
        self.spec = spec
        self.origin: datetime.datetime | None = None

    def __call__(self, a: datetime.datetime, b: datetime.datetime) -> datetime.timedelta:
        if b < a:
            return -self(b, a)
        if self.spec.always_open:
            return b - a
        if self.origin is None or a < self.origin:
            # Earlier than laid out: start again further back, twice as far each
            # time, so moments met newest first do not start over at every call.
            back = datetime.timedelta(days=30)
            if self.origin is not None:
                back = max(back, 2 * (self.origin - a))
            self._lay_out_from(a - back)
        return self._worked_by(b) - self._worked_by(a)

    def _lay_out_from(self, origin: datetime.datetime) -> None:
        self.origin = origin
        self.source = intervals(self.spec, origin)
        self.starts: list[datetime.datetime] = []
        self.ends: list[datetime.datetime] = []
        self.before: list[datetime.timedelta] = []
        self.total = ZERO

    def _worked_by(self, moment: datetime.datetime) -> datetime.timedelta:
        """Working time from the origin to ``moment``."""
        while not self.starts or self.starts[-1] < moment:
            laid = next(self.source, None)
            if laid is None:
                break
            start, end = laid
            self.starts.append(start)
            self.ends.append(end)
            self.before.append(self.total)
            self.total += end - start
        i = bisect.bisect_right(self.starts, moment) - 1
        if i < 0:
            return ZERO
        return self.before[i] + (min(moment, self.ends[i]) - self.starts[i])


def is_working_at(
    moment: datetime.datetime, calendar: BusinessCalendar | CalendarSpec | None = None
) -> bool:
    """Whether ``moment`` falls inside working hours (a shift)."""
    return next_working_start(moment, calendar) == moment


def next_working_start(
    moment: datetime.datetime, calendar: BusinessCalendar | CalendarSpec | None = None
) -> datetime.datetime:
    """``moment`` itself if it is working time, else the start of the next period."""
    spec = resolve(calendar)
    for a, _b in intervals(spec, moment):
        return a
    raise ValueError("the calendar has no working time")
