from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shikaku.domain.certificates import (
    CapReason,
    IssueWindowPolicy,
    certificate_valid_to,
    voluntary_continuation_end,
)
from shikaku.domain.dates import add_years
from shikaku.domain.errors import InvalidDate, NotAMember

YOUNG = date(1990, 6, 15)


@pytest.mark.parametrize(
    ("issue", "window", "expiry"),
    [
        (date(2024, 12, 2), (date(2024, 12, 2), date(2025, 12, 1)), date(2029, 12, 1)),
        (date(2025, 7, 31), (date(2024, 12, 2), date(2025, 12, 1)), date(2029, 12, 1)),
        (date(2025, 12, 1), (date(2024, 12, 2), date(2025, 12, 1)), date(2029, 12, 1)),
        (date(2025, 12, 2), (date(2025, 12, 2), date(2026, 12, 1)), date(2030, 12, 1)),
        (date(2026, 1, 13), (date(2025, 12, 2), date(2026, 12, 1)), date(2030, 12, 1)),
    ],
)
def test_issue_windows_share_one_expiry(
    issue: date, window: tuple[date, date], expiry: date
) -> None:
    policy = IssueWindowPolicy()
    assert policy.window(issue) == window
    assert policy.shared_expiry(issue) == expiry
    assert certificate_valid_to(issue, birth_date=YOUNG) == (expiry, CapReason.WINDOW)


@settings(max_examples=300)
@given(issue=st.dates(min_value=date(2024, 12, 2), max_value=date(2040, 12, 31)))
def test_window_validity_is_four_to_five_years(issue: date) -> None:
    valid_to, reason = certificate_valid_to(issue, birth_date=YOUNG)
    assert reason is CapReason.WINDOW
    assert valid_to < add_years(issue, 5)  # never more than 5 years
    assert valid_to >= add_years(issue, 4)  # at least 4 years


@pytest.mark.parametrize(
    ("issue", "birth", "expected"),
    [
        # 75th birthday 2028-04-10 → last valid day 2028-04-09
        (date(2025, 8, 1), date(1953, 4, 10), date(2028, 4, 9)),
        # born on the 1st: 75th birthday 2027-06-01 → 2027-05-31
        (date(2025, 8, 1), date(1952, 6, 1), date(2027, 5, 31)),
        # 29 February birth: 75th birthday 2027-03-01 → 2027-02-28
        (date(2025, 8, 1), date(1952, 2, 29), date(2027, 2, 28)),
        # the 75th birthday is just after the shared expiry: the window wins
        (date(2025, 8, 1), date(1954, 12, 3), date(2029, 12, 1)),
        # exactly equal: the day before the 75th birthday is the shared expiry → age_75 wins
        (date(2025, 8, 1), date(1954, 12, 2), date(2029, 12, 1)),
    ],
)
def test_cap_at_the_day_before_the_75th_birthday(issue: date, birth: date, expected: date) -> None:
    valid_to, reason = certificate_valid_to(issue, birth_date=birth)
    assert valid_to == expected
    if birth == date(1954, 12, 3):
        assert reason is CapReason.WINDOW
    else:
        assert reason is CapReason.AGE_75


def test_issue_on_the_last_day_before_75_is_allowed_and_after_is_not() -> None:
    birth = date(1951, 4, 10)
    assert certificate_valid_to(date(2026, 4, 9), birth_date=birth) == (
        date(2026, 4, 9),
        CapReason.AGE_75,
    )
    with pytest.raises(NotAMember) as info:
        certificate_valid_to(date(2026, 4, 10), birth_date=birth)
    assert info.value.rule_id == "certificate.not_a_member"


def test_voluntary_continuation_cap() -> None:
    end = voluntary_continuation_end(date(2025, 4, 1))
    assert end == date(2027, 3, 31)
    assert voluntary_continuation_end(date(2024, 2, 29)) == date(2026, 2, 27)
    assert certificate_valid_to(date(2025, 8, 1), birth_date=YOUNG, voluntary_until=end) == (
        date(2027, 3, 31),
        CapReason.VOLUNTARY_END,
    )


def test_stay_cap_and_earliest_wins() -> None:
    got = certificate_valid_to(
        date(2025, 8, 1),
        birth_date=YOUNG,
        voluntary_until=date(2027, 3, 31),
        stay_until=date(2026, 10, 15),
    )
    assert got == (date(2026, 10, 15), CapReason.STAY_END)


def test_tie_prefers_the_specific_reason() -> None:
    got = certificate_valid_to(
        date(2025, 8, 1),
        birth_date=YOUNG,
        voluntary_until=date(2029, 12, 1),
        stay_until=date(2029, 12, 1),
    )
    assert got.cap_reason is CapReason.VOLUNTARY_END


@pytest.mark.parametrize(
    ("kwargs", "rule_id"),
    [
        ({"voluntary_until": date(2025, 7, 31)}, "certificate.voluntary_ended"),
        ({"stay_until": date(2025, 7, 31)}, "certificate.stay_ended"),
    ],
)
def test_caps_before_issue_raise(kwargs: dict[str, date], rule_id: str) -> None:
    with pytest.raises(InvalidDate) as info:
        certificate_valid_to(date(2025, 8, 1), birth_date=YOUNG, **kwargs)  # type: ignore[arg-type]
    assert info.value.rule_id == rule_id


def test_policy_is_configurable() -> None:
    # 私学共済-like: one window from 04-01, 3 years after window end.
    policy = IssueWindowPolicy(anchor_month=4, anchor_day=1, validity_years=3)
    assert policy.window(date(2025, 3, 31)) == (date(2024, 4, 1), date(2025, 3, 31))
    assert policy.shared_expiry(date(2025, 3, 31)) == date(2028, 3, 31)
    with pytest.raises(ValueError):
        IssueWindowPolicy(validity_years=5)  # window end + 5 years could exceed 5 years
    with pytest.raises(ValueError):
        IssueWindowPolicy(anchor_month=2, anchor_day=29)
