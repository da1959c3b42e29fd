"""被保険者等記号・番号・枝番 (member symbol, number, branch number) and dates of birth.

Canonical forms, used for storage and for every lookup so that the same person always
has the same key whatever was typed:

* 記号 (symbol, the employer code): 7 or 8 digits for 協会けんぽ, kept exactly as given.
  The 2008 conversion from kanji/kana codes produced both lengths, so a leading zero may
  be significant and is never added or removed.
* 番号 (number, the insured person's sequence within the employer): 1–8 digits typed;
  stored **without leading zeros** (``"0012"`` → ``"12"``), because cards, forms and the
  online query disagree on zero-padding and ``int`` parsing upstream drops them anyway.
  ``0`` is refused: numbering starts at 1.
* 枝番 (branch number, one per person): always **2 digits, zero-padded** (``"1"`` → ``"01"``),
  the width of ``InsuredBranchNumber`` in the online query.
* Date of birth: see :func:`parse_birth_date`.

Input may be full-width and may contain spaces or hyphens; errors name the field.

>>> MemberKey.parse("01130012", "１２３４５６７", "0012", "1")
MemberKey(insurer_number='01130012', symbol='1234567', number='12', branch_no='01')
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import NewType

from shikaku.domain.dates import parse_date
from shikaku.domain.errors import InvalidDate, InvalidFormat, InvalidLength
from shikaku.domain.ids import insurer_number as _insurer_number
from shikaku.domain.normalize import compact_digits

__all__ = [
    "BranchNo",
    "MemberKey",
    "MemberNumber",
    "Symbol",
    "compact",
    "parse_birth_date",
    "validate_branch_no",
    "validate_number",
    "validate_symbol",
]

Symbol = NewType("Symbol", str)
MemberNumber = NewType("MemberNumber", str)
BranchNo = NewType("BranchNo", str)

SYMBOL_LENGTHS = (7, 8)
NUMBER_MAX_LENGTH = 8
BRANCH_NO_LENGTH = 2


def compact(value: str, *, field: str | None = None) -> str:
    """Half-width digits with spaces and hyphens removed (not validated)."""
    return compact_digits(value, field=field)


def _digits(value: str, rule: str, field: str) -> str:
    text = compact(value, field=field)
    if not (text.isascii() and text.isdigit()):
        raise InvalidFormat(f"{rule}.format", field=field, value=value)
    return text


def validate_symbol(value: str) -> Symbol:
    """記号: 7 or 8 digits, returned as given (no padding)."""
    text = _digits(value, "member.symbol", "symbol")
    if len(text) not in SYMBOL_LENGTHS:
        raise InvalidLength("member.symbol.length", field="symbol", value=value)
    return Symbol(text)


def validate_number(value: str) -> MemberNumber:
    """番号: 1–8 digits typed, returned without leading zeros."""
    text = _digits(value, "member.number", "number")
    if not 1 <= len(text) <= NUMBER_MAX_LENGTH:
        raise InvalidLength("member.number.length", field="number", value=value)
    stripped = text.lstrip("0")
    if not stripped:
        raise InvalidFormat("member.number.zero", field="number", value=value)
    return MemberNumber(stripped)


def validate_branch_no(value: str) -> BranchNo:
    """枝番: 1–2 digits typed, returned as 2 digits (``"1"`` → ``"01"``; ``"00"`` is valid)."""
    text = _digits(value, "member.branch_no", "branch_no")
    if not 1 <= len(text) <= BRANCH_NO_LENGTH:
        raise InvalidLength("member.branch_no.length", field="branch_no", value=value)
    return BranchNo(text.zfill(BRANCH_NO_LENGTH))


def parse_birth_date(value: str | date, *, on: date | None = None) -> date:
    """Parse a date of birth (``1980-04-01``, ``19800401``, ``1980/4/1``, full-width,
    ``昭和55年4月1日``, ``S55.4.1``). With *on*, a birth after *on* is refused.

    Raises :class:`~shikaku.domain.errors.InvalidDate` (``birth_date.format``,
    ``birth_date.impossible``, ``birth_date.future``).
    """
    born = parse_date(value, field="birth_date", rule_prefix="birth_date")
    if on is not None and born > on:
        raise InvalidDate("birth_date.future", field="birth_date", value=value)
    return born


@dataclass(frozen=True, slots=True)
class MemberKey:
    """The key an online eligibility query uses: 保険者番号 + 記号・番号・枝番, canonical.

    Build it with :meth:`parse`, which normalises and validates every field; the plain
    constructor trusts its arguments (for rows read back from the database).
    """

    insurer_number: str
    symbol: str
    number: str
    branch_no: str

    @classmethod
    def parse(cls, insurer_number: str, symbol: str, number: str, branch_no: str) -> MemberKey:
        """Normalise and validate each field; the first bad field raises, naming itself."""
        return cls(
            insurer_number=_insurer_number.validate(insurer_number),
            symbol=validate_symbol(symbol),
            number=validate_number(number),
            branch_no=validate_branch_no(branch_no),
        )

    def format(self) -> str:
        """Display form ``01130012 1234567・12・01`` (記号・番号・枝番 as on documents)."""
        return f"{self.insurer_number} {self.symbol}・{self.number}・{self.branch_no}"

    def household(self) -> tuple[str, str, str]:
        """(保険者番号, 記号, 番号): shared by the insured person and their dependants."""
        return self.insurer_number, self.symbol, self.number
