"""Audit rows for registry use cases, written in the caller's transaction."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert

from shikaku.actors import Actor
from shikaku.registry.tables import audit_event


def write_audit(
    conn: Connection,
    *,
    actor: Actor,
    at: datetime,
    action: str,
    subject_type: str,
    subject_id: str | int | None,
    branch_code: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one audit row. ``detail`` must never hold a My Number or a full name."""
    conn.execute(
        insert(audit_event).values(
            at=at,
            actor=actor.login,
            action=action,
            subject_type=subject_type,
            subject_id=None if subject_id is None else str(subject_id),
            branch_code=branch_code,
            detail=json.dumps(detail, ensure_ascii=False, default=str) if detail else None,
        )
    )
