"""個人番号 (My Number): 12 digits, the last a check digit.

It is specific personal information (特定個人情報): encrypted at rest, never logged, shown
only as its last 4 digits. So in this module:

* errors never carry the number (``err.value`` is ``None``);
* :class:`MyNumber` holds a validated number whose ``repr``/``str``/``format`` show
  ``********1234``; only :meth:`MyNumber.reveal` returns the digits.

Check digit (総務省令 art. 5): weights 6,5,4,3,2,7,6,5,4,3,2 over the 11-digit body from
the left; remainder r = Σ mod 11; check = 0 if r ≤ 1 else 11 − r. python-stdnum's
``stdnum.jp.in_`` (2.0+) computes ``-s % 11 % 10``, which is the same function (r=0 → 0,
r=1 → 10 % 10 = 0, else 11 − r); the unit tests check it against the ordinance formula for
every remainder. Older python-stdnum releases lack the module, hence the local fallback.

>>> calc_check_digit("12345678901")
'8'
>>> mask("1234 5678 9018")
'********9018'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from shikaku.domain.errors import InvalidChecksum, InvalidFormat, InvalidLength
from shikaku.domain.normalize import compact_digits

__all__ = [
    "WEIGHTS",
    "MyNumber",
    "calc_check_digit",
    "compact",
    "format",
    "is_valid",
    "last4",
    "mask",
    "validate",
]

FIELD = "my_number"
LENGTH = 12
WEIGHTS: Final = (6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
MASK_CHAR = "*"


def _ordinance_check_digit(body: str) -> str:
    remainder = sum(w * int(c) for w, c in zip(WEIGHTS, body, strict=True)) % 11
    return "0" if remainder <= 1 else str(11 - remainder)


_stdnum_check_digit: Callable[[str], str] | None
try:
    from stdnum.jp import in_ as _stdnum_in
except ImportError:  # python-stdnum < 2.0
    _stdnum_check_digit = None
else:
    _stdnum_check_digit = _stdnum_in.calc_check_digit


def compact(number: str) -> str:
    """Half-width digits with spaces and hyphens removed (not validated)."""
    return compact_digits(number, field=FIELD)


def calc_check_digit(body: str) -> str:
    """Check digit for an 11-digit body."""
    if len(body) != LENGTH - 1 or not (body.isascii() and body.isdigit()):
        # stdnum zips silently over a short body; refuse instead.
        raise InvalidLength(f"{FIELD}.length", field=FIELD, value=None)
    if _stdnum_check_digit is not None:
        return _stdnum_check_digit(body)
    return _ordinance_check_digit(body)


def validate(number: str) -> str:
    """Return the compact 12 digits if valid; errors never include the number."""
    digits = compact(number)
    if not (digits.isascii() and digits.isdigit()):
        raise InvalidFormat(f"{FIELD}.format", field=FIELD, value=None)
    if len(digits) != LENGTH:
        raise InvalidLength(f"{FIELD}.length", field=FIELD, value=None)
    if calc_check_digit(digits[:-1]) != digits[-1]:
        raise InvalidChecksum(f"{FIELD}.checksum", field=FIELD, value=None)
    return digits


def is_valid(number: str) -> bool:
    """True when :func:`validate` would accept *number*."""
    try:
        validate(number)
    except (InvalidFormat, InvalidLength, InvalidChecksum):
        return False
    return True


def format(number: str) -> str:
    """``"1234 5678 9018"``, the grouping on the card. Shows the whole number: use it only
    where the full number may be shown (a form the member fills in), never in logs."""
    digits = compact(number)
    return " ".join((digits[0:4], digits[4:8], digits[8:12]))


def last4(number: str) -> str:
    """The last 4 digits (printed on 資格情報のお知らせ so the member can check them)."""
    digits = compact(number)
    if not (digits.isascii() and digits.isdigit()) or len(digits) != LENGTH:
        raise InvalidLength(f"{FIELD}.length", field=FIELD, value=None)
    return digits[-4:]


def mask(number: str) -> str:
    """``"********9018"``: 8 mask characters and the last 4 digits (check digit not checked,
    so stored numbers can always be displayed)."""
    return MASK_CHAR * (LENGTH - 4) + last4(number)


class MyNumber:
    """A validated My Number that never shows itself by accident.

    ``str()``, ``repr()``, f-strings and logging all give the masked form; equality and
    hashing use the digits, so it can be a dict key. Call :meth:`reveal` for the digits.
    """

    __slots__ = ("_digits",)
    _digits: str

    def __init__(self, number: str) -> None:
        object.__setattr__(self, "_digits", validate(number))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("MyNumber is immutable")

    def reveal(self) -> str:
        """The 12 digits. Call only at the point of encryption or of an allowed display."""
        return self._digits

    @property
    def last4(self) -> str:
        """The last 4 digits."""
        return self._digits[-4:]

    @property
    def masked(self) -> str:
        """``********1234``."""
        return MASK_CHAR * (LENGTH - 4) + self._digits[-4:]

    def __str__(self) -> str:
        return self.masked

    def __repr__(self) -> str:
        return f"MyNumber('{self.masked}')"

    def __format__(self, spec: str) -> str:
        return self.masked.__format__(spec)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MyNumber) and other._digits == self._digits

    def __hash__(self) -> int:
        return hash(("MyNumber", self._digits))

    def __copy__(self) -> MyNumber:
        return self  # immutable

    def __deepcopy__(self, memo: dict[int, object]) -> MyNumber:
        return self  # immutable; also keeps dataclasses.asdict() working

    def __reduce__(self) -> tuple[object, ...]:
        # Pickling would write the digits in clear; callers must encrypt reveal() instead.
        raise TypeError("MyNumber cannot be pickled; encrypt reveal() explicitly")
