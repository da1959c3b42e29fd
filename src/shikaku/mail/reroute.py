"""Daily re-routing of returned pieces to employers (``shikaku mail reroute``).

Two phases, each crash-safe:

1. **Plan** (one transaction, set-based): take every return whose action is
   ``reroute-employer`` and that has no employer piece yet; check each again — members who
   have all left the insurer since are not re-sent (piece destroyed, certificates void, the
   employer is not bothered), certificates of individual leavers are voided (staff pull them
   out), 任意継続 members and employers without an address are held with a task — then group
   the rest by employer: one envelope (``reroute_batch``) per employer, one new ``mail_piece``
   per returned piece (route ``employer``, ``parent_piece_id`` = the returned piece, id from
   the re-route number space), the returned piece moves to ``rerouted``.
2. **Render** (one transaction per file, after the file is in place): the cover letters
   (送付書) of not-yet-printed envelopes, up to :data:`COVERS_PER_FILE` per print-ready PDF,
   preflighted; the envelopes and their pieces become ``printed``. Then the run's manifest CSV
   is (re)written from the database.

A crash in phase 1 rolls back; a crash in phase 2 leaves planned envelopes that the next run
renders. Every piece is in exactly one state at every moment.
"""

from __future__ import annotations

import contextlib
import csv
import logging
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Connection,
    Date,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    case,
    func,
    insert,
    literal,
    or_,
    select,
    true,
    update,
)

from shikaku.actors import Actor
from shikaku.clock import Clock
from shikaku.domain.mailpiece import PieceStatus, check_move
from shikaku.issuance.pieces import move_where
from shikaku.issuance.prepare import split_address
from shikaku.issuance.render import preflight
from shikaku.issuance.render.cover import CoverLetter, CoverMember, render_cover_letters
from shikaku.issuance.render.font import MissingGlyphsError
from shikaku.issuance.sender import sender_for
from shikaku.issuance.tables import certificate, mail_piece, mail_piece_event
from shikaku.mail.ids import (
    envelope_id_sql,
    luhn_number_sql,
    reroute_piece_body_sql,
    reroute_seq_sql,
    zpad,
)
from shikaku.mail.reasons import Action, TaskKind
from shikaku.mail.returns import employer_reachable, fix_origins, member_facts, roomy, tune
from shikaku.mail.service import MailError
from shikaku.mail.tables import branch_task, reroute_batch, reroute_item, return_event
from shikaku.registry.audit import write_audit
from shikaku.registry.tables import employer, membership, person

log = logging.getLogger(__name__)

COVERS_PER_FILE = 500  # envelopes per print file; patchable in tests
#: PostgreSQL: groups of branches planned side by side (one connection each), see plan_reroute.
PLAN_WORKERS = 2
QUEUE_STATUSES = (PieceStatus.RETURNED.value, PieceStatus.HELD.value)


@dataclass
class RerouteReport:
    run_on: date
    run_seq: int = 0
    queued: int = 0
    destroyed: int = 0
    held: int = 0
    certificates_voided: int = 0
    envelopes: int = 0
    pieces: int = 0
    members: int = 0
    files_rendered: int = 0
    files_failed: list[tuple[str, str]] = field(default_factory=list)
    manifests: list[Path] = field(default_factory=list)


def _staging(conn: Connection) -> tuple[Table, Table]:
    md = MetaData()
    t = Table(
        "tmp_reroute",
        md,
        Column("event_id", BigInteger, primary_key=True, autoincrement=False),
        Column("piece_id", String(20), nullable=False),
        Column("from_status", String(20), nullable=False),
        Column("campaign_id", Integer, nullable=False),
        Column("wave_id", Integer, nullable=False),
        Column("branch_code", String(2), nullable=False),
        Column("employer_id", BigInteger, nullable=False),
        Column("insured_person_id", BigInteger, nullable=False),
        Column("origin_id", String(20)),
        Column("members", Integer),
        Column("voluntary", Integer),
        Column("reachable", Integer),
        prefixes=["TEMPORARY"],
    )
    n = Table(
        "tmp_reroute_new",
        md,
        Column("event_id", BigInteger, primary_key=True, autoincrement=False),
        Column("piece_id", String(20), nullable=False),
        Column("from_status", String(20), nullable=False),
        Column("child_id", String(20), nullable=False),
        Column("batch_id", Integer, nullable=False),
        prefixes=["TEMPORARY"],
    )
    for x in (n, t):
        x.drop(conn, checkfirst=True)
    for x in (t, n):
        x.create(conn)
    roomy(conn, t)  # the member facts are filled in by an update of every row
    return t, n


def do_plan_reroute(
    conn: Connection,
    *,
    actor: Actor,
    at: datetime,
    run_on: date,
    today: date,
    branch_code: str | None = None,
    branch_codes: Sequence[str] | None = None,
    run_seq: int | None = None,
    analyze: bool = True,
) -> RerouteReport:
    """Phase 1 (see the module docstring), in the caller's transaction.

    ``branch_codes`` limits the run to those branches and ``run_seq`` gives its number for the
    day (:func:`plan_reroute` plans groups of branches side by side under one number);
    ``analyze=False`` when the caller has just refreshed the statistics."""
    if branch_code is not None:
        actor.require(branch_code)
    elif actor.branch_code is not None and not actor.can_access(None):
        branch_code = actor.branch_code
    scope: list[str] | None = None
    if branch_code is not None:
        scope = [branch_code]
    if branch_codes is not None:
        for code in branch_codes:
            actor.require(code)
        scope = [c for c in branch_codes if scope is None or c in scope]
    report = RerouteReport(run_on=run_on)
    t, n = _staging(conn)
    if analyze:
        # a day's intake may have added (and moved) more returns and pieces than autovacuum
        # has seen: fresh statistics let the planner hash-join the queue instead of probing
        # one by one
        tune(conn, return_event, mail_piece)
    else:
        tune(conn)
    # the queue: returned (or held, when staff asked for it) pieces whose latest return says
    # "to the employer" and that have no employer piece yet
    queue = (
        select(
            return_event.c.id,
            mail_piece.c.id,
            mail_piece.c.status,
            mail_piece.c.campaign_id,
            mail_piece.c.wave_id,
            mail_piece.c.branch_code,
            mail_piece.c.employer_id,
            mail_piece.c.insured_person_id,
            func.coalesce(mail_piece.c.parent_piece_id, mail_piece.c.id),
        )
        .select_from(mail_piece)
        .join(return_event, return_event.c.piece_id == mail_piece.c.id)
        .where(
            mail_piece.c.status.in_(QUEUE_STATUSES),
            return_event.c.action == Action.REROUTE_EMPLOYER.value,
            ~select(reroute_item.c.piece_id)
            .where(reroute_item.c.return_event_id == return_event.c.id)
            .exists(),
        )
    )
    if scope is not None:
        queue = queue.where(mail_piece.c.branch_code.in_(scope))
    cols = [
        "event_id", "piece_id", "from_status", "campaign_id", "wave_id", "branch_code",
        "employer_id", "insured_person_id", "origin_id",
    ]  # fmt: skip
    conn.execute(insert(t).from_select(cols, queue))
    report.queued = conn.execute(select(func.count()).select_from(t)).scalar_one()
    if not report.queued:
        for x in (n, t):
            x.drop(conn)
        return report
    fix_origins(conn, t)
    tune(conn, t)

    # Who is still a member, 任意継続, employer reachable: one grouped pass, one update.
    facts = member_facts(select(t.c.origin_id), today)
    facts_of = (
        select(
            t.c.event_id.label("event_id"),
            func.coalesce(facts.c.active, 0).label("members"),
            func.coalesce(facts.c.voluntary, 0).label("voluntary"),
            case((employer_reachable(), 1), else_=0).label("reachable"),
        )
        .select_from(
            t.outerjoin(facts, facts.c.piece_id == t.c.origin_id).outerjoin(
                employer, employer.c.id == t.c.employer_id
            )
        )
        .subquery()
    )
    conn.execute(
        update(t)
        .where(t.c.event_id == facts_of.c.event_id)
        .values(
            members=facts_of.c.members,
            voluntary=facts_of.c.voluntary,
            reachable=facts_of.c.reachable,
        )
    )

    # Certificates of members who left are void, whether or not the piece still travels.
    left_certs = and_(
        certificate.c.status == "active",
        certificate.c.piece_id.in_(select(t.c.origin_id)),
        certificate.c.membership_id.in_(
            select(membership.c.id).where(
                membership.c.valid_to.is_not(None), membership.c.valid_to < today
            )
        ),
    )
    report.certificates_voided = conn.execute(
        select(func.count()).select_from(certificate).where(left_certs)
    ).scalar_one()
    if report.certificates_voided:
        conn.execute(update(certificate).where(left_certs).values(status="void"))

    # Nobody left to hand it to: destroy, do not bother the employer.
    gone = t.c.members == 0
    _check(conn, t, gone, PieceStatus.DESTROYED)
    report.destroyed = _move_parents(conn, t, gone, PieceStatus.DESTROYED, at, actor)
    if report.destroyed:
        conn.execute(
            update(return_event)
            .where(return_event.c.id.in_(select(t.c.event_id).where(gone)))
            .values(action=Action.DESTROY.value, handled_at=at)
        )
        conn.execute(
            update(branch_task)
            .where(
                branch_task.c.piece_id.in_(select(t.c.piece_id).where(gone)),
                branch_task.c.status == "open",
            )
            .values(status="done", resolved_at=at, resolution="destroy", resolved_by=actor.login)
        )
        conn.execute(t.delete().where(gone))

    # Nobody to send it to: hold with a task (任意継続, employer without an address).
    blocked = or_(t.c.voluntary == 1, t.c.reachable == 0)
    kind = case(
        (t.c.voluntary == 1, literal(TaskKind.NO_EMPLOYER.value)),
        else_=literal(TaskKind.EMPLOYER_ADDRESS_MISSING.value),
    )
    if conn.execute(select(func.count()).select_from(t).where(blocked)).scalar_one():
        conn.execute(
            insert(branch_task).from_select(
                ["branch_code", "piece_id", "return_event_id", "kind", "status", "created_at"],
                select(
                    t.c.branch_code, t.c.piece_id, t.c.event_id, kind, literal("open"), literal(at)
                ).where(
                    blocked,
                    ~select(branch_task.c.id)
                    .where(
                        branch_task.c.return_event_id == t.c.event_id,
                        branch_task.c.kind == kind,
                    )
                    .exists(),
                ),
            )
        )
        newly_held = and_(blocked, t.c.from_status == PieceStatus.RETURNED.value)
        _check(conn, t, newly_held, PieceStatus.HELD)
        report.held = _move_parents(conn, t, newly_held, PieceStatus.HELD, at, actor)
        conn.execute(
            update(return_event)
            .where(return_event.c.id.in_(select(t.c.event_id).where(blocked)))
            .values(action=Action.HOLD_AT_BRANCH.value)
        )
        conn.execute(t.delete().where(blocked))

    n_left = conn.execute(select(func.count()).select_from(t)).scalar_one()
    if n_left:
        report.run_seq = _plan_envelopes(
            conn, t, n, run_on=run_on, at=at, actor=actor, scope=scope, run_seq=run_seq
        )
        report.envelopes, report.pieces, report.members = conn.execute(
            select(
                func.count(func.distinct(n.c.batch_id)),
                func.count(),
                select(func.sum(t.c.members)).scalar_subquery(),
            )
        ).one()
    write_audit(
        conn,
        actor=actor,
        at=at,
        action="plan-reroute",
        subject_type="reroute",
        subject_id=f"{run_on}-{report.run_seq}",
        branch_code=branch_code,
        detail={
            "branches": scope,
            "queued": report.queued,
            "envelopes": report.envelopes,
            "pieces": report.pieces,
            "destroyed": report.destroyed,
            "held": report.held,
            "certificates_voided": report.certificates_voided,
        },
    )
    for x in (n, t):
        x.drop(conn)
    return report


def _check(conn: Connection, t: Table, where: Any, to: PieceStatus) -> None:
    for (status,) in conn.execute(select(t.c.from_status).where(where).distinct()):
        check_move(PieceStatus(status), to)


def _move_parents(
    conn: Connection, t: Table, where: Any, to: PieceStatus, at: datetime, actor: Actor
) -> int:
    conn.execute(
        insert(mail_piece_event).from_select(
            ["piece_id", "at", "from_status", "to_status", "actor", "detail"],
            select(
                t.c.piece_id,
                literal(at),
                t.c.from_status,
                literal(to.value),
                literal(actor.login),
                literal('{"step": "reroute"}'),
            ).where(where),
        )
    )
    return int(
        conn.execute(
            update(mail_piece)
            .where(mail_piece.c.id.in_(select(t.c.piece_id).where(where)))
            .values(status=to.value, updated_at=at)
        ).rowcount
        or 0
    )


def next_run_seq(conn: Connection, run_on: date) -> int:
    """The number of the day's next re-routing run."""
    return 1 + int(
        conn.execute(
            select(func.coalesce(func.max(reroute_batch.c.run_seq), 0)).where(
                reroute_batch.c.run_on == run_on
            )
        ).scalar_one()
    )


def _plan_envelopes(
    conn: Connection,
    t: Table,
    n: Table,
    *,
    run_on: date,
    at: datetime,
    actor: Actor,
    scope: Sequence[str] | None = None,
    run_seq: int | None = None,
) -> int:
    """One envelope per employer, one numbered employer piece per returned piece; returns the
    run's sequence number for the day. With a *scope* (branch codes) only those branches'
    numbers and envelopes are read and written, so groups of branches can be planned side by
    side under one *run_seq*."""
    if run_seq is None:
        run_seq = next_run_seq(conn, run_on)
    conn.execute(
        insert(reroute_batch).from_select(
            ["run_on", "run_seq", "branch_code", "employer_id", "pieces", "members", "status",
             "created_at"],
            select(
                literal(run_on, Date),
                literal(run_seq),
                t.c.branch_code,
                t.c.employer_id,
                func.count(),
                func.sum(t.c.members),
                literal("planned"),
                literal(at),
            ).group_by(t.c.branch_code, t.c.employer_id),
        )
    )  # fmt: skip
    this_run = and_(reroute_batch.c.run_on == run_on, reroute_batch.c.run_seq == run_seq)
    if scope is not None:
        this_run = and_(this_run, reroute_batch.c.branch_code.in_(scope))
    # piece numbers continue after the highest re-route number of the campaign and branch
    children: ColumnElement[bool] = mail_piece.c.parent_piece_id.is_not(None)
    if scope is not None:
        children = and_(children, mail_piece.c.branch_code.in_(scope))
    base = (
        select(
            mail_piece.c.campaign_id.label("campaign_id"),
            mail_piece.c.branch_code.label("branch_code"),
            func.max(reroute_seq_sql(mail_piece.c.id)).label("top"),
        )
        .where(children)
        .group_by(mail_piece.c.campaign_id, mail_piece.c.branch_code)
        .subquery()
    )
    numbered = (
        select(
            t.c.event_id,
            t.c.piece_id,
            t.c.from_status,
            t.c.campaign_id,
            t.c.branch_code,
            reroute_batch.c.id.label("batch_id"),
            # the id's digits as one integer column, so the check digit reads a column
            reroute_piece_body_sql(
                t.c.campaign_id,
                t.c.branch_code,
                func.row_number().over(
                    partition_by=(t.c.campaign_id, t.c.branch_code),
                    order_by=(t.c.employer_id, t.c.piece_id),
                )
                + func.coalesce(base.c.top, 0),
            ).label("body"),
        )
        .select_from(
            t.join(
                reroute_batch,
                and_(
                    this_run,
                    reroute_batch.c.branch_code == t.c.branch_code,
                    reroute_batch.c.employer_id == t.c.employer_id,
                ),
            ).outerjoin(
                base,
                and_(base.c.campaign_id == t.c.campaign_id, base.c.branch_code == t.c.branch_code),
            )
        )
        .subquery()
    )
    conn.execute(
        insert(n).from_select(
            ["event_id", "piece_id", "from_status", "child_id", "batch_id"],
            select(
                numbered.c.event_id,
                numbered.c.piece_id,
                numbered.c.from_status,
                luhn_number_sql(numbered.c.body, 11),
                numbered.c.batch_id,
            ),
        )
    )
    tune(conn, n)
    # envelope ids, and print files: envelopes in postal-code order, COVERS_PER_FILE to a file,
    # per branch (one pass over the run's envelopes)
    order = (
        select(
            reroute_batch.c.id,
            func.row_number()
            .over(
                partition_by=reroute_batch.c.branch_code,
                order_by=(employer.c.postal_code, employer.c.symbol, reroute_batch.c.id),
            )
            .label("rn"),
        )
        .join(employer, employer.c.id == reroute_batch.c.employer_id)
        .where(this_run)
        .subquery()
    )
    prefix = f"reroute-{run_on.isoformat()}-{run_seq}/"
    conn.execute(
        update(reroute_batch)
        .where(reroute_batch.c.id == order.c.id)
        .values(
            envelope_id=envelope_id_sql(reroute_batch.c.branch_code, reroute_batch.c.id),
            file_name=literal(prefix)
            + reroute_batch.c.branch_code
            + literal("/covers-")
            + zpad((order.c.rn - 1) // COVERS_PER_FILE + 1, 4)
            + literal(".pdf"),
            file_pos=(order.c.rn - 1) % COVERS_PER_FILE + 1,
        )
    )
    # the new pieces, then the returned ones move to rerouted
    conn.execute(
        insert(mail_piece).from_select(
            ["id", "campaign_id", "wave_id", "insured_person_id", "employer_id", "branch_code",
             "route", "postal_code", "members", "status", "parent_piece_id", "updated_at"],
            select(
                n.c.child_id,
                t.c.campaign_id,
                t.c.wave_id,
                t.c.insured_person_id,
                t.c.employer_id,
                t.c.branch_code,
                literal("employer"),
                func.coalesce(employer.c.postal_code, ""),
                t.c.members,
                literal(PieceStatus.PLANNED.value),
                t.c.piece_id,
                literal(at),
            )
            .select_from(n)
            .join(t, t.c.event_id == n.c.event_id)
            .join(employer, employer.c.id == t.c.employer_id),
        )
    )  # fmt: skip
    conn.execute(
        insert(mail_piece_event).from_select(
            ["piece_id", "at", "from_status", "to_status", "actor", "detail"],
            select(
                n.c.child_id,
                literal(at),
                literal(None, String),
                literal(PieceStatus.PLANNED.value),
                literal(actor.login),
                literal('{"route": "employer"}'),
            ),
        )
    )
    _check(conn, n, true(), PieceStatus.REROUTED)
    _move_parents(conn, n, true(), PieceStatus.REROUTED, at, actor)
    conn.execute(
        insert(reroute_item).from_select(
            ["piece_id", "reroute_batch_id", "return_event_id", "parent_piece_id"],
            select(n.c.child_id, n.c.batch_id, n.c.event_id, n.c.piece_id),
        )
    )
    return run_seq


def split_branches(sizes: dict[str, int], groups: int) -> list[list[str]]:
    """Branch codes in *groups* groups of about equal work (largest first, each to the
    lightest group so far); empty groups are left out."""
    loads = [0] * max(1, groups)
    out: list[list[str]] = [[] for _ in loads]
    for code, size in sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0])):
        i = loads.index(min(loads))
        loads[i] += size
        out[i].append(code)
    return [sorted(g) for g in out if g]


def plan_reroute(
    engine: Engine,
    *,
    actor: Actor,
    at: datetime,
    run_on: date,
    today: date,
    branch_code: str | None = None,
    workers: int | None = None,
) -> RerouteReport:
    """Phase 1 for the whole queue. On PostgreSQL the branches are split into ``workers``
    groups of about equal size (default :data:`PLAN_WORKERS`), each planned in a transaction
    of its own on its own connection, side by side, under one run number: the statements are
    set-based and run in the database, so two connections keep two cores busy. A group that
    fails rolls back alone and the error is raised after the others finished; a rerun plans
    what is left (the queue skips returns that already have an employer piece). Ctrl-C
    cancels the groups' running statements, so they roll back at once. SQLite (one writer at
    a time) and a single branch plan in one transaction."""
    workers = PLAN_WORKERS if workers is None else workers
    if branch_code is None and actor.branch_code is not None and not actor.can_access(None):
        branch_code = actor.branch_code  # branch staff plan their own branch only
    if engine.dialect.name != "postgresql" or workers < 2 or branch_code is not None:
        with engine.begin() as conn:
            return do_plan_reroute(
                conn, actor=actor, at=at, run_on=run_on, today=today, branch_code=branch_code
            )
    with engine.begin() as conn:
        tune(conn, return_event, mail_piece)
        waiting = select(mail_piece.c.branch_code, func.count()).where(
            mail_piece.c.status.in_(QUEUE_STATUSES)
        )
        sizes: dict[str, int] = {
            code: int(count)
            for code, count in conn.execute(waiting.group_by(mail_piece.c.branch_code))
        }
        run_seq = next_run_seq(conn, run_on)
    groups = split_branches(sizes, workers)
    in_flight: set[Any] = set()  # DBAPI connections of the groups planning now
    lock = threading.Lock()

    def plan_group(codes: list[str]) -> RerouteReport:
        with engine.begin() as conn:
            raw = conn.connection.dbapi_connection
            with lock:
                in_flight.add(raw)
            try:
                return do_plan_reroute(
                    conn,
                    actor=actor,
                    at=at,
                    run_on=run_on,
                    today=today,
                    branch_codes=codes,
                    run_seq=run_seq,
                    analyze=False,
                )
            finally:
                with lock:
                    in_flight.discard(raw)

    if len(groups) < 2:
        return plan_group(groups[0] if groups else [])
    pool = ThreadPoolExecutor(max_workers=len(groups), thread_name_prefix="reroute-plan")
    try:
        futures = [pool.submit(plan_group, codes) for codes in groups]
        wait(futures)
    except KeyboardInterrupt:
        # Ctrl-C: cancel the statements running in the groups' transactions, which then roll
        # back, instead of waiting minutes for them to commit; a rerun plans the whole queue.
        # (A group caught between two statements finishes and commits: a whole group either way.)
        with lock:
            for raw in in_flight:
                with contextlib.suppress(Exception):
                    raw.cancel_safe(timeout=5.0)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    report = RerouteReport(run_on=run_on)
    errors = []
    for future in futures:
        err = future.exception()
        if err is not None:
            errors.append(err)
            continue
        part = future.result()
        report.run_seq = max(report.run_seq, part.run_seq)
        for name in ("queued", "destroyed", "held", "certificates_voided", "envelopes",
                     "pieces", "members"):  # fmt: skip
            setattr(report, name, getattr(report, name) + (getattr(part, name) or 0))
    if errors:
        raise errors[0]
    return report


# -- phase 2: cover letters -------------------------------------------------------------------


def _cover_letters(conn: Connection, file_name: str, letter_date: date) -> list[CoverLetter]:
    batches = conn.execute(
        select(
            reroute_batch.c.id,
            reroute_batch.c.envelope_id,
            reroute_batch.c.branch_code,
            reroute_batch.c.pieces,
            employer.c.symbol,
            employer.c.name,
            employer.c.postal_code,
            employer.c.address,
        )
        .join(employer, employer.c.id == reroute_batch.c.employer_id)
        .where(reroute_batch.c.file_name == file_name)
        .order_by(reroute_batch.c.file_pos)
    ).all()
    members: dict[int, list[CoverMember]] = {b.id: [] for b in batches}
    origin = func.coalesce(mail_piece.c.parent_piece_id, mail_piece.c.id)
    rows = conn.execute(
        select(
            reroute_item.c.reroute_batch_id,
            reroute_item.c.piece_id.label("child_piece_id"),
            membership.c.symbol,
            membership.c.number,
            membership.c.branch_no,
            membership.c.relationship,
            person.c.family_name,
            person.c.given_name,
        )
        .select_from(reroute_item)
        .join(mail_piece, mail_piece.c.id == reroute_item.c.parent_piece_id)
        .join(certificate, certificate.c.piece_id == origin)
        .join(membership, membership.c.id == certificate.c.membership_id)
        .join(person, person.c.id == certificate.c.person_id)
        .where(
            reroute_item.c.reroute_batch_id.in_([b.id for b in batches]),
            certificate.c.status == "active",
        )
        .order_by(
            reroute_item.c.reroute_batch_id,
            membership.c.symbol,
            func.length(membership.c.number),
            membership.c.number,
            membership.c.branch_no,
        )
    )
    for r in rows:
        members[r.reroute_batch_id].append(
            CoverMember(
                member_key=f"{r.symbol}・{r.number}・{r.branch_no}",
                name=f"{r.family_name}　{r.given_name}",
                relationship="本人" if r.relationship == 1 else "家族",
                piece_id=r.child_piece_id,
            )
        )
    return [
        CoverLetter(
            envelope_id=b.envelope_id,
            postal_code=b.postal_code or "",
            address_lines=split_address(b.address or ""),
            employer_name=b.name,
            employer_symbol=b.symbol,
            members=members[b.id],
            sender=sender_for(b.branch_code),
            letter_date=letter_date,
            pieces=b.pieces,
        )
        for b in batches
    ]


def render_planned(
    engine: Engine,
    clock: Clock,
    *,
    actor: Actor,
    out_dir: Path,
    branch_code: str | None = None,
    font_path: str | None = None,
    report: RerouteReport | None = None,
) -> RerouteReport:
    """Phase 2: render every file that still has planned envelopes (any run), record it."""
    report = report or RerouteReport(run_on=clock.today())
    with engine.connect() as conn:
        stmt = select(reroute_batch.c.file_name).where(reroute_batch.c.status == "planned")
        if branch_code is not None:
            stmt = stmt.where(reroute_batch.c.branch_code == branch_code)
        files = sorted(set(conn.execute(stmt).scalars()))
    for file_name in files:
        path = out_dir / file_name
        path.parent.mkdir(parents=True, exist_ok=True)
        with engine.connect() as conn:
            letters = _cover_letters(conn, file_name, clock.today())
        try:
            result = render_cover_letters(letters, path, font_path=font_path)
        except (MissingGlyphsError, ValueError) as err:
            report.files_failed.append((file_name, str(err)))
            log.error("cover letters failed", extra={"file": file_name})
            continue
        problems = preflight(path, expected_pages=result.pages)
        if problems:
            report.files_failed.append((file_name, "; ".join(p.code for p in problems)))
            continue
        _record_file(engine, clock, actor, file_name, result.page_ranges)
        report.files_rendered += 1
    return report


def _record_file(
    engine: Engine,
    clock: Clock,
    actor: Actor,
    file_name: str,
    page_ranges: list[tuple[str, int, int]],
) -> None:
    at = clock.now()
    with engine.begin() as conn:
        for env_id, first, last in page_ranges:
            conn.execute(
                update(reroute_batch)
                .where(reroute_batch.c.envelope_id == env_id, reroute_batch.c.status == "planned")
                .values(status="printed", first_page=first, last_page=last, printed_at=at)
            )
        in_file = select(reroute_batch.c.id).where(reroute_batch.c.file_name == file_name)
        ready = and_(
            mail_piece.c.id.in_(
                select(reroute_item.c.piece_id).where(reroute_item.c.reroute_batch_id.in_(in_file))
            ),
            mail_piece.c.status == PieceStatus.PLANNED.value,
        )
        move_where(
            conn,
            ready,
            from_status=PieceStatus.PLANNED,
            to_status=PieceStatus.PRINTED,
            actor=actor.login,
            at=at,
            detail={"file": file_name},
        )


MANIFEST_COLUMNS = (
    "envelope_id",
    "file",
    "pages",
    "employer_symbol",
    "employer_name",
    "postal_code",
    "address",
    "piece_id",
    "returned_piece_id",
    "member_key",
    "relationship",
    "enclose",
)


def write_manifest(conn: Connection, out_dir: Path, run_on: date, run_seq: int) -> Path:
    """The staff's packing list for one run: per envelope, which returned pieces go in, and
    which certificates to pull out and shred (members who left)."""
    folder = out_dir / f"reroute-{run_on.isoformat()}-{run_seq}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "manifest.csv"
    origin = func.coalesce(mail_piece.c.parent_piece_id, mail_piece.c.id)
    rows = conn.execute(
        select(
            reroute_batch.c.envelope_id,
            reroute_batch.c.file_name,
            reroute_batch.c.first_page,
            reroute_batch.c.last_page,
            employer.c.symbol,
            employer.c.name,
            employer.c.postal_code,
            employer.c.address,
            reroute_item.c.piece_id,
            reroute_item.c.parent_piece_id,
            membership.c.symbol,
            membership.c.number,
            membership.c.branch_no,
            membership.c.relationship,
            certificate.c.status,
        )
        .select_from(reroute_batch)
        .join(employer, employer.c.id == reroute_batch.c.employer_id)
        .join(reroute_item, reroute_item.c.reroute_batch_id == reroute_batch.c.id)
        .join(mail_piece, mail_piece.c.id == reroute_item.c.parent_piece_id)
        .join(certificate, certificate.c.piece_id == origin)
        .join(membership, membership.c.id == certificate.c.membership_id)
        .where(reroute_batch.c.run_on == run_on, reroute_batch.c.run_seq == run_seq)
        .order_by(
            reroute_batch.c.file_name,
            reroute_batch.c.file_pos,
            reroute_item.c.piece_id,
            membership.c.branch_no,
        )
    )
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(MANIFEST_COLUMNS)
        for r in rows:
            pages = f"{r[2]}-{r[3]}" if r[2] is not None else ""
            enclose = "同封 enclose" if r[14] == "active" else "抜き取り廃棄 remove, shred"
            w.writerow(
                [
                    r[0],
                    r[1],
                    pages,
                    r[4],
                    r[5],
                    r[6],
                    r[7],
                    r[8],
                    r[9],
                    f"{r[10]}・{r[11]}・{r[12]}",
                    "本人" if r[13] == 1 else "家族",
                    enclose,
                ]
            )
    return path


class RerouteBusy(MailError):
    """Another re-routing run holds the run lock."""


#: pg_try_advisory_lock key held by a re-routing run ("SHKRROUT" as an integer).
RUN_LOCK_KEY = int.from_bytes(b"SHKRROUT", "big") & 0x7FFF_FFFF_FFFF_FFFF


@contextlib.contextmanager
def one_run_at_a_time(engine: Engine) -> Iterator[None]:
    """PostgreSQL: hold a session advisory lock for a whole re-routing run, on a connection
    of its own, so that a second run started meanwhile (an overlapping cron job, a second
    operator) stops with a clear message instead of planning or printing the same returns
    (it would otherwise fail later on the envelopes' unique key, or print a file twice). The
    lock goes with the session, so a killed run does not leave it behind. SQLite takes one
    writer at a time anyway."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as guard:
        got = guard.execute(select(func.pg_try_advisory_lock(RUN_LOCK_KEY))).scalar_one()
        guard.commit()
        if not got:
            raise RerouteBusy(
                "別の事業所あて再送処理が実行中です。終わってから実行してください。 / "
                "Another re-routing run is in progress; run again when it has finished."
            )
        try:
            yield
        finally:
            guard.execute(select(func.pg_advisory_unlock(RUN_LOCK_KEY)))
            guard.commit()


def do_reroute(
    engine: Engine,
    clock: Clock,
    *,
    actor: Actor,
    out_dir: Path,
    run_on: date | None = None,
    branch_code: str | None = None,
    font_path: str | None = None,
    workers: int | None = None,
) -> RerouteReport:
    """Plan (:func:`plan_reroute`), render what is still planned (one transaction per file),
    write the manifests of the runs touched. Safe to run again at any point; one run at a
    time (:func:`one_run_at_a_time`, raises :class:`RerouteBusy`)."""
    with one_run_at_a_time(engine):
        return _reroute(
            engine,
            clock,
            actor=actor,
            out_dir=out_dir,
            run_on=run_on,
            branch_code=branch_code,
            font_path=font_path,
            workers=workers,
        )


def _reroute(
    engine: Engine,
    clock: Clock,
    *,
    actor: Actor,
    out_dir: Path,
    run_on: date | None,
    branch_code: str | None,
    font_path: str | None,
    workers: int | None,
) -> RerouteReport:
    run_on = run_on or clock.today()
    report = plan_reroute(
        engine,
        actor=actor,
        at=clock.now(),
        run_on=run_on,
        today=clock.today(),
        branch_code=branch_code,
        workers=workers,
    )
    with engine.connect() as conn:
        runs_stmt = select(reroute_batch.c.run_on, reroute_batch.c.run_seq).where(
            reroute_batch.c.status == "planned"
        )
        if branch_code is not None:
            runs_stmt = runs_stmt.where(reroute_batch.c.branch_code == branch_code)
        runs = set(conn.execute(runs_stmt.distinct()).all())
    render_planned(
        engine,
        clock,
        actor=actor,
        out_dir=out_dir,
        branch_code=branch_code,
        font_path=font_path,
        report=report,
    )
    with engine.connect() as conn:
        for r_on, r_seq in sorted(runs):
            report.manifests.append(write_manifest(conn, out_dir, r_on, r_seq))
    return report


__all__ = [
    "COVERS_PER_FILE",
    "RerouteBusy",
    "RerouteReport",
    "TaskKind",
    "do_plan_reroute",
    "do_reroute",
    "plan_reroute",
    "render_planned",
    "write_manifest",
]
