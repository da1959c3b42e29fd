from __future__ import annotations

import pytest

from shikaku.domain.errors import InvalidComponent
from shikaku.domain.prefectures import PREFECTURES, by_code, by_name, total_population


def test_47_prefectures_in_jis_order() -> None:
    assert [p.code for p in PREFECTURES] == [f"{i:02d}" for i in range(1, 48)]
    assert len({p.name_ja for p in PREFECTURES}) == 47
    assert len({p.name_en for p in PREFECTURES}) == 47


@pytest.mark.parametrize(
    ("code", "name_ja", "branch", "name_en"),
    [
        ("01", "北海道", "北海道支部", "Hokkaido"),
        ("04", "宮城県", "宮城支部", "Miyagi"),
        ("13", "東京都", "東京支部", "Tokyo"),
        ("26", "京都府", "京都支部", "Kyoto"),
        ("27", "大阪府", "大阪支部", "Osaka"),
        ("30", "和歌山県", "和歌山支部", "Wakayama"),
        ("32", "島根県", "島根支部", "Shimane"),
        ("46", "鹿児島県", "鹿児島支部", "Kagoshima"),
        ("47", "沖縄県", "沖縄支部", "Okinawa"),
    ],
)
def test_names(code: str, name_ja: str, branch: str, name_en: str) -> None:
    p = by_code(code)
    assert (p.name_ja, p.branch_ja, p.name_en) == (name_ja, branch, name_en)


@pytest.mark.parametrize("code", ["13", "１３", 13, " 13 "])
def test_by_code_accepts_typed_forms(code: str | int) -> None:
    assert by_code(code).name_ja == "東京都"


def test_by_code_pads_one_digit() -> None:
    assert by_code("4").name_ja == "宮城県"


@pytest.mark.parametrize("code", ["00", "48", "99", "AB", ""])
def test_by_code_unknown(code: str) -> None:
    with pytest.raises(InvalidComponent) as info:
        by_code(code)
    assert info.value.rule_id == "prefecture.unknown"


@pytest.mark.parametrize("name", ["東京都", "東京", "東京支部", "Tokyo", "tokyo", "ＴＯＫＹＯ"])
def test_by_name(name: str) -> None:
    assert by_name(name).code == "13"


def test_by_name_distinguishes_kyoto_and_tokyo() -> None:
    assert by_name("京都").code == "26"
    with pytest.raises(InvalidComponent):
        by_name("江戸")


def test_population_is_the_2020_census_scale() -> None:
    assert 125_500_000 < total_population() < 126_800_000
    assert by_code("13").population_2020 > 14_000_000
    assert by_code("31").population_2020 < 600_000  # 鳥取 is the smallest
    assert min(PREFECTURES, key=lambda p: p.population_2020).code == "31"
