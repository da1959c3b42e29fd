"""Clocks: the only place that reads the wall clock. Tests hand in a FixedClock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Protocol

JST = timezone(timedelta(hours=9), "JST")


class Clock(Protocol):
    def now(self) -> datetime: ...
    def today(self) -> date: ...


class SystemClock:
    """Wall clock in Japan Standard Time (business dates are Japanese dates)."""

    def now(self) -> datetime:
        return datetime.now(JST)

    def today(self) -> date:
        return self.now().date()


@dataclass
class FixedClock:
    """A clock that stands still (tests, reproducible demos)."""

    at: datetime

    def now(self) -> datetime:
        return self.at

    def today(self) -> date:
        return self.at.astimezone(JST).date()

    @classmethod
    def on(cls, day: date) -> FixedClock:
        return cls(datetime(day.year, day.month, day.day, 9, 0, tzinfo=JST))
