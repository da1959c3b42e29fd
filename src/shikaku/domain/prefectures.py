"""The 47 prefectures as data: JIS code, names, 協会けんぽ branch name, 2020 census population.

One 協会けんぽ branch (支部) serves each prefecture, named after the prefecture without
都/府/県 (東京都 → 東京支部, 北海道 → 北海道支部). Populations are the 2020 census
(令和2年国勢調査) figures, rounded to the thousand; they size a synthetic insurer and
are not used by any rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from shikaku.domain.errors import InvalidComponent
from shikaku.domain.normalize import compact_digits, normalize_text

__all__ = ["PREFECTURES", "Prefecture", "by_code", "by_name", "total_population"]


@dataclass(frozen=True, slots=True)
class Prefecture:
    """One prefecture and its 協会けんぽ branch."""

    code: str  # JIS X 0401, "01".."47"
    name_ja: str  # 東京都
    branch_ja: str  # 東京支部
    name_en: str  # Tokyo
    population_2020: int  # approximate, 2020 census

    @property
    def short_ja(self) -> str:
        """Name without 都/府/県 (北海道 keeps its 道): 東京, 大阪, 北海道."""
        return self.branch_ja.removesuffix("支部")


def _p(code: int, name_ja: str, name_en: str, population: int) -> Prefecture:
    short = name_ja if name_ja == "北海道" else name_ja[:-1]
    return Prefecture(f"{code:02d}", name_ja, f"{short}支部", name_en, population)


PREFECTURES: tuple[Prefecture, ...] = (
    _p(1, "北海道", "Hokkaido", 5_225_000),
    _p(2, "青森県", "Aomori", 1_238_000),
    _p(3, "岩手県", "Iwate", 1_211_000),
    _p(4, "宮城県", "Miyagi", 2_302_000),
    _p(5, "秋田県", "Akita", 960_000),
    _p(6, "山形県", "Yamagata", 1_068_000),
    _p(7, "福島県", "Fukushima", 1_833_000),
    _p(8, "茨城県", "Ibaraki", 2_867_000),
    _p(9, "栃木県", "Tochigi", 1_933_000),
    _p(10, "群馬県", "Gunma", 1_939_000),
    _p(11, "埼玉県", "Saitama", 7_345_000),
    _p(12, "千葉県", "Chiba", 6_284_000),
    _p(13, "東京都", "Tokyo", 14_048_000),
    _p(14, "神奈川県", "Kanagawa", 9_237_000),
    _p(15, "新潟県", "Niigata", 2_201_000),
    _p(16, "富山県", "Toyama", 1_035_000),
    _p(17, "石川県", "Ishikawa", 1_133_000),
    _p(18, "福井県", "Fukui", 767_000),
    _p(19, "山梨県", "Yamanashi", 810_000),
    _p(20, "長野県", "Nagano", 2_048_000),
    _p(21, "岐阜県", "Gifu", 1_979_000),
    _p(22, "静岡県", "Shizuoka", 3_633_000),
    _p(23, "愛知県", "Aichi", 7_542_000),
    _p(24, "三重県", "Mie", 1_770_000),
    _p(25, "滋賀県", "Shiga", 1_414_000),
    _p(26, "京都府", "Kyoto", 2_578_000),
    _p(27, "大阪府", "Osaka", 8_838_000),
    _p(28, "兵庫県", "Hyogo", 5_465_000),
    _p(29, "奈良県", "Nara", 1_324_000),
    _p(30, "和歌山県", "Wakayama", 923_000),
    _p(31, "鳥取県", "Tottori", 553_000),
    _p(32, "島根県", "Shimane", 671_000),
    _p(33, "岡山県", "Okayama", 1_888_000),
    _p(34, "広島県", "Hiroshima", 2_800_000),
    _p(35, "山口県", "Yamaguchi", 1_342_000),
    _p(36, "徳島県", "Tokushima", 720_000),
    _p(37, "香川県", "Kagawa", 950_000),
    _p(38, "愛媛県", "Ehime", 1_335_000),
    _p(39, "高知県", "Kochi", 692_000),
    _p(40, "福岡県", "Fukuoka", 5_135_000),
    _p(41, "佐賀県", "Saga", 811_000),
    _p(42, "長崎県", "Nagasaki", 1_312_000),
    _p(43, "熊本県", "Kumamoto", 1_738_000),
    _p(44, "大分県", "Oita", 1_124_000),
    _p(45, "宮崎県", "Miyazaki", 1_070_000),
    _p(46, "鹿児島県", "Kagoshima", 1_588_000),
    _p(47, "沖縄県", "Okinawa", 1_467_000),
)

_BY_CODE = MappingProxyType({p.code: p for p in PREFECTURES})
_BY_NAME = MappingProxyType(
    {key: p for p in PREFECTURES for key in (p.name_ja, p.short_ja, p.branch_ja, p.name_en.lower())}
)


def by_code(code: str | int) -> Prefecture:
    """Look a prefecture up by JIS code: ``"13"``, ``"１３"``, ``13`` or ``"3"`` for 03."""
    text = f"{code:02d}" if isinstance(code, int) else compact_digits(code, field="prefecture")
    if text.isdigit() and len(text) == 1:
        text = "0" + text
    try:
        return _BY_CODE[text]
    except KeyError:
        raise InvalidComponent("prefecture.unknown", field="prefecture", value=code) from None


def by_name(name: str) -> Prefecture:
    """Look a prefecture up by 東京都, 東京, 東京支部 or Tokyo (case-insensitive)."""
    key = normalize_text(name)
    found = _BY_NAME.get(key) or _BY_NAME.get(key.lower())
    if found is None:
        raise InvalidComponent("prefecture.unknown", field="prefecture", value=name)
    return found


def total_population() -> int:
    """Sum of the 2020 populations (about 126 million)."""
    return sum(p.population_2020 for p in PREFECTURES)
