"""保険者番号 (insurer number).

An employee-scheme insurer number has 8 digits: law-type code (法別番号, 2), prefecture
code (都道府県番号, 2), insurer code (保険者別番号, 3) and a check digit (検証番号, 1).
協会けんぽ branches are ``"01"`` + JIS prefecture code + ``"001"`` + check digit
(宮城 01040013, 東京 01130012).

The check digit (保険者番号設定要領): multiply the digits, starting from the rightmost, by
2, 1, 2, 1, …; add the products, counting a two-digit product as the sum of its digits
(Luhn style); the check digit is ``(10 − sum mod 10) mod 10``.

国保 (national health insurance) numbers have 6 digits because they lack the law-type
code. :func:`validate` checks the 8-digit form only; ``allow_national=True`` also accepts
6 digits. The online eligibility query carries the insurer number as 8 characters with
6-digit numbers left-padded; open-source clinic code pads with ``"0"`` (:func:`to_online`).
Leading zeros add nothing to the weighted sum, so a padded number keeps a valid check digit.

>>> validate("0113 0012")
'01130012'
>>> calc_check_digit("3312001")
'5'
>>> branch_insurer_number("04")
'01040013'
"""

from __future__ import annotations

from types import MappingProxyType
from typing import NewType

from shikaku.domain.errors import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength
from shikaku.domain.normalize import compact_digits

__all__ = [
    "KYOKAI_KENPO_LAW_CODE",
    "LAW_TYPES",
    "InsurerNumber",
    "branch_insurer_number",
    "calc_check_digit",
    "compact",
    "format",
    "is_valid",
    "split",
    "to_online",
    "validate",
]

InsurerNumber = NewType("InsurerNumber", str)

FIELD = "insurer_number"
LENGTH = 8
NATIONAL_LENGTH = 6

#: 法別番号 → scheme (domain.md §5.1; secondary sources).
LAW_TYPES = MappingProxyType(
    {
        "01": "全国健康保険協会(協会けんぽ)",
        "02": "船員保険",
        "03": "日雇特例被保険者(一般療養)",
        "04": "日雇特例被保険者(特別療養費)",
        "06": "組合管掌健康保険",
        "31": "国家公務員共済組合",
        "32": "地方公務員等共済組合",
        "33": "警察共済組合",
        "34": "公立学校共済組合・私立学校教職員共済",
        "39": "後期高齢者医療",
    }
)
KYOKAI_KENPO_LAW_CODE = "01"
#: 協会けんぽ uses one 保険者別番号 for every branch.
KYOKAI_KENPO_INSURER_CODE = "001"


def compact(number: str) -> str:
    """Half-width digits with spaces and hyphens removed (not validated)."""
    return compact_digits(number, field=FIELD)


def calc_check_digit(body: str) -> str:
    """Check digit for the digits before it (7 for an 8-digit number, 5 for 国保)."""
    total = 0
    for position, char in enumerate(reversed(body)):
        product = int(char) * (2 if position % 2 == 0 else 1)
        total += product // 10 + product % 10
    return str((10 - total % 10) % 10)


def validate(number: str, *, allow_national: bool = False) -> InsurerNumber:
    """Return the compact number if it is valid, else raise a typed error.

    With ``allow_national=True`` a 6-digit 国保 number is accepted and returned as 6 digits.
    """
    digits = compact(number)
    if not digits.isascii() or not digits.isdigit():
        raise InvalidFormat(f"{FIELD}.format", field=FIELD, value=number)
    lengths = (LENGTH, NATIONAL_LENGTH) if allow_national else (LENGTH,)
    if len(digits) not in lengths:
        raise InvalidLength(f"{FIELD}.length", field=FIELD, value=number)
    if calc_check_digit(digits[:-1]) != digits[-1]:
        raise InvalidChecksum(f"{FIELD}.checksum", field=FIELD, value=number)
    return InsurerNumber(digits)


def is_valid(number: str, *, allow_national: bool = False) -> bool:
    """True when :func:`validate` would accept *number*."""
    try:
        validate(number, allow_national=allow_national)
    except (InvalidFormat, InvalidLength, InvalidChecksum):
        return False
    return True


def format(number: str) -> str:
    """Printed form: the 8 digits without separators, as on cards and certificates."""
    return compact(number)


def split(number: str) -> tuple[str, str, str, str]:
    """Split a valid 8-digit number into (法別番号, 都道府県番号, 保険者別番号, 検証番号)."""
    digits = validate(number)
    return digits[:2], digits[2:4], digits[4:7], digits[7]


def to_online(number: str, *, pad: str = "0") -> str:
    """The 8-character form for the online eligibility query (``InsurerNumber``).

    6-digit 国保 numbers are left-padded with *pad* (``"0"`` as open-source clinic code
    does; the official interface specification was not available to confirm it).
    """
    digits = validate(number, allow_national=True)
    return digits.rjust(LENGTH, pad)


def branch_insurer_number(prefecture_code: str | int) -> InsurerNumber:
    """The 協会けんぽ branch number for a JIS prefecture code (1–47): 01 + pref + 001 + check."""
    if isinstance(prefecture_code, int):
        pref = f"{prefecture_code:02d}"
    else:
        pref = compact_digits(prefecture_code, field="prefecture").rjust(2, "0")
    if not (pref.isascii() and pref.isdigit() and len(pref) == 2 and 1 <= int(pref) <= 47):
        raise InvalidComponent("prefecture.unknown", field="prefecture", value=prefecture_code)
    body = KYOKAI_KENPO_LAW_CODE + pref + KYOKAI_KENPO_INSURER_CODE
    return InsurerNumber(body + calc_check_digit(body))
