"""Returned-mail use cases. Each takes the caller's connection (the caller owns the
transaction), a mandatory actor, and writes its audit row in the same transaction.

* :func:`do_mark_posted` — a wave's printed pieces were handed to the post office;
* :func:`do_mark_reroutes_posted` — the employer envelopes of re-routing runs were posted;
* :func:`do_record_returns` / :func:`do_record_return` — returns from any intake;
* :func:`do_resolve_task` — branch staff close a task on a held piece;
* :func:`do_reroute` lives in :mod:`shikaku.mail.reroute` (it also renders files).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from sqlalchemy import Connection, and_, bindparam, func, insert, literal, select, update

from shikaku.actors import Actor
from shikaku.domain.mailpiece import PieceStatus, check_move
from shikaku.issuance.pieces import move_where, record_events
from shikaku.issuance.tables import certificate, mail_piece, mail_piece_event, wave
from shikaku.mail.ids import PIECE_ID_LENGTH, IdKind, classify, normalise_id
from shikaku.mail.reasons import DEFAULT_RULES, Action, Resolution, ReturnRules, TaskKind
from shikaku.mail.returns import (
    ApplyReport,
    Outcome,
    ReturnInput,
    RowResult,
    apply_returns,
    parse_input,
)
from shikaku.mail.tables import (
    branch_task,
    reroute_batch,
    reroute_item,
    return_event,
    wave_posting,
)
from shikaku.registry.audit import write_audit


class MailError(Exception):
    """A returned-mail step cannot run as asked (bilingual message)."""


@dataclass
class PostReport:
    wave_id: int
    branch_code: str
    posted: int = 0
    already_posted: int = 0
    not_printed: int = 0
    tracking_set: int = 0
    tracking_unknown: list[str] = field(default_factory=list)


def _wave(conn: Connection, campaign_id: int, wave_code: str) -> tuple[int, str]:
    row = conn.execute(
        select(wave.c.id, wave.c.branch_code).where(
            wave.c.campaign_id == campaign_id, wave.c.code == wave_code
        )
    ).first()
    if row is None:
        raise MailError(f"no wave {wave_code!r} / 発送回 {wave_code!r} がありません")
    return int(row.id), str(row.branch_code)


def do_mark_posted(
    conn: Connection,
    *,
    actor: Actor,
    at: datetime,
    campaign_id: int,
    wave_code: str,
    posted_on: date,
    tracking: Mapping[str, str] | None = None,
) -> PostReport:
    """Mark every printed home piece of the wave posted (set-based, one event row each) and
    store 特定記録 tracking numbers. Running it again posts only pieces printed since."""
    wave_id, branch_code = _wave(conn, campaign_id, wave_code)
    actor.require(branch_code)
    report = PostReport(wave_id=wave_id, branch_code=branch_code)
    home = and_(mail_piece.c.wave_id == wave_id, mail_piece.c.parent_piece_id.is_(None))
    printed = and_(home, mail_piece.c.status == PieceStatus.PRINTED.value)
    counts: dict[str, int] = dict(
        conn.execute(
            select(mail_piece.c.status, func.count()).where(home).group_by(mail_piece.c.status)
        ).all()
    )
    report.posted = int(counts.get(PieceStatus.PRINTED.value, 0))
    report.not_printed = int(counts.get(PieceStatus.PLANNED.value, 0))
    report.already_posted = sum(
        int(n)
        for s, n in counts.items()
        if s not in (PieceStatus.PRINTED, PieceStatus.PLANNED, PieceStatus.CANCELLED)
    )
    move_where(
        conn,
        printed,
        from_status=PieceStatus.PRINTED,
        to_status=PieceStatus.POSTED,
        actor=actor.login,
        at=at,
        detail={"posted_on": posted_on.isoformat()},
    )
    if tracking:
        known = set(
            conn.execute(
                select(mail_piece.c.id).where(home, mail_piece.c.id.in_(list(tracking)))
            ).scalars()
        )
        report.tracking_unknown = sorted(set(tracking) - known)
        rows = [dict(pid=p, trk=t) for p, t in tracking.items() if p in known]
        if rows:
            conn.execute(
                update(mail_piece)
                .where(mail_piece.c.id == bindparam("pid"))
                .values(tracking_no=bindparam("trk")),
                rows,
            )
        report.tracking_set = len(rows)
    total_posted = report.posted + report.already_posted
    existing = conn.execute(
        select(wave_posting.c.wave_id).where(wave_posting.c.wave_id == wave_id)
    ).first()
    if existing is None:
        conn.execute(
            insert(wave_posting).values(
                wave_id=wave_id,
                posted_on=posted_on,
                pieces=total_posted,
                with_tracking=report.tracking_set,
                recorded_at=at,
                actor=actor.login,
            )
        )
    else:
        conn.execute(
            update(wave_posting)
            .where(wave_posting.c.wave_id == wave_id)
            .values(
                pieces=total_posted,
                with_tracking=wave_posting.c.with_tracking + report.tracking_set,
            )
        )
    write_audit(
        conn,
        actor=actor,
        at=at,
        action="post-wave",
        subject_type="wave",
        subject_id=wave_id,
        branch_code=branch_code,
        detail={
            "posted_on": posted_on,
            "posted": report.posted,
            "tracking": report.tracking_set,
            "not_printed": report.not_printed,
        },
    )
    return report


def do_mark_reroutes_posted(
    conn: Connection,
    *,
    actor: Actor,
    at: datetime,
    branch_code: str | None = None,
    run_on: date | None = None,
) -> int:
    """Mark printed employer envelopes (and the pieces in them) posted; returns pieces posted."""
    if branch_code is not None:
        actor.require(branch_code)
    elif actor.branch_code is not None:
        branch_code = actor.branch_code
    conds = [reroute_batch.c.status == "printed"]
    if branch_code is not None:
        conds.append(reroute_batch.c.branch_code == branch_code)
    if run_on is not None:
        conds.append(reroute_batch.c.run_on == run_on)
    batches = select(reroute_batch.c.id).where(*conds)
    pieces = select(reroute_item.c.piece_id).where(reroute_item.c.reroute_batch_id.in_(batches))
    ready = and_(mail_piece.c.id.in_(pieces), mail_piece.c.status == PieceStatus.PRINTED.value)
    n = conn.execute(select(func.count()).select_from(mail_piece).where(ready)).scalar_one()
    conn.execute(
        insert(mail_piece_event).from_select(
            ["piece_id", "at", "from_status", "to_status", "actor", "detail"],
            select(
                mail_piece.c.id,
                literal(at),
                literal(PieceStatus.PRINTED.value),
                literal(PieceStatus.POSTED.value),
                literal(actor.login),
                literal('{"route": "employer"}'),
            ).where(ready),
        )
    )
    conn.execute(update(mail_piece).where(ready).values(status=PieceStatus.POSTED, updated_at=at))
    conn.execute(update(reroute_batch).where(*conds).values(status="posted"))
    write_audit(
        conn,
        actor=actor,
        at=at,
        action="post-reroutes",
        subject_type="reroute",
        subject_id=str(run_on) if run_on else None,
        branch_code=branch_code,
        detail={"pieces": int(n)},
    )
    return int(n)


def do_record_returns(
    conn: Connection,
    *,
    actor: Actor,
    at: datetime,
    today: date,
    items: Sequence[ReturnInput],
    source: str,
    rules: ReturnRules = DEFAULT_RULES,
    detail: bool = False,
) -> ApplyReport:
    """Record returns (see :mod:`shikaku.mail.returns`) and one audit row for the intake."""
    report = apply_returns(
        conn,
        actor=actor,
        at=at,
        today=today,
        items=items,
        source=source,
        rules=rules,
        detail=detail,
    )
    write_audit(
        conn,
        actor=actor,
        at=at,
        action="record-returns",
        subject_type="intake",
        subject_id=report.intake_ref,
        branch_code=actor.branch_code,
        detail={"source": source, "rows": report.staged, **report.by_outcome},
    )
    return report


def do_record_return(
    conn: Connection,
    *,
    actor: Actor,
    at: datetime,
    today: date,
    ref: str,
    reason: str,
    returned_on: str | date | None = None,
    source: str = "web",
    rules: ReturnRules = DEFAULT_RULES,
) -> list[RowResult]:
    """One piece (or tracking number, or employer envelope) at the counter or the scanner;
    every answer — new return, duplicate, unknown, never posted — comes back as a row."""
    norm = normalise_id(ref)
    kind = classify(norm)
    parsed = parse_input(
        1,
        ref=norm if kind != IdKind.INVALID else None,
        # a 12-digit 特定記録 number can pass the piece-id check digit by chance: try both
        tracking_no=norm if kind != IdKind.ENVELOPE and 10 <= len(norm) <= 20 else None,
        returned_on=returned_on,
        reason=reason,
        today=today,
    )
    if isinstance(parsed, RowResult):
        return [parsed]
    report = do_record_returns(
        conn,
        actor=actor,
        at=at,
        today=today,
        items=[parsed],
        source=source,
        rules=rules,
        detail=True,
    )
    if kind == IdKind.INVALID and len(norm) == PIECE_ID_LENGTH:
        # not a piece id (check digit) and no such 特定記録 number either: most likely a typo
        return [
            replace(r, outcome=Outcome.INVALID_ID) if r.outcome == Outcome.UNKNOWN_PIECE else r
            for r in report.rows
        ]
    return report.rows


@dataclass(frozen=True)
class TaskView:
    id: int
    branch_code: str
    piece_id: str
    kind: TaskKind
    status: str
    returned_on: date
    reason: str
    created_at: datetime


def open_tasks(conn: Connection, actor: Actor, *, limit: int = 50) -> list[TaskView]:
    """Open tasks the actor may see (their own branch for branch staff), oldest first."""
    stmt = (
        select(
            branch_task.c.id,
            branch_task.c.branch_code,
            branch_task.c.piece_id,
            branch_task.c.kind,
            branch_task.c.status,
            return_event.c.returned_on,
            return_event.c.reason,
            branch_task.c.created_at,
        )
        .join(return_event, return_event.c.id == branch_task.c.return_event_id)
        .where(branch_task.c.status == "open")
        .order_by(return_event.c.returned_on, branch_task.c.id)
        .limit(limit)
    )
    if actor.branch_code is not None and not actor.can_access(None):
        stmt = stmt.where(branch_task.c.branch_code == actor.branch_code)
    return [
        TaskView(r[0], r[1], r[2], TaskKind(r[3]), r[4], r[5], r[6], r[7])
        for r in conn.execute(stmt)
    ]


_RESOLUTION_STATUS = {
    Resolution.RESEND_HOME: PieceStatus.RESENT,
    Resolution.HANDED_OVER: PieceStatus.DELIVERED,
    Resolution.DESTROY: PieceStatus.DESTROYED,
}


def do_resolve_task(
    conn: Connection,
    *,
    actor: Actor,
    at: datetime,
    task_id: int,
    resolution: Resolution,
    note: str | None = None,
) -> None:
    """Close an open task on a held piece: re-send it home (address corrected), queue it for
    the next re-routing run, record a hand-over at the branch, or destroy it."""
    task = conn.execute(select(branch_task).where(branch_task.c.id == task_id)).mappings().first()
    if task is None:
        raise MailError(f"no task {task_id} / タスク {task_id} がありません")
    actor.require(task["branch_code"])
    if task["status"] != "open":
        raise MailError(f"task {task_id} is already closed / タスク {task_id} は完了済みです")
    pid = task["piece_id"]
    status = PieceStatus(
        conn.execute(select(mail_piece.c.status).where(mail_piece.c.id == pid)).scalar_one()
    )
    if status != PieceStatus.HELD:
        raise MailError(f"piece {pid} is {status}, not held / 郵便物 {pid} は保管中ではありません")
    event_id = task["return_event_id"]
    if resolution == Resolution.REROUTE:
        if task["kind"] in (TaskKind.NO_EMPLOYER, TaskKind.RETURNED_FROM_EMPLOYER):
            raise MailError(
                "this piece cannot go to the employer / この郵便物は事業所あてに送付できません"
            )
        conn.execute(
            update(return_event)
            .where(return_event.c.id == event_id)
            .values(action=Action.REROUTE_EMPLOYER.value)
        )
    else:
        to = _RESOLUTION_STATUS[resolution]
        check_move(status, to)
        conn.execute(
            update(mail_piece).where(mail_piece.c.id == pid).values(status=to, updated_at=at)
        )
        record_events(
            conn,
            piece_ids=[pid],
            from_status=status,
            to_status=to,
            actor=actor.login,
            at=at,
            detail={"task": task_id, "resolution": resolution.value},
        )
        conn.execute(
            update(return_event).where(return_event.c.id == event_id).values(handled_at=at)
        )
        if resolution == Resolution.DESTROY:
            origin = _origin_piece(conn, pid)
            conn.execute(
                update(certificate)
                .where(certificate.c.piece_id == origin, certificate.c.status == "active")
                .values(status="void")
            )
    conn.execute(
        update(branch_task)
        .where(branch_task.c.id == task_id)
        .values(
            status="done",
            resolved_at=at,
            resolution=resolution.value,
            resolved_by=actor.login,
            note=note,
        )
    )
    write_audit(
        conn,
        actor=actor,
        at=at,
        action="resolve-return-task",
        subject_type="branch_task",
        subject_id=task_id,
        branch_code=task["branch_code"],
        detail={"piece": pid, "resolution": resolution.value},
    )


def _origin_piece(conn: Connection, pid: str) -> str:
    """The home piece at the root of a chain of re-sends (its certificates hang on it)."""
    current = pid
    for _ in range(10):
        parent = conn.execute(
            select(mail_piece.c.parent_piece_id).where(mail_piece.c.id == current)
        ).scalar()
        if parent is None:
            return current
        current = parent
    return current
