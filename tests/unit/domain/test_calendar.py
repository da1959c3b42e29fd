from __future__ import annotations

from datetime import date

import pytest

from shikaku.domain.calendar import (
    BusinessCalendar,
    add_business_days,
    business_days,
    count_business_days,
    is_business_day,
    next_business_day,
    previous_business_day,
)


@pytest.mark.parametrize(
    ("d", "open_"),
    [
        (date(2025, 4, 28), True),  # Mon
        (date(2025, 4, 29), False),  # 昭和の日
        (date(2025, 5, 3), False),  # Sat, 憲法記念日
        (date(2025, 5, 5), False),  # こどもの日
        (date(2025, 5, 6), False),  # 振替休日
        (date(2025, 5, 7), True),
        (date(2026, 5, 6), False),  # 振替休日 (5/3 was a Sunday)
        (date(2026, 9, 22), False),  # 国民の休日
        (date(2025, 12, 26), True),  # Fri, last open day of 2025
        (date(2025, 12, 29), False),  # Mon, year-end closure
        (date(2025, 12, 31), False),
        (date(2026, 1, 2), False),  # Fri, closure
        (date(2026, 1, 5), True),
        (date(2026, 1, 12), False),  # 成人の日
    ],
)
def test_is_business_day(d: date, open_: bool) -> None:
    assert is_business_day(d) is open_


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (date(2025, 5, 2), date(2025, 5, 7)),  # Golden Week
        (date(2025, 4, 28), date(2025, 4, 30)),
        (date(2025, 12, 26), date(2026, 1, 5)),  # New Year closure
        (date(2024, 12, 27), date(2025, 1, 6)),
        (date(2025, 12, 30), date(2026, 1, 5)),  # from inside the closure
        (date(2025, 7, 30), date(2025, 7, 31)),  # strictly after an open day
    ],
)
def test_next_business_day(d: date, expected: date) -> None:
    assert next_business_day(d) == expected
    assert add_business_days(d, 1) == expected


def test_previous_and_negative() -> None:
    assert previous_business_day(date(2026, 1, 5)) == date(2025, 12, 26)
    assert add_business_days(date(2026, 1, 5), -1) == date(2025, 12, 26)
    assert add_business_days(date(2026, 1, 3), 0) == date(2026, 1, 3)


def test_add_business_days_over_golden_week() -> None:
    assert add_business_days(date(2025, 4, 25), 5) == date(2025, 5, 7)


def test_business_days_inclusive() -> None:
    assert business_days(date(2025, 4, 28), date(2025, 5, 7)) == [
        date(2025, 4, 28),
        date(2025, 4, 30),
        date(2025, 5, 1),
        date(2025, 5, 2),
        date(2025, 5, 7),
    ]
    assert count_business_days(date(2025, 12, 26), date(2026, 1, 5)) == 2
    assert business_days(date(2025, 5, 7), date(2025, 5, 6)) == []
    # A whole year: 2025 has 365 days; weekends, holidays and closure leave about 240.
    assert 235 <= count_business_days(date(2025, 1, 1), date(2025, 12, 31)) <= 245


def test_calendar_is_configurable() -> None:
    no_closure = BusinessCalendar(closure_start=None, closure_end=None)
    assert is_business_day(date(2025, 12, 29), calendar=no_closure)
    assert not is_business_day(date(2026, 1, 1), calendar=no_closure)  # still 元日
    custom = BusinessCalendar(
        extra_closed=frozenset({date(2025, 7, 31)}), extra_open=frozenset({date(2025, 12, 29)})
    )
    assert not is_business_day(date(2025, 7, 31), calendar=custom)
    assert is_business_day(date(2025, 12, 29), calendar=custom)
    mid_year = BusinessCalendar(closure_start=(8, 13), closure_end=(8, 16))
    assert not is_business_day(date(2025, 8, 13), calendar=mid_year)
    assert is_business_day(date(2025, 12, 29), calendar=mid_year)
