"""Business days of the insurer: not a weekend, not a national holiday (jpholiday, which
includes 振替休日 and 国民の休日), and not in the year-end closure (12/29–1/3 by default).

Used for due dates such as "issue the 資格確認書 on the next business day after the
enrolment data arrives". The closure and any extra closed or open days are policy, held in
:class:`BusinessCalendar`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

import jpholiday

__all__ = [
    "DEFAULT_CALENDAR",
    "BusinessCalendar",
    "add_business_days",
    "business_days",
    "count_business_days",
    "is_business_day",
    "next_business_day",
    "previous_business_day",
]

_ONE_DAY = timedelta(days=1)


@lru_cache(maxsize=8192)
def _is_holiday(d: date) -> bool:
    # jpholiday recomputes the year's holidays on each call; dates repeat a lot in batches.
    return bool(jpholiday.is_holiday(d))


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """Closure from (month, day) to (month, day) inclusive, wrapping over New Year, plus
    explicit extra closed days and extra open days (an open day wins)."""

    closure_start: tuple[int, int] | None = (12, 29)
    closure_end: tuple[int, int] | None = (1, 3)
    weekend: frozenset[int] = frozenset({5, 6})  # date.weekday(): Saturday, Sunday
    extra_closed: frozenset[date] = field(default_factory=frozenset)
    extra_open: frozenset[date] = field(default_factory=frozenset)

    def in_closure(self, d: date) -> bool:
        """True inside the year-end closure."""
        if self.closure_start is None or self.closure_end is None:
            return False
        md = (d.month, d.day)
        if self.closure_start <= self.closure_end:
            return self.closure_start <= md <= self.closure_end
        return md >= self.closure_start or md <= self.closure_end


DEFAULT_CALENDAR = BusinessCalendar()


def is_business_day(d: date, *, calendar: BusinessCalendar = DEFAULT_CALENDAR) -> bool:
    """True on an open day."""
    if d in calendar.extra_open:
        return True
    return not (
        d.weekday() in calendar.weekend
        or d in calendar.extra_closed
        or calendar.in_closure(d)
        or _is_holiday(d)
    )


def next_business_day(d: date, *, calendar: BusinessCalendar = DEFAULT_CALENDAR) -> date:
    """The first business day strictly after *d*."""
    d += _ONE_DAY
    while not is_business_day(d, calendar=calendar):
        d += _ONE_DAY
    return d


def previous_business_day(d: date, *, calendar: BusinessCalendar = DEFAULT_CALENDAR) -> date:
    """The last business day strictly before *d*."""
    d -= _ONE_DAY
    while not is_business_day(d, calendar=calendar):
        d -= _ONE_DAY
    return d


def add_business_days(d: date, n: int, *, calendar: BusinessCalendar = DEFAULT_CALENDAR) -> date:
    """Move *n* business days from *d* (backwards when n < 0). ``n == 0`` returns *d*
    unchanged, business day or not; ``add_business_days(d, 1) == next_business_day(d)``."""
    step = next_business_day if n >= 0 else previous_business_day
    for _ in range(abs(n)):
        d = step(d, calendar=calendar)
    return d


def business_days(
    start: date, end: date, *, calendar: BusinessCalendar = DEFAULT_CALENDAR
) -> list[date]:
    """The business days from *start* to *end*, both included (empty if end < start)."""
    days: list[date] = []
    d = start
    while d <= end:
        if is_business_day(d, calendar=calendar):
            days.append(d)
        d += _ONE_DAY
    return days


def count_business_days(
    start: date, end: date, *, calendar: BusinessCalendar = DEFAULT_CALENDAR
) -> int:
    """``len(business_days(start, end))``."""
    return len(business_days(start, end, calendar=calendar))
