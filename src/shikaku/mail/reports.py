"""Returned-mail reports: returns per branch per day by reason, re-routing volumes, the oldest
open returns; CSV files and a PNG chart (matplotlib, ASCII labels, no CJK font needed)."""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from sqlalchemy import Connection, func, select

from shikaku.domain.mailpiece import PieceStatus
from shikaku.issuance.tables import mail_piece
from shikaku.mail.reasons import REASON_INFO, Reason
from shikaku.mail.tables import branch_task, reroute_batch, return_event

OPEN_STATES = (PieceStatus.RETURNED.value, PieceStatus.HELD.value)


@dataclass(frozen=True)
class DayCount:
    branch_code: str
    day: date
    reason: str
    returns: int


@dataclass(frozen=True)
class RerouteVolume:
    run_on: date
    branch_code: str
    envelopes: int
    pieces: int
    members: int
    printed: int
    posted: int


@dataclass(frozen=True)
class OpenReturn:
    piece_id: str
    branch_code: str
    returned_on: date
    reason: str
    status: str
    task: str | None
    age_days: int


def returns_by_day(conn: Connection, *, branch_code: str | None = None) -> list[DayCount]:
    stmt = select(
        return_event.c.branch_code, return_event.c.returned_on, return_event.c.reason, func.count()
    ).group_by(return_event.c.branch_code, return_event.c.returned_on, return_event.c.reason)
    if branch_code is not None:
        stmt = stmt.where(return_event.c.branch_code == branch_code)
    rows = conn.execute(stmt.order_by(return_event.c.branch_code, return_event.c.returned_on))
    return [DayCount(r[0], r[1], r[2], int(r[3])) for r in rows]


def reroute_volumes(conn: Connection, *, branch_code: str | None = None) -> list[RerouteVolume]:
    rb = reroute_batch
    stmt = select(
        rb.c.run_on,
        rb.c.branch_code,
        func.count(),
        func.sum(rb.c.pieces),
        func.sum(rb.c.members),
        func.count(rb.c.printed_at),
        func.count().filter(rb.c.status == "posted"),
    ).group_by(rb.c.run_on, rb.c.branch_code)
    if branch_code is not None:
        stmt = stmt.where(rb.c.branch_code == branch_code)
    return [
        RerouteVolume(r[0], r[1], int(r[2]), int(r[3] or 0), int(r[4] or 0), int(r[5]), int(r[6]))
        for r in conn.execute(stmt.order_by(rb.c.run_on, rb.c.branch_code))
    ]


def oldest_open(
    conn: Connection, *, today: date, branch_code: str | None = None, limit: int = 50
) -> list[OpenReturn]:
    """Returns not yet dealt with (piece returned or held), oldest first."""
    task = (
        select(branch_task.c.kind)
        .where(branch_task.c.return_event_id == return_event.c.id, branch_task.c.status == "open")
        .limit(1)
        .scalar_subquery()
    )
    stmt = (
        select(
            return_event.c.piece_id,
            return_event.c.branch_code,
            return_event.c.returned_on,
            return_event.c.reason,
            mail_piece.c.status,
            task,
        )
        .join(mail_piece, mail_piece.c.id == return_event.c.piece_id)
        .where(mail_piece.c.status.in_(OPEN_STATES), return_event.c.handled_at.is_(None))
        .order_by(return_event.c.returned_on, return_event.c.id)
        .limit(limit)
    )
    if branch_code is not None:
        stmt = stmt.where(return_event.c.branch_code == branch_code)
    return [
        OpenReturn(r[0], r[1], r[2], r[3], r[4], r[5], (today - r[2]).days)
        for r in conn.execute(stmt)
    ]


def write_csv(path: Path, headers: Sequence[str], rows: Sequence[Any]) -> Path:
    """Rows of dataclasses or tuples, UTF-8 with BOM (opens in Excel)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(headers)
        for r in rows:
            w.writerow(
                [getattr(r, h) for h in headers] if hasattr(r, "__dataclass_fields__") else r
            )
    return path


def returns_chart(rows: Sequence[DayCount], path: Path, *, title: str = "Returned mail") -> Path:
    """Stacked bars: returns per day by reason (all branches in ``rows``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    days = sorted({r.day for r in rows})
    by_reason: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for r in rows:
        by_reason[r.reason][r.day] += r.returns
    fig, ax = plt.subplots(figsize=(10, 4.5), constrained_layout=True)
    bottom = [0] * len(days)
    for reason in [x.value for x in Reason]:
        if reason not in by_reason:
            continue
        values = [by_reason[reason].get(d, 0) for d in days]
        label = REASON_INFO[Reason(reason)].label_en
        ax.bar(
            days,  # type: ignore[arg-type]
            values,
            bottom=bottom,
            label=label,
            width=0.8,
        )
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_title(title)
    ax.set_ylabel("returns per day")
    ax.legend(fontsize="small", loc="upper left")
    ax.grid(alpha=0.3, axis="y")
    fig.autofmt_xdate()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_reports(
    conn: Connection, out_dir: Path, *, today: date, branch_code: str | None = None
) -> dict[str, Path]:
    """All reports into ``out_dir``: three CSV files and the chart."""
    days = returns_by_day(conn, branch_code=branch_code)
    return {
        "returns_by_day": write_csv(
            out_dir / "returns_by_day.csv", ["branch_code", "day", "reason", "returns"], days
        ),
        "reroute_volumes": write_csv(
            out_dir / "reroute_volumes.csv",
            ["run_on", "branch_code", "envelopes", "pieces", "members", "printed", "posted"],
            reroute_volumes(conn, branch_code=branch_code),
        ),
        "oldest_open": write_csv(
            out_dir / "oldest_open.csv",
            ["piece_id", "branch_code", "returned_on", "reason", "status", "task", "age_days"],
            oldest_open(conn, today=today, branch_code=branch_code, limit=10_000),
        ),
        "chart": returns_chart(days, out_dir / "returns_by_day.png"),
    }
