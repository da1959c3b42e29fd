"""Name pools: Japanese names with kana from Faker's ja_JP provider, foreign residents' names,
and employer names. Pools are built once; callers draw indices with numpy, so no Faker call
happens per member.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Final

import numpy as np
import numpy.typing as npt
from faker.providers.company.ja_JP import Provider as CompanyProvider
from faker.providers.person.ja_JP import Provider as PersonProvider

ObjArray = npt.NDArray[np.object_]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class NamePool:
    """Parallel arrays of written names and their katakana readings, with draw weights."""

    written: ObjArray
    kana: ObjArray
    weights: FloatArray

    def __len__(self) -> int:
        return len(self.written)


def _pool(entries: list[tuple[str, str]], weights: list[float] | None = None) -> NamePool:
    w = np.asarray(weights if weights is not None else [1.0] * len(entries), dtype=np.float64)
    return NamePool(
        written=np.array([e[0] for e in entries], dtype=object),
        kana=np.array([e[1] for e in entries], dtype=object),
        weights=w / w.sum(),
    )


@dataclass(frozen=True)
class Pools:
    """Family and given names for one language group."""

    family: NamePool
    male: NamePool
    female: NamePool


@lru_cache(maxsize=1)
def japanese_pools() -> Pools:
    """Japanese names from Faker's ja_JP person provider: (kanji, katakana, romaji) triples;
    family names are weighted by the frequencies Faker ships with."""
    last = PersonProvider.last_name_pairs  # OrderedDict[(kanji, kana, romaji), weight]
    family = _pool([(k[0], k[1]) for k in last], [float(w) for w in last.values()])
    male = _pool([(p[0], p[1]) for p in PersonProvider.first_name_male_pairs])
    female = _pool([(p[0], p[1]) for p in PersonProvider.first_name_female_pairs])
    return Pools(family, male, female)


# Foreign residents: names as on the residence card (romaji, or hanzi/hanja for Chinese and
# Korean names) with a katakana reading. Small pools; the point is the shape, not variety.
# fmt: off
_FOREIGN: Final[dict[str, tuple[list[tuple[str, str]], list[tuple[str, str]],
                                list[tuple[str, str]]]]] = {
    "vi": (
        [("NGUYEN", "グエン"), ("TRAN", "チャン"), ("LE", "レ"), ("PHAM", "ファム"),
         ("HOANG", "ホアン"), ("VU", "ヴー"), ("DO", "ドー")],
        [("VAN ANH", "ヴァン アイン"), ("MINH DUC", "ミン ドゥック"), ("VAN HUNG", "ヴァン フン"),
         ("QUANG HUY", "クアン フイ")],
        [("THI LAN", "ティ ラン"), ("THI HOA", "ティ ホア"), ("THU TRANG", "トゥー チャン"),
         ("NGOC ANH", "ゴック アイン")],
    ),
    "zh": (
        [("王", "ワン"), ("李", "リ"), ("張", "チャン"), ("劉", "リュウ"), ("陳", "チン"),
         ("楊", "ヤン"), ("趙", "チョウ")],
        [("偉", "ウェイ"), ("強", "チャン"), ("磊", "レイ"), ("軍", "ジュン")],
        [("芳", "ファン"), ("娜", "ナ"), ("静", "ジン"), ("麗", "リー")],
    ),
    "ko": (
        [("金", "キム"), ("李", "イ"), ("朴", "パク"), ("崔", "チェ"), ("鄭", "チョン")],
        [("民俊", "ミンジュン"), ("賢宇", "ヒョヌ"), ("志勲", "ジフン")],
        [("智恩", "ジウン"), ("秀妍", "スヨン"), ("瑞英", "ソヨン")],
    ),
    "tl": (
        [("SANTOS", "サントス"), ("REYES", "レイエス"), ("CRUZ", "クルス"),
         ("BAUTISTA", "バウティスタ"), ("GARCIA", "ガルシア")],
        [("JOSE", "ホセ"), ("MARK ANTHONY", "マーク アンソニー"), ("JOHN PAUL", "ジョン ポール")],
        [("MARIA", "マリア"), ("ANGELICA", "アンジェリカ"), ("KRISTINE", "クリスティン")],
    ),
    "pt": (
        [("SILVA", "シルバ"), ("SANTOS", "サントス"), ("OLIVEIRA", "オリベイラ"),
         ("SOUZA", "ソウザ"), ("HIGA", "ヒガ")],
        [("LUCAS", "ルーカス"), ("GABRIEL", "ガブリエル"), ("RAFAEL", "ハファエル")],
        [("ANA", "アナ"), ("JULIANA", "ジュリアナ"), ("MARIANA", "マリアナ")],
    ),
    "ne": (
        [("SHRESTHA", "シュレスタ"), ("GURUNG", "グルン"), ("THAPA", "タパ"),
         ("TAMANG", "タマン"), ("RAI", "ライ")],
        [("RAM", "ラム"), ("BIKASH", "ビカス"), ("SURESH", "スレス")],
        [("SITA", "シタ"), ("ANJALI", "アンジャリ"), ("SABINA", "サビナ")],
    ),
    "id": (
        [("SAPUTRA", "サプトラ"), ("WIJAYA", "ウィジャヤ"), ("SETIAWAN", "セティアワン"),
         ("HIDAYAT", "ヒダヤット")],
        [("AGUS", "アグス"), ("BUDI", "ブディ"), ("RIZKY", "リズキ")],
        [("SITI", "シティ"), ("DEWI", "デウィ"), ("PUTRI", "プトゥリ")],
    ),
    "other": (
        [("SMITH", "スミス"), ("KHAN", "カーン"), ("SINGH", "シン"), ("KIM", "キム"),
         ("IVANOV", "イワノフ"), ("MARTIN", "マルタン"), ("PEREZ", "ペレス"),
         ("AUNG", "アウン"), ("BATBAYAR", "バトバヤル"), ("PERERA", "ペレラ")],
        [("DAVID", "デイビッド"), ("AHMED", "アハメド"), ("ALEXANDER", "アレクサンダー"),
         ("CARLOS", "カルロス"), ("SOMCHAI", "ソムチャイ")],
        [("SARAH", "サラ"), ("FATIMA", "ファティマ"), ("OLGA", "オリガ"),
         ("ELENA", "エレナ"), ("MALAI", "マライ")],
    ),
}
# fmt: on

#: Which name pool each preferred language draws from.
LANGUAGE_POOL: Final[dict[str, str]] = {
    "vi": "vi",
    "zh-Hans": "zh",
    "zh-Hant": "zh",
    "ko": "ko",
    "tl": "tl",
    "pt": "pt",
    "ne": "ne",
    "id": "id",
}


@cache
def foreign_pools(group: str) -> Pools:
    """Name pools for a foreign language group (see :data:`LANGUAGE_POOL`; else ``other``)."""
    family, male, female = _FOREIGN[group]
    return Pools(_pool(family), _pool(male), _pool(female))


def pool_group(language: str) -> str:
    """The name-pool group for a preferred language."""
    return LANGUAGE_POOL.get(language, "other")


# --- Employers --------------------------------------------------------------------------------

_PREFIX_KANA: Final = {
    "株式会社": "カブシキガイシャ",
    "有限会社": "ユウゲンガイシャ",
    "合同会社": "ゴウドウガイシャ",
}
_CATEGORY_KANA: Final = {
    "水産": "スイサン",
    "農林": "ノウリン",
    "鉱業": "コウギョウ",
    "建設": "ケンセツ",
    "食品": "ショクヒン",
    "印刷": "インサツ",
    "電気": "デンキ",
    "ガス": "ガス",
    "情報": "ジョウホウ",
    "通信": "ツウシン",
    "運輸": "ウンユ",
    "銀行": "ギンコウ",
    "保険": "ホケン",
}
#: Extra business words so that employer names repeat less (the Faker list is short).
_EXTRA_CATEGORIES: Final = {
    "商事": "ショウジ",
    "工業": "コウギョウ",
    "製作所": "セイサクショ",
    "商店": "ショウテン",
    "運送": "ウンソウ",
    "興業": "コウギョウ",
    "産業": "サンギョウ",
    "設計": "セッケイ",
    "物産": "ブッサン",
    "技研": "ギケン",
    "サービス": "サービス",
    "工務店": "コウムテン",
    "不動産": "フドウサン",
    "精機": "セイキ",
    "電子": "デンシ",
    "システム": "システム",
    "医院": "イイン",
    "歯科": "シカ",
    "介護": "カイゴ",
    "薬局": "ヤッキョク",
}
#: Relative frequency of 株式会社 / 有限会社 / 合同会社.
_PREFIX_WEIGHTS: Final = {"株式会社": 0.78, "有限会社": 0.17, "合同会社": 0.05}


@dataclass(frozen=True)
class EmployerNameParts:
    """Pieces employer names are built from."""

    prefix: ObjArray
    prefix_kana: ObjArray
    prefix_weights: FloatArray
    category: ObjArray
    category_kana: ObjArray


@lru_cache(maxsize=1)
def employer_name_parts() -> EmployerNameParts:
    """Company prefixes and business words from Faker's ja_JP company provider (plus a few
    more), each with a katakana reading."""
    prefixes = list(CompanyProvider.company_prefixes)
    categories = {
        c: _CATEGORY_KANA[c] for c in CompanyProvider.company_categories if c in _CATEGORY_KANA
    }
    categories.update(_EXTRA_CATEGORIES)
    w = np.array([_PREFIX_WEIGHTS.get(p, 0.01) for p in prefixes])
    return EmployerNameParts(
        prefix=np.array(prefixes, dtype=object),
        prefix_kana=np.array([_PREFIX_KANA.get(p, p) for p in prefixes], dtype=object),
        prefix_weights=w / w.sum(),
        category=np.array(list(categories), dtype=object),
        category_kana=np.array(list(categories.values()), dtype=object),
    )


def employer_names(rng: np.random.Generator, n: int) -> tuple[list[str], list[str]]:
    """``n`` company names such as 株式会社佐藤建設 / 田中商事有限会社, with kana readings."""
    parts = employer_name_parts()
    family = japanese_pools().family
    fi = rng.choice(len(family), size=n, p=family.weights)
    pi = rng.choice(len(parts.prefix), size=n, p=parts.prefix_weights)
    ci = rng.integers(0, len(parts.category), size=n)
    before = rng.random(n) < 0.7  # 前株 more common than 後株
    names: list[str] = []
    kanas: list[str] = []
    for f, p, c, b in zip(
        family.written[fi], parts.prefix[pi], parts.category[ci], before.tolist(), strict=True
    ):
        names.append(f"{p}{f}{c}" if b else f"{f}{c}{p}")
    for f, p, c, b in zip(
        family.kana[fi],
        parts.prefix_kana[pi],
        parts.category_kana[ci],
        before.tolist(),
        strict=True,
    ):
        kanas.append(f"{p}{f}{c}" if b else f"{f}{c}{p}")
    return names, kanas
