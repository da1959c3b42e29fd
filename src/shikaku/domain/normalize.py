"""Normalise what people type: full-width to half-width, spaces, and hyphen look-alikes.

Japanese input methods and scanned forms produce full-width digits (``１２３``), the
ideographic space (U+3000) and a zoo of dash characters (``－ ー ‐ − ― ‑``). The
identifier modules call :func:`compact_digits` before validating, so ``"０１１３ ００１２"``
and ``"0113-0012"`` both become ``"01130012"``.
"""

from __future__ import annotations

import re

import jaconv

from shikaku.domain.errors import InvalidFormat

__all__ = [
    "HYPHENS",
    "compact_digits",
    "cp932_stray_line",
    "normalize_hyphens",
    "normalize_text",
    "strip_spaces",
    "to_halfwidth",
]

#: Characters people use as a hyphen between digits. The katakana prolonged sound mark
#: (ー) is here because IMEs produce it when a user types "-" in kana mode.
HYPHENS = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\uff0d\uff70\ufe63"

_HYPHEN_RE = re.compile(f"[{re.escape(HYPHENS)}]")
# \s covers the ideographic space U+3000 and the no-break space as well as ASCII blanks.
_SPACE_RE = re.compile(r"\s+")


#: Python's cp932 codec turns the single bytes 0x80, 0xA0 and 0xFD-0xFF, which are no Shift_JIS
#: character, into U+0080 and private-use characters instead of failing; a stray one (a
#: truncated or foreign byte) would otherwise load as an invisible character in a name.
_CP932_STRAY = re.compile("[\x80\uf8f0-\uf8f3]")


def cp932_stray_line(text: str) -> int | None:
    """The 1-based line of *text* (decoded as cp932) holding a byte that is no Shift_JIS
    character, or None when there is none."""
    stray = _CP932_STRAY.search(text)
    if stray is None:
        return None
    return text.count("\n", 0, stray.start()) + 1


def _require_str(value: object, field: str | None) -> str:
    if not isinstance(value, str):
        # Callers sometimes pass ints read from CSV; refusing keeps leading zeros honest.
        raise InvalidFormat("input.type", field=field, value=None)
    return value


def to_halfwidth(text: str) -> str:
    """Convert full-width ASCII letters, digits, symbols and the ideographic space to
    half-width. Katakana is left alone (it is never part of an identifier here)."""
    return jaconv.z2h(text, kana=False, ascii=True, digit=True)


def strip_spaces(text: str) -> str:
    """Remove every half- or full-width space, tab and newline."""
    return _SPACE_RE.sub("", text)


def normalize_hyphens(text: str) -> str:
    """Replace every hyphen look-alike with ``-``."""
    return _HYPHEN_RE.sub("-", text)


def normalize_text(text: str) -> str:
    """Half-width, hyphens unified, runs of spaces collapsed to one, ends stripped.

    For free text that keeps its inner spacing (dates such as ``"1980 4 1"``, names)."""
    text = normalize_hyphens(to_halfwidth(text))
    return _SPACE_RE.sub(" ", text).strip()


def compact_digits(value: str, *, field: str | None = None) -> str:
    """Return *value* half-width with every space and hyphen removed.

    The result is not checked to be all digits: validation does that, so the error can
    name the rule (``…format``) rather than failing here. Raises
    :class:`~shikaku.domain.errors.InvalidFormat` (``input.type``) for a non-string.
    """
    text = _require_str(value, field)
    return _HYPHEN_RE.sub("", strip_spaces(to_halfwidth(text)))
