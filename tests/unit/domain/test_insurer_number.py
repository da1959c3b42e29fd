from __future__ import annotations

import pytest

from shikaku.domain.errors import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength
from shikaku.domain.ids import insurer_number
from shikaku.domain.prefectures import by_name

# domain.md §5.1, copied as printed (宮城 is the officially confirmed one).
BRANCH_TABLE = {
    "北海道": "01010016", "青森": "01020015", "岩手": "01030014", "宮城": "01040013",
    "秋田": "01050012", "山形": "01060011", "福島": "01070010", "茨城": "01080019",
    "栃木": "01090018", "群馬": "01100015", "埼玉": "01110014", "千葉": "01120013",
    "東京": "01130012", "神奈川": "01140011", "新潟": "01150010", "富山": "01160019",
    "石川": "01170018", "福井": "01180017", "山梨": "01190016", "長野": "01200013",
    "岐阜": "01210012", "静岡": "01220011", "愛知": "01230010", "三重": "01240019",
    "滋賀": "01250018", "京都": "01260017", "大阪": "01270016", "兵庫": "01280015",
    "奈良": "01290014", "和歌山": "01300011", "鳥取": "01310010", "島根": "01320019",
    "岡山": "01330018", "広島": "01340017", "山口": "01350016", "徳島": "01360015",
    "香川": "01370014", "愛媛": "01380013", "高知": "01390012", "福岡": "01400019",
    "佐賀": "01410018", "長崎": "01420017", "熊本": "01430016", "大分": "01440015",
    "宮崎": "01450014", "鹿児島": "01460013", "沖縄": "01470012",
}  # fmt: skip


def test_table_has_47_branches() -> None:
    assert len(BRANCH_TABLE) == 47


@pytest.mark.parametrize(("branch", "number"), sorted(BRANCH_TABLE.items()))
def test_branch_numbers_match_domain_table(branch: str, number: str) -> None:
    pref = by_name(branch)
    assert insurer_number.branch_insurer_number(pref.code) == number
    assert insurer_number.branch_insurer_number(int(pref.code)) == number
    assert insurer_number.validate(number) == number
    assert insurer_number.calc_check_digit(number[:7]) == number[7]


@pytest.mark.parametrize(("body", "check"), [("3312001", "5"), ("0104001", "3"), ("0113001", "2")])
def test_check_digit_examples(body: str, check: str) -> None:
    assert insurer_number.calc_check_digit(body) == check


@pytest.mark.parametrize("number", [*sorted(BRANCH_TABLE.values()), "33120015"])
def test_every_wrong_check_digit_is_refused(number: str) -> None:
    for digit in "0123456789":
        candidate = number[:7] + digit
        if digit == number[7]:
            assert insurer_number.is_valid(candidate)
        else:
            assert not insurer_number.is_valid(candidate)
            with pytest.raises(InvalidChecksum) as info:
                insurer_number.validate(candidate)
            assert info.value.rule_id == "insurer_number.checksum"
            assert info.value.field == "insurer_number"


@pytest.mark.parametrize(
    "raw", ["０１１３００１２", "0113-0012", " 0113 0012 ", "０１１３\u3000００１２"]
)
def test_typed_forms_are_compacted(raw: str) -> None:
    assert insurer_number.validate(raw) == "01130012"
    assert insurer_number.format(raw) == "01130012"


@pytest.mark.parametrize(
    ("raw", "error", "rule_id"),
    [
        ("0113001", InvalidLength, "insurer_number.length"),
        ("011300120", InvalidLength, "insurer_number.length"),
        ("", InvalidFormat, "insurer_number.format"),
        ("0113001X", InvalidFormat, "insurer_number.format"),
        ("０１１３００１Ａ", InvalidFormat, "insurer_number.format"),
        ("٠١١٣٠٠١٢", InvalidFormat, "insurer_number.format"),  # Arabic-Indic digits
    ],
)
def test_malformed(raw: str, error: type[Exception], rule_id: str) -> None:
    with pytest.raises(error) as info:
        insurer_number.validate(raw)
    assert info.value.rule_id == rule_id  # type: ignore[attr-defined]


def test_six_digit_national_numbers_only_on_request() -> None:
    # Body 01001 gets check digit 7 under the same algorithm.
    assert insurer_number.calc_check_digit("01001") == "7"
    with pytest.raises(InvalidLength):
        insurer_number.validate("010017")
    assert insurer_number.validate("010017", allow_national=True) == "010017"
    with pytest.raises(InvalidChecksum):
        insurer_number.validate("010018", allow_national=True)


def test_to_online_pads_six_digit_numbers_and_keeps_the_check_digit_valid() -> None:
    assert insurer_number.to_online("010017") == "00010017"
    assert insurer_number.validate(insurer_number.to_online("010017")) == "00010017"
    assert insurer_number.to_online("01130012") == "01130012"
    assert insurer_number.to_online("010017", pad=" ") == "  010017"


def test_split() -> None:
    assert insurer_number.split("01130012") == ("01", "13", "001", "2")


@pytest.mark.parametrize("pref", [0, 48, "00", "48", "AB"])
def test_branch_for_unknown_prefecture(pref: str | int) -> None:
    with pytest.raises(InvalidComponent):
        insurer_number.branch_insurer_number(pref)


def test_branch_accepts_one_digit_and_full_width() -> None:
    assert insurer_number.branch_insurer_number("4") == "01040013"
    assert insurer_number.branch_insurer_number("１３") == "01130012"
