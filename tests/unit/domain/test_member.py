from __future__ import annotations

from datetime import date

import pytest

from shikaku.domain.errors import InvalidChecksum, InvalidDate, InvalidFormat, InvalidLength
from shikaku.domain.ids import member
from shikaku.domain.ids.member import MemberKey


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1234567", "1234567"),
        ("01234567", "01234567"),
        ("１２３４５６７", "1234567"),
        ("123-4567", "1234567"),
    ],
)
def test_symbol_kept_as_given(raw: str, expected: str) -> None:
    assert member.validate_symbol(raw) == expected


@pytest.mark.parametrize(
    ("raw", "error", "rule_id"),
    [
        ("123456", InvalidLength, "member.symbol.length"),
        ("123456789", InvalidLength, "member.symbol.length"),
        ("12345ア7", InvalidFormat, "member.symbol.format"),
        ("", InvalidFormat, "member.symbol.format"),
    ],
)
def test_symbol_errors(raw: str, error: type[Exception], rule_id: str) -> None:
    with pytest.raises(error) as info:
        member.validate_symbol(raw)
    assert info.value.rule_id == rule_id  # type: ignore[attr-defined]
    assert info.value.field == "symbol"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12", "12"),
        ("0012", "12"),
        ("００１２", "12"),
        ("1", "1"),
        ("12345678", "12345678"),
        ("00000001", "1"),
    ],
)
def test_number_canonical_without_leading_zeros(raw: str, expected: str) -> None:
    assert member.validate_number(raw) == expected


@pytest.mark.parametrize(
    ("raw", "error", "rule_id"),
    [
        ("123456789", InvalidLength, "member.number.length"),
        ("0", InvalidFormat, "member.number.zero"),
        ("0000", InvalidFormat, "member.number.zero"),
        ("12a", InvalidFormat, "member.number.format"),
        ("", InvalidFormat, "member.number.format"),
    ],
)
def test_number_errors(raw: str, error: type[Exception], rule_id: str) -> None:
    with pytest.raises(error) as info:
        member.validate_number(raw)
    assert info.value.rule_id == rule_id  # type: ignore[attr-defined]
    assert info.value.field == "number"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", "01"), ("01", "01"), ("00", "00"), ("0", "00"), ("１２", "12")]
)
def test_branch_no_two_digits(raw: str, expected: str) -> None:
    assert member.validate_branch_no(raw) == expected


@pytest.mark.parametrize(
    ("raw", "error"), [("001", InvalidLength), ("", InvalidFormat), ("0a", InvalidFormat)]
)
def test_branch_no_errors(raw: str, error: type[Exception]) -> None:
    with pytest.raises(error) as info:
        member.validate_branch_no(raw)
    assert info.value.field == "branch_no"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1980-04-01", date(1980, 4, 1)),
        ("19800401", date(1980, 4, 1)),
        ("1980/04/01", date(1980, 4, 1)),
        ("1980/4/1", date(1980, 4, 1)),
        ("1980.4.1", date(1980, 4, 1)),
        ("１９８０－０４－０１", date(1980, 4, 1)),
        ("１９８０年４月１日", date(1980, 4, 1)),
        ("昭和55年4月1日", date(1980, 4, 1)),
        ("S55.4.1", date(1980, 4, 1)),
        ("ｓ５５．４．１", date(1980, 4, 1)),
        ("平成元年1月8日", date(1989, 1, 8)),
        ("昭和64年1月7日", date(1989, 1, 7)),
        ("R1.5.1", date(2019, 5, 1)),
        ("令和元年5月1日", date(2019, 5, 1)),
        ("2000-02-29", date(2000, 2, 29)),
        (" 2020-01-05 ", date(2020, 1, 5)),
        (date(1980, 4, 1), date(1980, 4, 1)),
    ],
)
def test_birth_date_formats(raw: str, expected: date) -> None:
    assert member.parse_birth_date(raw) == expected


@pytest.mark.parametrize(
    ("raw", "rule_id"),
    [
        ("2023-02-29", "birth_date.impossible"),
        ("19800231", "birth_date.impossible"),
        ("1900-02-29", "birth_date.impossible"),
        ("1980-13-01", "birth_date.impossible"),
        ("昭和64年1月8日", "birth_date.impossible"),  # 平成 began that day
        ("平成31年5月1日", "birth_date.impossible"),  # 令和 began that day
        ("令和元年4月30日", "birth_date.impossible"),
        ("1980-4", "birth_date.format"),
        ("80/4/1", "birth_date.format"),
        ("April 1 1980", "birth_date.format"),
        ("", "birth_date.format"),
    ],
)
def test_birth_date_errors(raw: str, rule_id: str) -> None:
    with pytest.raises(InvalidDate) as info:
        member.parse_birth_date(raw)
    assert info.value.rule_id == rule_id
    assert info.value.field == "birth_date"


def test_birth_date_in_the_future_of_on() -> None:
    assert member.parse_birth_date("2026-01-15", on=date(2026, 1, 15)) == date(2026, 1, 15)
    with pytest.raises(InvalidDate) as info:
        member.parse_birth_date("2026-01-16", on=date(2026, 1, 15))
    assert info.value.rule_id == "birth_date.future"


def test_member_key_parse_normalises_every_field() -> None:
    key = MemberKey.parse("０１１３ ００１２", "１２３４５６７", "０００１２", "1")
    assert key == MemberKey("01130012", "1234567", "12", "01")
    assert key.format() == "01130012 1234567・12・01"
    assert key.household() == ("01130012", "1234567", "12")
    # Same person typed differently → same key (lookups rely on it).
    assert MemberKey.parse("01130012", "1234567", "12", "01") == key


@pytest.mark.parametrize(
    ("args", "error", "field"),
    [
        (("01130013", "1234567", "12", "01"), InvalidChecksum, "insurer_number"),
        (("01130012", "123456", "12", "01"), InvalidLength, "symbol"),
        (("01130012", "1234567", "x", "01"), InvalidFormat, "number"),
        (("01130012", "1234567", "12", "100"), InvalidLength, "branch_no"),
    ],
)
def test_member_key_errors_name_the_field(
    args: tuple[str, str, str, str], error: type[Exception], field: str
) -> None:
    with pytest.raises(error) as info:
        MemberKey.parse(*args)
    assert info.value.field == field  # type: ignore[attr-defined]


def test_member_key_is_frozen() -> None:
    key = MemberKey.parse("01130012", "1234567", "12", "01")
    with pytest.raises(AttributeError):
        key.number = "13"  # type: ignore[misc]
