from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shikaku.domain.age import (
    age_array,
    age_on,
    birthday,
    date_reaching_age,
    everyday_age_on,
    latest_birth_reached,
)
from shikaku.domain.errors import InvalidDate

dates = st.dates(min_value=date(1940, 1, 1), max_value=date(2030, 12, 31))


@pytest.mark.parametrize(
    ("birth", "n", "expected_birthday", "expected_reached"),
    [
        (date(2000, 4, 1), 6, date(2006, 4, 1), date(2006, 3, 31)),
        (date(2000, 4, 2), 6, date(2006, 4, 2), date(2006, 4, 1)),
        (date(1955, 3, 1), 70, date(2025, 3, 1), date(2025, 2, 28)),
        (date(1956, 3, 1), 70, date(2026, 3, 1), date(2026, 2, 28)),
        (date(1995, 1, 1), 30, date(2025, 1, 1), date(2024, 12, 31)),
        # 29 February births: 1 March in a common year, so they reach the age on 28 Feb.
        (date(2000, 2, 29), 1, date(2001, 3, 1), date(2001, 2, 28)),
        (date(2000, 2, 29), 4, date(2004, 2, 29), date(2004, 2, 28)),
        (date(1952, 2, 29), 75, date(2027, 3, 1), date(2027, 2, 28)),
        (date(2000, 5, 5), 0, date(2000, 5, 5), date(2000, 5, 4)),
    ],
)
def test_birthday_and_date_reaching_age(
    birth: date, n: int, expected_birthday: date, expected_reached: date
) -> None:
    assert birthday(birth, n) == expected_birthday
    assert date_reaching_age(birth, n) == expected_reached


@pytest.mark.parametrize(
    ("birth", "on", "legal", "everyday"),
    [
        (date(2000, 4, 2), date(2020, 4, 1), 20, 19),  # the day before the birthday
        (date(2000, 4, 2), date(2020, 3, 31), 19, 19),
        (date(2000, 4, 2), date(2020, 4, 2), 20, 20),
        (date(1995, 1, 1), date(2024, 12, 31), 30, 29),  # reached in the previous year
        (date(2000, 2, 29), date(2001, 2, 28), 1, 0),
        (date(2000, 2, 29), date(2001, 3, 1), 1, 1),
        (date(2000, 2, 29), date(2004, 2, 28), 4, 3),
        (date(2000, 2, 29), date(2004, 2, 29), 4, 4),
        (date(2000, 5, 5), date(2000, 5, 5), 0, 0),
    ],
)
def test_age_on(birth: date, on: date, legal: int, everyday: int) -> None:
    assert age_on(birth, on) == legal
    assert everyday_age_on(birth, on) == everyday


def test_age_before_birth_raises() -> None:
    with pytest.raises(InvalidDate) as info:
        age_on(date(2000, 1, 2), date(2000, 1, 1))
    assert info.value.rule_id == "age.before_birth"
    with pytest.raises(InvalidDate):
        everyday_age_on(date(2000, 1, 2), date(2000, 1, 1))


def test_negative_age_raises() -> None:
    with pytest.raises(InvalidDate):
        birthday(date(2000, 1, 1), -1)


@settings(max_examples=500)
@given(birth=dates, on=dates)
def test_age_on_matches_the_definition(birth: date, on: date) -> None:
    if on < birth:
        return
    legal = age_on(birth, on)
    assert on >= date_reaching_age(birth, legal)
    assert on < date_reaching_age(birth, legal + 1)


@settings(max_examples=500)
@given(birth=dates, on=dates, n=st.integers(min_value=0, max_value=90))
def test_latest_birth_reached_is_the_cut_off(birth: date, on: date, n: int) -> None:
    if on < birth:
        return
    assert (age_on(birth, on) >= n) == (birth <= latest_birth_reached(on, n))


def test_latest_birth_reached_around_29_february() -> None:
    # On 2025-02-27 (t = 02-28) the 1-year-olds are those born up to 2024-02-28: a child born
    # 2024-02-29 reaches 1 only at the end of 2025-02-28.
    assert latest_birth_reached(date(2025, 2, 27), 1) == date(2024, 2, 28)
    assert latest_birth_reached(date(2025, 2, 28), 1) == date(2024, 3, 1)
    # t = 2024-02-29 and the year n back is common: the latest birth is 28 February.
    assert latest_birth_reached(date(2024, 2, 28), 1) == date(2023, 2, 28)


def test_latest_birth_reached_exhaustive_window() -> None:
    births = [date(2017, 1, 1) + timedelta(days=i) for i in range(0, 3 * 366)]
    for on in [date(2024, 2, 28), date(2024, 2, 29), date(2025, 2, 28), date(2025, 12, 31)]:
        for n in (6, 7):
            cut = latest_birth_reached(on, n)
            for b in births:
                assert (age_on(b, on) >= n) == (b <= cut), (b, on, n)


@settings(max_examples=200)
@given(births=st.lists(dates, min_size=1, max_size=50), on=dates)
def test_age_array_matches_scalar(births: list[date], on: date) -> None:
    arr = np.array(births, dtype="datetime64[D]")
    got = age_array(arr, on)
    expected = [age_on(b, on) if b <= on else -1 for b in births]
    assert got.tolist() == expected


def test_age_array_nat_is_minus_one() -> None:
    arr = np.array(["NaT", "2000-01-01"], dtype="datetime64[D]")
    assert age_array(arr, date(2020, 1, 1)).tolist() == [-1, 20]
