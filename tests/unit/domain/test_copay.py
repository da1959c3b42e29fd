from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shikaku.domain.copay import (
    COPAY_INVALID,
    COPAY_NOT_MEMBER,
    CopayPolicy,
    CopayReason,
    copay,
    copay_ratio,
    copay_ratio_array,
    copay_reason,
    elderly_share_start,
    is_preschool,
    membership_end,
    preschool_last_day,
)
from shikaku.domain.errors import InvalidDate, NotAMember

P, W, EG, EH = (
    CopayReason.PRESCHOOL,
    CopayReason.WORKING_AGE,
    CopayReason.ELDERLY_GENERAL,
    CopayReason.ELDERLY_HIGH_INCOME,
)

CASES = [
    # --- preschool: born 1 April reaches 6 on 31 March, so that 31 March is the last day
    (date(2019, 4, 1), date(2025, 3, 31), False, 20, P),
    (date(2019, 4, 1), date(2025, 4, 1), False, 30, W),
    # born 2 April reaches 6 on 1 April → preschool until the next 31 March
    (date(2019, 4, 2), date(2025, 4, 1), False, 20, P),
    (date(2019, 4, 2), date(2026, 3, 31), False, 20, P),
    (date(2019, 4, 2), date(2026, 4, 1), False, 30, W),
    # born 31 March reaches 6 on 30 March → ends the next day, 31 March
    (date(2019, 3, 31), date(2025, 3, 31), False, 20, P),
    (date(2019, 3, 31), date(2025, 4, 1), False, 30, W),
    # newborn, and high_income does nothing before 70
    (date(2025, 6, 1), date(2025, 6, 1), True, 20, P),
    (date(1990, 6, 1), date(2025, 6, 1), True, 30, W),
    # --- 70: born on the 1st → reaches 70 on the last day of the previous month → the
    # share starts in the birthday month itself
    (date(1955, 3, 1), date(2025, 2, 28), False, 30, W),
    (date(1955, 3, 1), date(2025, 3, 1), False, 20, EG),
    # born on the 2nd → reaches 70 on the 1st → starts the 1st of the next month
    (date(1955, 3, 2), date(2025, 3, 2), False, 30, W),
    (date(1955, 3, 2), date(2025, 3, 31), False, 30, W),
    (date(1955, 3, 2), date(2025, 4, 1), False, 20, EG),
    # mid-month birthday
    (date(1955, 6, 15), date(2025, 6, 30), False, 30, W),
    (date(1955, 6, 15), date(2025, 7, 1), False, 20, EG),
    # born 1 January: reaches 70 on 31 December of the year before → January
    (date(1956, 1, 1), date(2025, 12, 31), False, 30, W),
    (date(1956, 1, 1), date(2026, 1, 1), False, 20, EG),
    # high income (現役並み)
    (date(1955, 3, 1), date(2025, 3, 1), True, 30, EH),
    (date(1955, 3, 1), date(2025, 2, 28), True, 30, W),
    # --- the day before the 75th birthday is still 70–74
    (date(1951, 4, 10), date(2026, 4, 9), False, 20, EG),
    (date(1951, 4, 10), date(2026, 4, 9), True, 30, EH),
    # 29 February births
    (date(1956, 2, 29), date(2026, 2, 28), False, 30, W),  # reaches 70 on 2026-02-28
    (date(1956, 2, 29), date(2026, 3, 1), False, 20, EG),
    (date(1952, 2, 29), date(2027, 2, 28), False, 20, EG),  # 75th birthday is 2027-03-01
]


@pytest.mark.parametrize(("birth", "on", "high", "ratio", "reason"), CASES)
def test_copay_boundaries(
    birth: date, on: date, high: bool, ratio: int, reason: CopayReason
) -> None:
    assert copay_ratio(birth, on, high_income=high) == ratio
    assert copay_reason(birth, on, high_income=high) == reason
    arr = copay_ratio_array(np.array([birth], dtype="datetime64[D]"), on, np.array([high]))
    assert arr.tolist() == [ratio]


@pytest.mark.parametrize(
    ("birth", "on"),
    [
        (date(1951, 4, 10), date(2026, 4, 10)),  # the 75th birthday itself
        (date(1951, 4, 10), date(2030, 1, 1)),
        (date(1951, 4, 1), date(2026, 4, 1)),
        (date(1952, 2, 29), date(2027, 3, 1)),
    ],
)
def test_not_a_member_from_the_75th_birthday(birth: date, on: date) -> None:
    with pytest.raises(NotAMember) as info:
        copay_ratio(birth, on)
    assert info.value.rule_id == "copay.not_a_member"
    arr = copay_ratio_array(np.array([birth], dtype="datetime64[D]"), on)
    assert arr.tolist() == [COPAY_NOT_MEMBER]


def test_before_birth() -> None:
    with pytest.raises(InvalidDate):
        copay_ratio(date(2025, 1, 2), date(2025, 1, 1))
    births = np.array(["2025-01-02", "NaT"], dtype="datetime64[D]")
    assert copay_ratio_array(births, date(2025, 1, 1)).tolist() == [COPAY_INVALID] * 2


def test_helpers() -> None:
    assert preschool_last_day(date(2019, 4, 1)) == date(2025, 3, 31)
    assert preschool_last_day(date(2019, 4, 2)) == date(2026, 3, 31)
    assert elderly_share_start(date(1955, 3, 1)) == date(2025, 3, 1)
    assert elderly_share_start(date(1955, 3, 2)) == date(2025, 4, 1)
    assert membership_end(date(1951, 4, 10)) == date(2026, 4, 10)
    assert is_preschool(date(2019, 4, 1), date(2025, 3, 31))
    assert not is_preschool(date(2019, 4, 1), date(2025, 4, 1))
    decision = copay(date(1990, 1, 1), date(2025, 1, 1))
    assert (decision.ratio, decision.reason) == (30, W)
    assert str(decision.reason) == "working_age"


def test_policy_values_are_parameters() -> None:
    policy = CopayPolicy(preschool_ratio=0, working_ratio=30, elderly_age=65)
    assert copay_ratio(date(2020, 1, 1), date(2021, 1, 1), policy=policy) == 0
    assert copay_reason(date(1960, 6, 15), date(2025, 7, 1), policy=policy) == EG
    births = np.array(["2020-01-01", "1960-06-15"], dtype="datetime64[D]")
    assert copay_ratio_array(births, date(2025, 7, 1), policy=policy).tolist() == [0, 20]
    with pytest.raises(ValueError):
        CopayPolicy(school_year_end_month=2, school_year_end_day=29)


def test_array_dtype_and_broadcast_high_income() -> None:
    births = np.array(["1955-03-01", "1990-01-01"], dtype="datetime64[D]")
    out = copay_ratio_array(births, date(2025, 3, 1), True)
    assert out.dtype == np.int8
    assert out.tolist() == [30, 30]


dates_1940_2030 = st.dates(min_value=date(1940, 1, 1), max_value=date(2030, 12, 31))


def _scalar(birth: date, on: date, high: bool) -> int:
    try:
        return copay_ratio(birth, on, high_income=high)
    except NotAMember:
        return COPAY_NOT_MEMBER
    except InvalidDate:
        return COPAY_INVALID


@settings(max_examples=300, deadline=None)
@given(
    people=st.lists(st.tuples(dates_1940_2030, st.booleans()), min_size=1, max_size=60),
    on=dates_1940_2030,
)
def test_vectorised_matches_scalar(people: list[tuple[date, bool]], on: date) -> None:
    births = np.array([b for b, _ in people], dtype="datetime64[D]")
    high = np.array([h for _, h in people], dtype=bool)
    got = copay_ratio_array(births, on, high)
    assert got.tolist() == [_scalar(b, on, h) for b, h in people]


def test_vectorised_matches_scalar_on_every_day_of_a_boundary_year() -> None:
    # Dense check: every birth date of two full years against dates around 31 March and
    # month starts, where the cut-offs sit.
    births_py = [date(1954, 1, 1) + timedelta(days=i) for i in range(731)]
    births_py += [date(2018, 1, 1) + timedelta(days=i) for i in range(731)]
    births = np.array(births_py, dtype="datetime64[D]")
    for on in [date(2024, 3, 31), date(2024, 4, 1), date(2025, 2, 28), date(2025, 3, 1),
               date(2029, 2, 28), date(2029, 3, 1), date(2024, 12, 31)]:  # fmt: skip
        got = copay_ratio_array(births, on)
        assert got.tolist() == [_scalar(b, on, False) for b in births_py], on
