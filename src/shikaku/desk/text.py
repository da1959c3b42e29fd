"""Tokenising FAQ text in 23 languages without a dictionary.

Scripts written without spaces between words (Japanese, Chinese, Korean — whose particles stick
to the noun — Thai, Lao, Burmese, Khmer) are cut into character unigrams and bigrams, so that
「資格確認書 届かない」 finds 「資格確認書が届きません」 through 資格/確認/認書/届 without a
morphological analyser. Everything else is split into words; Latin-script words are folded to
lower case without accents (people type Vietnamese and Spanish without diacritics), so that
typo tolerance can then work on whole words (see :mod:`shikaku.desk.search`).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import pairwise

__all__ = ["Tokens", "normalize", "tokenize"]

# Code-point ranges of scripts that are cut into character n-grams.
_SEGMENTED: tuple[tuple[int, int], ...] = (
    (0x0E00, 0x0EFF),  # Thai, Lao
    (0x1000, 0x109F),  # Myanmar
    (0x1100, 0x11FF),  # Hangul Jamo
    (0x1780, 0x17FF),  # Khmer
    (0x19E0, 0x19FF),  # Khmer symbols
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x3130, 0x318F),  # Hangul compatibility Jamo
    (0x31F0, 0x31FF),  # Katakana extensions
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xAA60, 0xAA7F),  # Myanmar extended-A
    (0xAC00, 0xD7AF),  # Hangul syllables
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0x20000, 0x2FFFF),  # CJK extensions B–F
)

_APOSTROPHES = "'\u2019\u02bc\u02bb`"


@lru_cache(maxsize=65536)
def _kind(ch: str) -> str:
    """'s' segmented script, 'w' word character, ' ' separator."""
    if ch in _APOSTROPHES:
        return " "  # o'zbek and oʻzbek split the same way
    cp = ord(ch)
    for lo, hi in _SEGMENTED:
        if lo <= cp <= hi:
            # The prolonged sound mark and the middle dot are inside the kana block.
            return " " if ch in "・" else "s"
    cat = unicodedata.category(ch)
    if cat[0] in "LNM":
        return "w"
    return " "


_KATA_TO_HIRA = {cp: cp - 0x60 for cp in range(0x30A1, 0x30F7)}


def normalize(text: str) -> str:
    """NFKC, case-folded, katakana as hiragana (ﾏｲﾅ, マイナ and まいな match)."""
    return unicodedata.normalize("NFKC", text).casefold().translate(_KATA_TO_HIRA)


@lru_cache(maxsize=65536)
def _fold_word(word: str) -> str:
    """Drop accents from Latin-script words (việt → viet, éligibilité → eligibilite)."""
    decomposed = unicodedata.normalize("NFKD", word.replace("đ", "d"))
    base = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    if base and all(ord(c) < 0x0250 for c in base):
        return base
    return unicodedata.normalize("NFC", word)


@dataclass(slots=True)
class Tokens:
    """Tokens of one text: character bigrams and unigrams of unspaced scripts, and words."""

    bigrams: list[str] = field(default_factory=list)
    unigrams: list[str] = field(default_factory=list)
    words: list[str] = field(default_factory=list)


def tokenize(text: str) -> Tokens:
    """Split *text* (any language, any mix of scripts) into :class:`Tokens`."""
    out = Tokens()
    norm = normalize(text)
    run: list[str] = []
    run_kind = " "

    def flush() -> None:
        if not run:
            return
        if run_kind == "s":
            out.unigrams.extend(run)
            out.bigrams.extend(a + b for a, b in pairwise(run))
        elif run_kind == "w":
            out.words.append(_fold_word("".join(run)))
        run.clear()

    for ch in norm:
        kind = _kind(ch)
        if kind != run_kind or kind == " ":
            flush()
            run_kind = kind
        if kind != " ":
            run.append(ch)
    flush()
    return out
