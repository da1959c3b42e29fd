"""Mail-piece ids and lifecycle writes (every status change is an event row)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert

from shikaku.domain.mailpiece import PieceStatus
from shikaku.issuance.tables import mail_piece_event


def luhn_digit(digits: str) -> str:
    """Luhn check digit, so a mistyped piece id is caught at the branch counter."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


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
