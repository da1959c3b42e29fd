from __future__ import annotations

from datetime import date, datetime

import pytest

from shikaku.domain.dates import (
    add_months,
    add_years,
    format_date_en,
    format_date_ja,
    month_end,
    parse_date,
)
from shikaku.domain.errors import InvalidDate


@pytest.mark.parametrize(
    ("d", "months", "expected"),
    [
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2025, 11, 15), 3, date(2026, 2, 15)),
        (date(2025, 3, 31), -1, date(2025, 2, 28)),
        (date(2025, 1, 1), -1, date(2024, 12, 1)),
        (date(2025, 12, 1), 0, date(2025, 12, 1)),
    ],
)
def test_add_months(d: date, months: int, expected: date) -> None:
    assert add_months(d, months) == expected


def test_add_years_clamps_29_february() -> None:
    assert add_years(date(2024, 2, 29), 1) == date(2025, 2, 28)
    assert add_years(date(2024, 2, 29), 4) == date(2028, 2, 29)
    assert add_years(date(2025, 12, 1), 4) == date(2029, 12, 1)


def test_month_end() -> None:
    assert month_end(2024, 2) == date(2024, 2, 29)
    assert month_end(2100, 2) == date(2100, 2, 28)
    assert month_end(2025, 12) == date(2025, 12, 31)


def test_format() -> None:
    assert format_date_ja(date(2026, 3, 31)) == "2026年3月31日"
    assert format_date_en(date(2026, 3, 31)) == "31 March 2026"


def test_parse_date_generic_rule_ids_and_datetime() -> None:
    assert parse_date(datetime(2025, 1, 2, 13, 0)) == date(2025, 1, 2)
    assert type(parse_date(datetime(2025, 1, 2, 13, 0))) is date
    with pytest.raises(InvalidDate) as info:
        parse_date("2025-02-30")
    assert info.value.rule_id == "date.impossible"
    with pytest.raises(InvalidDate) as info:
        parse_date("someday", field="issue_date")
    assert (info.value.rule_id, info.value.field) == ("date.format", "issue_date")
    with pytest.raises(InvalidDate):
        parse_date(20250101)  # type: ignore[arg-type]
