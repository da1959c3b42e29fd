"""Ids of the returned-mail flow, in Python and as portable SQL (for set-based re-routing).

* Re-routed pieces: 12 digits like issuance pieces — campaign (2) + branch code + 50 (2) +
  sequence (7) + Luhn digit. Branch codes are 01–47, so the third and fourth digits (51–97)
  never collide with an issuance piece id, and the branch can still be read off the id.
* Employer envelopes (one per employer and run; in the cover letter's QR code): 13 digits —
  ``9`` + branch (2) + sequence (9) + Luhn digit. A different length, so a scanner can never
  confuse an envelope with a piece.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Integer, String, cast, func
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import GenericFunction

from shikaku.issuance.pieces import LUHN_DOUBLED, luhn_digit, luhn_total

REROUTE_BRANCH_OFFSET = 50
ENVELOPE_PREFIX = "9"
PIECE_ID_LENGTH = 12
ENVELOPE_ID_LENGTH = 13


class IdKind(StrEnum):
    PIECE = "piece"  # a home piece from an issuance wave
    REROUTED_PIECE = "rerouted-piece"  # a piece re-sent to the employer
    ENVELOPE = "envelope"  # an employer envelope holding re-routed pieces
    INVALID = "invalid"


def reroute_piece_id(campaign_id: int, branch_code: str, seq: int) -> str:
    body = f"{campaign_id % 100:02d}{int(branch_code) + REROUTE_BRANCH_OFFSET:02d}{seq:07d}"
    return body + luhn_digit(body)


def envelope_id(branch_code: str, seq: int) -> str:
    body = f"{ENVELOPE_PREFIX}{branch_code}{seq:09d}"
    return body + luhn_digit(body)


def normalise_id(text: str) -> str:
    """Digits only: scanners and staff add spaces, hyphens and full-width digits."""
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKC", text) if c.isdigit())


def luhn_ok(digits: str) -> bool:
    """The Luhn check of a digit string including its check digit (same rule as
    :func:`shikaku.issuance.pieces.luhn_digit`, written for speed: a million ids per upload)."""
    return digits.isdigit() and digits.isascii() and luhn_total(digits) % 10 == 0


def luhn_ok_array(values: Sequence[str], length: int) -> Any:
    """For each string: exactly ``length`` ASCII digits passing :func:`luhn_ok` (a numpy bool
    array) — the check of a whole upload at once instead of one id at a time."""
    import numpy as np

    n = len(values)
    # one position more than needed: a longer string shows a character there
    codes = np.array(values, dtype=f"<U{length + 1}").view(np.uint32).reshape(n, length + 1)
    digits = codes[:, :length].astype(np.int64) - ord("0")
    ok = (codes[:, length] == 0) & ((digits >= 0) & (digits <= 9)).all(axis=1)
    digits = np.where(ok[:, None], digits, 0)
    doubled = np.asarray(LUHN_DOUBLED)[digits]
    from_right = np.arange(length)[::-1]  # the last digit is position 0, counted plain
    total = np.where(from_right % 2 == 1, doubled, digits).sum(axis=1)
    return ok & (total % 10 == 0)


def classify(value: str) -> IdKind:
    """What an id (already normalised) is, by length, check digit and number space."""
    n = len(value)
    if n == PIECE_ID_LENGTH and value.isdigit() and luhn_ok(value):
        return IdKind.REROUTED_PIECE if int(value[2:4]) > REROUTE_BRANCH_OFFSET else IdKind.PIECE
    if (
        n == ENVELOPE_ID_LENGTH
        and value.isdigit()
        and value[0] == ENVELOPE_PREFIX
        and luhn_ok(value)
    ):
        return IdKind.ENVELOPE
    return IdKind.INVALID


# -- SQL ----------------------------------------------------------------------------------------


class zpad(GenericFunction[Any]):
    """``zpad(n, width)``: the integer ``n`` as text, zero-padded to ``width`` digits."""

    type = String()
    inherit_cache = True


@compiles(zpad, "sqlite")
def _zpad_sqlite(element: zpad, compiler: Any, **kw: Any) -> str:
    n, width = list(element.clauses)
    return f"printf('%0{int(width.value)}d', {compiler.process(n, **kw)})"


@compiles(zpad, "postgresql")
def _zpad_pg(element: zpad, compiler: Any, **kw: Any) -> str:
    n, width = list(element.clauses)
    return f"lpad(CAST({compiler.process(n, **kw)} AS TEXT), {int(width.value)}, '0')"


def luhn_number_sql(body: ColumnElement[Any], length: int) -> ColumnElement[Any]:
    """SQL for the ``length``-digit, zero-padded text of the integer ``body`` followed by its
    Luhn digit (the rule of :func:`shikaku.issuance.pieces.luhn_digit`), from integer
    arithmetic.

    Databases evaluate an expression once per mention, and the check digit mentions the body
    twice per doubled digit (``2d - 9·⌊d/5⌋`` is the doubled digit's value): pass a column, or
    a cheap sum of columns, not the text form, which repeats padding, concatenation and a
    substring cast per digit (a million ids in a re-routing run)."""
    total: ColumnElement[Any] | None = None
    for i in range(length):  # i-th digit from the right; the last one is doubled
        d = (body // 10**i) % 10
        term = d * 2 - (d // 5) * 9 if i % 2 == 0 else d
        total = term if total is None else total + term
    assert total is not None
    return zpad(body, length) + cast((10 - total % 10) % 10, String)


def reroute_piece_body_sql(
    campaign_id: ColumnElement[Any], branch_code: ColumnElement[Any], seq: ColumnElement[Any]
) -> ColumnElement[Any]:
    """The first 11 digits of a re-routed piece id as an integer."""
    return (
        cast(campaign_id % 100, BigInteger) * 10**9
        + (cast(branch_code, Integer) + REROUTE_BRANCH_OFFSET) * 10**7
        + seq
    )


def reroute_piece_id_sql(
    campaign_id: ColumnElement[Any], branch_code: ColumnElement[Any], seq: ColumnElement[Any]
) -> ColumnElement[Any]:
    return luhn_number_sql(reroute_piece_body_sql(campaign_id, branch_code, seq), 11)


def envelope_id_body_sql(
    branch_code: ColumnElement[Any], seq: ColumnElement[Any]
) -> ColumnElement[Any]:
    """The first 12 digits of an employer envelope id as an integer."""
    return int(ENVELOPE_PREFIX) * 10**11 + cast(branch_code, BigInteger) * 10**9 + seq


def envelope_id_sql(branch_code: ColumnElement[Any], seq: ColumnElement[Any]) -> ColumnElement[Any]:
    return luhn_number_sql(envelope_id_body_sql(branch_code, seq), 12)


def reroute_seq_sql(piece_id: ColumnElement[Any]) -> ColumnElement[Any]:
    """The sequence part of a re-routed piece id (digits 5–11)."""
    return cast(func.substr(piece_id, 5, 7), Integer)
