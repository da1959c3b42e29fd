"""Mail-piece ids and lifecycle writes (every status change is an event row)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, insert, literal, null, select, update

from shikaku.domain.mailpiece import PieceStatus, check_move
from shikaku.issuance.tables import mail_piece, mail_piece_event

#: Luhn: a digit doubled, its digits summed (one look-up instead of arithmetic per digit).
LUHN_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)
#: Luhn of a pair of digits "ab" whose first is doubled: one look-up per two digits.
LUHN_PAIRS = {f"{a}{b}": LUHN_DOUBLED[a] + b for a in range(10) for b in range(10)}


def luhn_total(digits: str) -> int:
    """The Luhn sum of ``digits`` (ASCII digits), its rightmost digit counted plain: a full id
    with its check digit is valid when this is a multiple of 10. KeyError on a non-digit."""
    if len(digits) % 2:
        digits = "0" + digits
    total = 0
    for i in range(0, len(digits), 2):
        total += LUHN_PAIRS[digits[i : i + 2]]
    return total


def luhn_digit(digits: str) -> str:
    """Luhn check digit, so a mistyped piece id is caught at the branch counter. From the
    right, every other digit of ``digits`` (the rightmost first) is doubled."""
    return str(-luhn_total(digits + "0") % 10)


def piece_id(campaign_id: int, branch_code: str, seq: int) -> str:
    """12-digit piece id: campaign (2) + branch (2) + sequence (7) + Luhn check digit."""
    body = f"{campaign_id % 100:02d}{branch_code}{seq:07d}"
    return body + luhn_digit(body)


def is_valid_piece_id(value: str) -> bool:
    return len(value) == 12 and value.isdigit() and luhn_digit(value[:-1]) == value[-1]


def record_events(
    conn: Connection,
    *,
    piece_ids: Sequence[str],
    from_status: PieceStatus | None,
    to_status: PieceStatus,
    actor: str,
    at: datetime,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one event per piece (bulk)."""
    if not piece_ids:
        return
    text = json.dumps(detail, ensure_ascii=False, default=str) if detail else None
    conn.execute(
        insert(mail_piece_event),
        [
            dict(
                piece_id=p,
                at=at,
                from_status=from_status,
                to_status=to_status,
                actor=actor,
                detail=text,
            )
            for p in piece_ids
        ],
    )


def move_where(
    conn: Connection,
    where: ColumnElement[bool],
    *,
    from_status: PieceStatus | None,
    to_status: PieceStatus,
    actor: str,
    at: datetime,
    detail: dict[str, Any] | None = None,
) -> None:
    """Set-based lifecycle move of every piece matching *where* (which must select pieces in
    ``from_status``): one event row each, then the status. The move is checked against the
    lifecycle once. ``from_status=None`` records the creation events of pieces just inserted
    (already in ``to_status``) and updates nothing."""
    if from_status is not None:
        check_move(from_status, to_status)
    text = json.dumps(detail, ensure_ascii=False, default=str) if detail else None
    conn.execute(
        insert(mail_piece_event).from_select(
            ["piece_id", "at", "from_status", "to_status", "actor", "detail"],
            select(
                mail_piece.c.id,
                literal(at, mail_piece_event.c.at.type),
                literal(str(from_status)) if from_status is not None else null(),
                literal(str(to_status)),
                literal(actor),
                literal(text) if text is not None else null(),
            ).where(where),
        )
    )
    if from_status is not None:
        conn.execute(update(mail_piece).where(where).values(status=to_status, updated_at=at))
