from __future__ import annotations

import pytest

from shikaku.domain.errors import InvalidFormat
from shikaku.domain.normalize import (
    compact_digits,
    cp932_stray_line,
    normalize_hyphens,
    normalize_text,
    strip_spaces,
    to_halfwidth,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("０１１３００１２", "01130012"),
        ("ＡＢＣ１２３", "ABC123"),
        ("アイウ１", "アイウ1"),  # katakana stays full-width
        ("\u3000１\u3000", " 1 "),
    ],
)
def test_to_halfwidth(raw: str, expected: str) -> None:
    assert to_halfwidth(raw) == expected


def test_strip_spaces_removes_ascii_and_ideographic_spaces() -> None:
    assert strip_spaces(" 01\u300013\t0012\n") == "01130012"


@pytest.mark.parametrize("dash", ["-", "‐", "‑", "–", "—", "―", "−", "ー", "－", "ｰ"])
def test_every_hyphen_look_alike(dash: str) -> None:
    assert normalize_hyphens(f"1{dash}3") == "1-3"
    assert compact_digits(f"1{dash}3") == "13"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("０１１３－００１２", "01130012"),
        (" 0113 0012 ", "01130012"),
        ("１２３４\u3000５６７８\u3000９０１８", "123456789018"),
        ("12ー34", "1234"),
        ("12a4", "12a4"),  # not validated here
    ],
)
def test_compact_digits(raw: str, expected: str) -> None:
    assert compact_digits(raw) == expected


def test_compact_digits_refuses_non_strings() -> None:
    with pytest.raises(InvalidFormat) as info:
        compact_digits(1130012, field="insurer_number")  # type: ignore[arg-type]
    assert info.value.rule_id == "input.type"
    assert info.value.field == "insurer_number"


def test_normalize_text_collapses_spaces_and_keeps_them() -> None:
    assert normalize_text("  昭和５５年\u3000４月１日 ") == "昭和55年 4月1日"


def test_cp932_stray_line() -> None:
    ok = "氏名,カナ\n山田,ヤマダ\n".encode("cp932").decode("cp932")
    assert cp932_stray_line(ok) is None
    for byte in (b"\x80", b"\xa0", b"\xfd", b"\xfe", b"\xff"):
        text = ("a\r\nb\r\n".encode("cp932") + byte + b"c\r\n").decode("cp932")
        assert cp932_stray_line(text) == 3, byte
