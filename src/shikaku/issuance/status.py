"""Campaign progress per branch (one grouped query per table)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, case, func, select

from shikaku.domain.mailpiece import PieceStatus
from shikaku.issuance.tables import mail_piece, target

STATUS_COLUMNS = (
    "targeted",
    "held",
    "dropped",
    "printed",
    "posted",
    "returned",
    "rerouted",
    "pending",
)


@dataclass
class BranchStatus:
    branch_code: str
    targeted: int = 0
    held: int = 0
    dropped: int = 0
    printed: int = 0
    posted: int = 0
    returned: int = 0
    rerouted: int = 0
    pending: int = 0


def campaign_status(conn: Connection, campaign_id: int) -> list[BranchStatus]:
    """People targeted/held/dropped; envelopes printed, posted, returned, re-routed, pending.

    ``printed`` counts pieces that reached print or any later state; ``pending`` counts pieces
    planned but not printed yet plus targets not yet in an envelope."""
    out: dict[str, BranchStatus] = {}
    t = conn.execute(
        select(
            target.c.branch_code,
            func.count(),
            func.sum(case((target.c.status == "held", 1), else_=0)),
            func.sum(case((target.c.status == "dropped-left", 1), else_=0)),
            func.sum(case((target.c.status == "targeted", 1), else_=0)),
        )
        .where(target.c.campaign_id == campaign_id)
        .group_by(target.c.branch_code)
    )
    for code, n, held, dropped, waiting in t:
        out[code] = BranchStatus(
            code,
            targeted=int(n),
            held=int(held or 0),
            dropped=int(dropped or 0),
            pending=int(waiting or 0),
        )
    after_print = [
        s.value for s in PieceStatus if s not in (PieceStatus.PLANNED, PieceStatus.CANCELLED)
    ]
    after_post = [
        s.value
        for s in PieceStatus
        if s not in (PieceStatus.PLANNED, PieceStatus.CANCELLED, PieceStatus.PRINTED)
    ]
    p = conn.execute(
        select(
            mail_piece.c.branch_code,
            func.sum(case((mail_piece.c.status.in_(after_print), 1), else_=0)),
            func.sum(case((mail_piece.c.status.in_(after_post), 1), else_=0)),
            func.sum(case((mail_piece.c.status == PieceStatus.RETURNED, 1), else_=0)),
            func.sum(case((mail_piece.c.status == PieceStatus.REROUTED, 1), else_=0)),
            func.sum(case((mail_piece.c.status == PieceStatus.PLANNED, 1), else_=0)),
        )
        .where(mail_piece.c.campaign_id == campaign_id, mail_piece.c.parent_piece_id.is_(None))
        .group_by(mail_piece.c.branch_code)
    )
    for code, printed, posted, returned, rerouted, planned in p:
        s = out.setdefault(code, BranchStatus(code))
        s.printed, s.posted = int(printed or 0), int(posted or 0)
        s.returned, s.rerouted = int(returned or 0), int(rerouted or 0)
        s.pending += int(planned or 0)
    return [out[k] for k in sorted(out)]
