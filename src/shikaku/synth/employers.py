"""Employers (事業所): heavy-tailed sizes per branch, 記号, names, addresses and phones."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from shikaku.domain.prefectures import PREFECTURES
from shikaku.synth import pyramid as P
from shikaku.synth.addresses import draw_addresses
from shikaku.synth.names import employer_names

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
ObjArray = npt.NDArray[np.object_]


def employer_sizes(rng: np.random.Generator, insured: int) -> IntArray:
    """Sizes (insured persons) of employers that together employ exactly ``insured`` people:
    a discrete Lomax law (see :mod:`shikaku.synth.pyramid`), the last one trimmed."""
    if insured <= 0:
        return np.zeros(0, dtype=np.int64)
    parts: list[IntArray] = []
    total = 0
    while total < insured:
        n = int((insured - total) / 10) + 16
        u = 1.0 - rng.random(n)  # (0, 1]
        s = 1 + np.floor(P.EMPLOYER_SIZE_SCALE * (u ** (-1.0 / P.EMPLOYER_SIZE_ALPHA) - 1.0))
        s = np.minimum(s, P.EMPLOYER_MAX_SIZE).astype(np.int64)
        parts.append(s)
        total += int(s.sum())
    sizes = np.concatenate(parts)
    cum = np.cumsum(sizes)
    count = int(np.searchsorted(cum, insured) + 1)
    sizes = sizes[:count].copy()
    sizes[-1] -= int(cum[count - 1]) - insured
    return sizes


def unique_symbols(rng: np.random.Generator, n: int) -> ObjArray:
    """``n`` distinct 記号 of 7 or 8 digits (unique across the insurer, hence per branch)."""
    chosen: IntArray = np.zeros(0, dtype=np.int64)
    while len(chosen) < n:
        k = (n - len(chosen)) + 64
        seven = rng.random(k) < P.SYMBOL_SEVEN_DIGIT_SHARE
        values = np.where(
            seven,
            rng.integers(1_000_000, 10_000_000, size=k),
            rng.integers(10_000_000, 100_000_000, size=k),
        )
        merged = np.concatenate((chosen, values))
        _, first = np.unique(merged, return_index=True)
        chosen = merged[np.sort(first)]
    return np.array([str(v) for v in chosen[:n].tolist()], dtype=object)


def phones(rng: np.random.Generator, pref_index: IntArray) -> ObjArray:
    """Made-up landline numbers: 03-xxxx-xxxx in Tokyo, 06-xxxx-xxxx in Osaka, else
    0aa-bbb-cccc."""
    big_city = {12: "03", 26: "06"}  # index into PREFECTURES: Tokyo, Osaka
    n = len(pref_index)
    area = rng.integers(11, 100, size=n)
    mid = rng.integers(200, 10_000, size=n)
    last = rng.integers(0, 10_000, size=n)
    out = [
        f"{big_city[p]}-{m:04d}-{lt:04d}" if p in big_city else f"0{a}-{m % 1000:03d}-{lt:04d}"
        for p, a, m, lt in zip(
            pref_index.tolist(), area.tolist(), mid.tolist(), last.tolist(), strict=True
        )
    ]
    return np.array(out, dtype=object)


@dataclass
class Employers:
    """The employer table and, per family, the row of its employer."""

    table: dict[str, npt.NDArray[Any]]
    sizes: IntArray
    of_family: IntArray


def build_employers(
    rng: np.random.Generator, fam_branch: IntArray, voluntary: BoolArray
) -> Employers:
    """Employers for families laid out branch by branch, each branch's 任意継続 families
    last. Regular families fill heavy-tailed employers in order; each branch with voluntary
    members gets one pseudo-employer holding them (a 記号 of the branch, not a workplace)."""
    size_parts: list[IntArray] = []
    branch_parts: list[IntArray] = []
    vol_parts: list[BoolArray] = []
    for b in range(len(PREFECTURES)):
        in_branch = fam_branch == b
        n_vol = int((voluntary & in_branch).sum())
        sizes = employer_sizes(rng, int(in_branch.sum()) - n_vol)
        vol_flag = np.zeros(len(sizes) + (1 if n_vol else 0), dtype=np.bool_)
        if n_vol:
            sizes = np.append(sizes, n_vol)
            vol_flag[-1] = True
        size_parts.append(sizes)
        branch_parts.append(np.full(len(sizes), b, dtype=np.int64))
        vol_parts.append(vol_flag)
    sizes = np.concatenate(size_parts)
    branch = np.concatenate(branch_parts)
    is_voluntary = np.concatenate(vol_parts)
    n = len(sizes)
    of_family = np.repeat(np.arange(n, dtype=np.int64), sizes)

    names, kanas = employer_names(rng, n)
    name_arr, kana_arr = np.array(names, dtype=object), np.array(kanas, dtype=object)
    for i in np.flatnonzero(is_voluntary).tolist():
        name_arr[i] = f"全国健康保険協会{PREFECTURES[int(branch[i])].branch_ja}（任意継続）"
        kana_arr[i] = "ゼンコクケンコウホケンキョウカイ（ニンイケイゾク）"
    postal, address = draw_addresses(rng, branch, apartments=0.0)
    symbols = unique_symbols(rng, n)
    codes = np.array([p.code for p in PREFECTURES], dtype=object)
    table = {
        "id": np.arange(1, n + 1, dtype=np.int64),
        "branch_code": codes[branch],
        "symbol": symbols,
        "name": name_arr,
        "name_kana": kana_arr,
        "postal_code": postal,
        "address": address,
        "phone": phones(rng, branch),
    }
    return Employers(table, sizes, of_family)
